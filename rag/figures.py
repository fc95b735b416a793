"""Numbers, figures and speakers in report sentences: the one parser every check uses.

A leaf module (it imports nothing of the project but the citation marker pattern): the
figures check (:mod:`rag.support`), disagreements (:mod:`rag.conflicts`, :mod:`rag.stances`),
evidence selection and the evaluation all read numbers through :func:`numbers_in`.

Numbers are written as digits or words, with an optional scale and currency:

    >>> [n.value for n in numbers_in("Up to ten thousand troops, 1.5 million in all.")]
    [10000.0, 1500000.0]
    >>> [n.key for n in numbers_in("$3 million, a dozen drones and 12,000 soldiers [2].")]
    ['$3000000', '12', '12000']

A *figure* is a number followed (within three words) by a unit such as troops or brigades:

    >>> [(f.value, f.unit) for f in figures("It sent four brigades, about 12,000 soldiers.")]
    [('four', 'brigades'), ('12,000', 'troops')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = re.compile(r"\[(\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*)\]")

_UNITS_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
                "seventeen": 17, "eighteen": 18, "nineteen": 19, "dozen": 12}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "mln": 1_000_000, "bln": 1_000_000_000}
_WORD = "|".join(sorted([*_UNITS_WORDS, *_TENS], key=len, reverse=True))
_SCALE = r"hundred|thousand|million|billion|mln|bln"
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<cur>[$€£])?\s?"
    r"(?:(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"|(?P<article>an?)(?=\s+(?:" + _SCALE + r")\b)"
    r"|(?:an?\s+)?(?P<words>(?:" + _WORD + r")(?:[\s-]+(?:" + _WORD + r"))?))"
    r"(?:\s+(?P<scale>(?:" + _SCALE + r")(?:\s+(?:" + _SCALE + r"))?))?\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """A number as written in a text, its value and where it starts."""

    written: str
    value: float
    currency: str
    position: int

    @property
    def key(self) -> str:
        """Currency and value, the form two mentions are compared by: ``$10,000`` -> ``$10000``."""
        return self.currency + f"{self.value:.6f}".rstrip("0").rstrip(".")


def _word_value(words: str) -> float:
    total = 0.0
    for word in re.split(r"[\s-]+", words.lower()):
        total += _UNITS_WORDS.get(word, 0) + _TENS.get(word, 0)
    return total


def numbers_in(text: str) -> list[Number]:
    """Every number in ``text`` (citation markers excluded), in order."""
    text = MARKER.sub(lambda m: " " * len(m.group()), text)
    found = []
    for m in _NUMBER.finditer(text):
        if m.group("digits"):
            value = float(m.group("digits").replace(",", ""))
        elif m.group("article"):  # "a thousand"
            value = 1.0
        else:
            value = _word_value(m.group("words"))
            if m.group("words").lower() == "one" and not m.group("scale"):
                continue  # "one of the ..." is rarely a figure; "1" written as a digit still is
        for scale in (m.group("scale") or "").lower().split():
            value *= _SCALES[scale]
        found.append(Number(m.group(0).strip(), value, m.group("cur") or "", m.start()))
    return found


def parse_number(text: str) -> float | None:
    """The value of a number written alone: ``"ten thousand"`` -> 10000.0, ``"12,000"`` -> 12000.0.

    >>> parse_number("1.5 million"), parse_number("a dozen"), parse_number("troops")
    (1500000.0, 12.0, None)
    """
    found = numbers_in(text)
    return found[0].value if found else None


# -- figures: a number of something (troops, brigades) --------------------------------------
UNITS = {"troops": "troops", "soldiers": "troops", "forces": "troops", "personnel": "troops",
         "special forces": "troops", "fighters": "troops", "brigades": "brigades"}
_UNIT = re.compile(r"\s+(?:[\w’'-]+\s+){0,3}?(?P<unit>special forces|troops|soldiers|forces|"
                   r"personnel|fighters|brigades)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    value: str  # as written, e.g. "12,000" or "ten thousand"
    number: float
    unit: str
    position: int


# Market figures (the Reuters collection): "rose 12 pct to 5.93 mln bags", "27 dlrs a share".
MEASURES = {"pct": "pct", "dlrs": "dlrs", "dlr": "dlrs", "cts": "cts", "tonnes": "tonnes",
            "contracts": "contracts", "shares": "shares", "barrels": "barrels", "bags": "bags",
            "marks": "marks", "yen": "yen", "bushels": "bushels", "bales": "bales",
            "ounces": "ounces", "stg": "stg", "francs": "francs"}


def _unit_pattern(units: dict[str, str]) -> re.Pattern[str]:
    words = "|".join(sorted(map(re.escape, units), key=len, reverse=True))
    return re.compile(r"\s+(?:[\w’'-]+\s+){0,3}?(?P<unit>" + words + r")\b", re.IGNORECASE)


_MEASURE = _unit_pattern(MEASURES)


def figures(text: str, units: dict[str, str] | None = None) -> list[Figure]:
    """Quantities of troops or brigades stated in ``text`` (or of ``units``, e.g. MEASURES).

    >>> [(f.value, f.unit) for f in figures("Exports rose 12 pct to 5.93 mln bags.", MEASURES)]
    [('12', 'pct'), ('5.93 mln', 'bags')]
    """
    table = UNITS if units is None else units
    pattern = _UNIT if units is None else _MEASURE if units is MEASURES else _unit_pattern(units)
    found = []
    for num in numbers_in(text):
        if num.currency:
            continue
        m = pattern.match(text, num.position + len(num.written))
        if m is None or numbers_in(text[num.position + len(num.written):m.start("unit")]):
            continue  # "on March 10 at eight dlrs": the dlrs are eight, not 10
        unit = table[m.group("unit").lower()]
        if unit == "troops" and num.value < 100:  # "six North Korean soldiers" is no force size
            continue
        value = re.sub(r"^an?\s+", "", num.written, flags=re.I)
        found.append(Figure(value, num.value, unit, num.position))
    return found


_QUANTITY_QUESTION = re.compile(
    r"how many|numbers? of|troop numbers|how large|how big|size|figures?\b|estimate|strength|count|"
    r"disagree|differ|conflict|contradict", re.IGNORECASE)


def is_quantity_question(question: str) -> bool:
    """Whether a question asks about numbers of troops, units and the like."""
    return bool(_QUANTITY_QUESTION.search(question))


# -- speakers: who a sentence attributes a statement to -------------------------------------
_VERB = re.compile(
    r"\b(said|says|stated|reported|revealed|disclosed|claimed|told|warned|added|confirmed|"
    r"estimated|indicated|suggest|suggests|believes|assessed)\b")
_ACCORDING = re.compile(r"[Aa]ccording to (?:the )?(?P<who>[A-Z][^,.;]{1,60}?)(?=,|\s+that\b|\.)")
_CLAIMS_BY = re.compile(r"claims? (?:by|from) (?P<who>[^,.;]{3,60}?)\s+that\b")
_SKIP = {"had", "has", "have", "earlier", "also", "reportedly", "previously", "already",
         "recently", "officially", "further", "publicly", "first"}
_NOUNS = {"intelligence", "officials", "sources", "agency", "ministry", "government", "media",
          "reports", "spokesperson", "president", "minister", "lawmakers", "military"}
UNATTRIBUTED = "not attributed"


def said_at(text: str) -> list[int]:
    """Where each verb of saying ("said", "told", "warned" ...) in ``text`` ends: the
    positions :func:`speaker` reads the speaker before.

    >>> said_at("Kim said it; Seoul warned.")
    [8, 25]
    """
    return [m.end() for m in _VERB.finditer(text)]


def speaker(sentence: str, position: int) -> str | None:
    """Who the sentence attributes the statement at ``position`` to, if it says.

    >>> speaker("South Korea's intelligence agency said 1,500 troops arrived.", 39)
    "South Korea's intelligence agency"
    """
    head = sentence[:position]
    for pattern in (_ACCORDING, _CLAIMS_BY):
        hits = list(pattern.finditer(head))
        if hits:
            return hits[-1].group("who").strip()
    verbs = list(_VERB.finditer(head))
    if not verbs:
        return None
    words = re.split(r"\s+", head[:verbs[-1].start()].strip())
    while words and words[-1].lower() in _SKIP:
        words.pop()
    who: list[str] = []
    for word in reversed(words):
        bare = word.rstrip(",")
        if word.endswith(",") and who:
            break
        if (bare.lstrip("(")[:1].isupper() or bare.lower() in _NOUNS or bare in ("of", "the")
                or "’s" in bare or "'s" in bare):
            who.insert(0, bare)
            if len(who) >= 8:
                break
        else:
            break
    while who and who[0].lower() in ("of", "the"):
        who.pop(0)
    return " ".join(who) or None
