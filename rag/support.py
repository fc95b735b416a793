"""Every figure in an answer must be stated in the evidence the model was shown.

A small model asked something the reports do not say may still answer with a number that
no report gives ("Russia is paying each soldier $10,000"), citing a sentence about something
else. Quotes are verified separately; this check covers the answer's own words: each number
it writes must be in the evidence, with the same currency sign when it has one. Digits one
to twelve also match their words ("4 brigades" is supported by "four brigades").

    >>> sorted(figures_in("About 12,000 troops [2], $10,000 each, 1.5 million in all [3]."))
    ['$10000', '12000', '1500000']
    >>> unsupported("It sent 4 brigades [1].", ["It sent four brigades."])
    []
    >>> unsupported("Russia pays $10,000 each [5].", ["Up to 10,000 troops by December."])
    ['$10,000']
"""

from __future__ import annotations

import re

from rag.citations import MARKER

_NUMBER = re.compile(
    r"(?P<cur>[$€£])?\s?(?P<num>\d[\d,]*(?:\.\d+)?)(?:\s?(?P<scale>thousand|million|billion)\b)?",
    re.I)
_SCALE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_WORDS = ("one two three four five six seven eight nine ten eleven twelve").split()
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.I)


def _key(match: re.Match) -> str:
    digits = match.group("num").replace(",", "").rstrip(".")
    value = float(digits) if digits.replace(".", "", 1).isdigit() else 0.0
    if match.group("scale"):
        value *= _SCALE[match.group("scale").lower()]
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return (match.group("cur") or "") + text


def figures_in(text: str) -> dict[str, str]:
    """Normalised figure -> as written, for every number in ``text`` (markers excluded)."""
    text = MARKER.sub(" ", text)
    return {_key(m): m.group(0).strip() for m in _NUMBER.finditer(text)}


def unsupported(answer: str, evidence_texts: list[str]) -> list[str]:
    """The figures of ``answer`` (as written) that none of ``evidence_texts`` states."""
    stated: set[str] = set()
    for text in evidence_texts:
        found = figures_in(text)
        stated |= set(found)
        stated |= {k.lstrip("$€£") for k in found}  # "$3 million" also states "3 million"
        stated |= {str(_WORDS.index(w.lower()) + 1) for w in _WORD.findall(text)}
    return [written for key, written in figures_in(answer).items() if key not in stated]
