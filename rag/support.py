"""Every figure in an answer must be stated in the evidence the model was shown.

A small model asked something the reports do not say may still answer with a number that
no report gives ("Russia is paying each soldier $10,000"), citing a sentence about something
else. Quotes are verified separately; this check covers the answer's own words: each number
it writes must be in the evidence, with the same currency sign when it has one. Numbers are
read by :func:`rag.figures.numbers_in`, so "4 brigades" is supported by "four brigades" and
"10,000" by "ten thousand". Small counting words in the answer ("two reports") are prose,
not figures, and are not checked.

    >>> unsupported("It sent 4 brigades [1].", ["It sent four brigades."])
    []
    >>> unsupported("Up to 10,000 troops [1].", ["... up to ten thousand troops ..."])
    []
    >>> unsupported("Russia pays $10,000 each [5].", ["Up to 10,000 troops by December."])
    ['$10,000']
"""

from __future__ import annotations

import re

from rag.bm25 import _STOPWORDS
from rag.figures import numbers_in

# What a figure counts when the word right after it says so: newswires write currencies as
# words ("100 mln dlrs" states "$100 million", "5 mln stg" states "£5 million"), and
# "318.5 billion lire" is not supported by "318.5 billion European Currency Units".
_UNITS = {"lire": "lire", "lira": "lire", "ecus": "ecu", "ecu": "ecu",
          "european currency units": "ecu", "yen": "yen", "francs": "francs",
          "marks": "marks", "guilders": "guilders", "dlrs": "dlrs", "dlr": "dlrs",
          "dollars": "dlrs", "dollar": "dlrs", "stg": "stg", "pounds": "stg", "pound": "stg",
          "euros": "euros", "euro": "euros", "pesos": "pesos", "crowns": "crowns",
          "rupees": "rupees", "yuan": "yuan", "roubles": "roubles"}
_SIGNS = {"dlrs": "$", "stg": "£", "euros": "€"}  # the units a currency sign also writes
_SIGNS_OF = {sign: unit for unit, sign in _SIGNS.items()}
_UNIT_AFTER = re.compile(r"\s*(?:U\.S\.\s+|US\s+)?(" + "|".join(
    sorted(map(re.escape, _UNITS), key=len, reverse=True)) + r")\b", re.I)


def _unit(text: str, num) -> str | None:
    m = _UNIT_AFTER.match(text, num.position + len(num.written))
    return _UNITS[m.group(1).lower()] if m else None


_NOUN_AFTER = re.compile(r"\s+([a-z][a-z\-]+)")


def _counts(text: str, num) -> str | None:
    """What the number counts, when the text says right after it: a currency ("dlrs"), or
    a plain noun ("soldiers"); None for no word there or a function word ("10,000 to")."""
    if num.currency:
        return _SIGNS_OF.get(num.currency)
    unit = _unit(text, num)
    if unit:
        return unit
    m = _NOUN_AFTER.match(text, num.position + len(num.written))
    return m.group(1) if m and m.group(1) not in _STOPWORDS else None


def stated(evidence_texts: list[str]) -> set[str]:
    """The keys of every number the texts state (``$3 million`` also states ``3 million``,
    and ``3 mln dlrs`` states ``$3 million``).

        >>> sorted(stated(["It paid 100 mln dlrs."]))
        ['$100000000', '100000000']
    """
    return _read(evidence_texts)[0]


def _read(evidence_texts: list[str]) -> tuple[set[str], dict[str, set[str | None]]]:
    """In one pass over the texts' numbers: the keys they state (``stated``), and for each
    number what the texts say it counts (``_counts``)."""
    keys: set[str] = set()
    counted: dict[str, set[str | None]] = {}
    for text in evidence_texts:
        for num in numbers_in(text):
            keys |= {num.key, num.key.lstrip("$€£")}
            sign = None if num.currency else _SIGNS.get(_unit(text, num) or "")
            if sign:
                keys.add(sign + num.key)
            counted.setdefault(num.key.lstrip("$€£"), set()).add(_counts(text, num))
    return keys, counted


def unsupported(answer: str, evidence_texts: list[str]) -> list[str]:
    """The figures of ``answer`` (as written) that none of ``evidence_texts`` states, or
    states only as a count of something else (another currency, or not money at all):

        >>> unsupported("It lent 318.5 billion lire [1].", ["It lent 318.5 billion European "
        ...             "Currency Units, equivalent to 460.6 billion lire."])
        ['318.5 billion']
        >>> unsupported("It lent 460.6 billion lire [1].", ["It lent 318.5 billion European "
        ...             "Currency Units, equivalent to 460.6 billion lire."])
        []
        >>> unsupported("Each soldier is paid 10,000 dollars [2].", ["Up to 10,000 soldiers."])
        ['10,000']
        >>> unsupported("It paid 10,000 dollars [2].", ["It paid $10,000 to 12,000 in fees."])
        []
    """
    known, counted = _read(evidence_texts)  # counted: number -> what the evidence counts
    out: list[str] = []
    for num in numbers_in(answer):
        is_figure = any(ch.isdigit() for ch in num.written) or num.value > 12
        unit = None if num.currency else _unit(answer, num)
        elsewhere = unit is not None and None not in counted.get(num.key, {None}) and (
            unit not in counted.get(num.key, set()))
        if is_figure and (num.key not in known or elsewhere) and num.written not in out:
            out.append(num.written)
    return out
