"""Finding figures that reports disagree on, and who each report attributes them to.

Decided in code, so a small model cannot hide a disagreement. A figure is a number
followed (within three words) by a unit such as troops, soldiers or brigades:

    >>> [(f.value, f.unit) for f in figures("It sent four brigades, about 12,000 soldiers.")]
    [('four', 'brigades'), ('12,000', 'troops')]

When the evidence for a question about such quantities holds two or more different values
of the same unit from two or more reports, the answer lists each value with its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.types import Claim, Conflict, Evidence

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
          "twenty": 20, "fifty": 50, "hundred": 100}
_UNITS = {"troops": "troops", "soldiers": "troops", "forces": "troops", "personnel": "troops",
          "special forces": "troops", "fighters": "troops", "brigades": "brigades"}
_FIGURE = re.compile(
    r"(?<![\w$€£.,])(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|" + "|".join(_WORDS) + r")"
    r"(?:\s+(?P<scale>thousand|million))?"
    r"\s+(?:[\w’'-]+\s+){0,3}?(?P<unit>special forces|troops|soldiers|forces|personnel|"
    r"fighters|brigades)\b",
    re.IGNORECASE,
)
_QUANTITY_QUESTION = re.compile(
    r"how many|number of|how large|how big|size|figures?\b|estimate|strength|count|"
    r"disagree|differ|conflict|contradict", re.IGNORECASE)
_VERB = re.compile(
    r"\b(said|says|stated|reported|revealed|disclosed|claimed|told|warned|added|confirmed|"
    r"estimated|indicated|suggest|suggests|believes|assessed)\b")
_ACCORDING = re.compile(r"[Aa]ccording to (?:the )?(?P<who>[A-Z][^,.;]{1,60}?)(?=,|\s+that\b|\.)")
_CLAIMS_BY = re.compile(r"claims? (?:by|from) (?P<who>[^,.;]{3,60}?)\s+that\b")
_SKIP = {"had", "has", "have", "earlier", "also", "reportedly", "previously", "already",
         "recently", "officially", "further", "publicly", "first"}
_NOUNS = {"intelligence", "officials", "sources", "agency", "ministry", "government", "media",
          "reports", "spokesperson", "president", "minister", "lawmakers", "military"}


@dataclass(frozen=True)
class Figure:
    value: str
    number: float
    unit: str
    position: int


def _number(num: str, scale: str | None) -> float:
    lower = num.lower()
    value = float(_WORDS[lower]) if lower in _WORDS else float(num.replace(",", ""))
    if scale:
        value *= 1000 if scale.lower() == "thousand" else 1_000_000
    return value


def figures(text: str) -> list[Figure]:
    """Quantities of troops or brigades stated in ``text``."""
    found = []
    for m in _FIGURE.finditer(text):
        unit = _UNITS[m.group("unit").lower()]
        number = _number(m.group("num"), m.group("scale"))
        if unit == "troops" and number < 100:  # "six North Korean soldiers" is not a force size
            continue
        value = m.group("num") + (f" {m.group('scale')}" if m.group("scale") else "")
        found.append(Figure(value, number, unit, m.start()))
    return found


def speaker(sentence: str, position: int) -> str | None:
    """Who the sentence attributes the statement at ``position`` to, if it says."""
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
        if bare.lstrip("(")[:1].isupper() or bare.lower() in _NOUNS or bare in ("of", "the") or "’s" in bare:
            who.insert(0, bare)
            if len(who) >= 8:
                break
        else:
            break
    while who and who[0].lower() in ("of", "the"):
        who.pop(0)
    return " ".join(who) or None


UNATTRIBUTED = "not attributed"


def is_quantity_question(question: str) -> bool:
    """Whether a question asks about numbers of troops, units and the like."""
    return bool(_QUANTITY_QUESTION.search(question))


def find_conflicts(question: str, answer: str, evidence: list[Evidence]) -> list[Conflict]:
    """Disagreements on quantities in ``evidence`` that the question or the answer is about.

    A unit counts when the question names it ("How many troops ...") or the answer states a
    figure in it ("How large is the force?" answered "12,000 soldiers"). "Where will the
    troops arrive?" answered "in Kursk" is not about a quantity, and "How many visitors came?"
    is not about troops: neither lists troop figures.
    """
    answered_units = {f.unit for f in figures(answer)}
    named = {unit for word, unit in _UNITS.items() if re.search(rf"\b{word}\b", question, re.I)}
    wanted = answered_units | (named if is_quantity_question(question) else set())
    by_unit: dict[str, list[Claim]] = {}
    for ev in evidence:
        for fig in figures(ev.text):
            claims = by_unit.setdefault(fig.unit, [])
            who = speaker(ev.text, fig.position) or UNATTRIBUTED
            same = next((c for c in claims if c.number == fig.number and c.source == ev.source),
                        None)
            if same is not None:
                if same.attributed_to == UNATTRIBUTED and who != UNATTRIBUTED:
                    claims[claims.index(same)] = Claim(fig.value, fig.number, fig.unit, who,
                                                       ev.source, ev.title, ev.n)
                continue
            claims.append(Claim(value=fig.value, number=fig.number, unit=fig.unit,
                                attributed_to=who, source=ev.source, title=ev.title, n=ev.n))
    conflicts = []
    for unit, claims in by_unit.items():
        if unit not in wanted:
            continue
        if len({c.number for c in claims}) >= 2 and len({c.source for c in claims}) >= 2:
            claims.sort(key=lambda c: (c.number, c.n))
            conflicts.append(Conflict(unit=unit, claims=claims))
    return conflicts


def describe(conflicts: list[Conflict]) -> str:
    """One line per disputed quantity: each value, who said it, and the evidence number.

    e.g. "The reports give different figures for troops: 1,500 (South Korean intelligence [1];
    South Korea’s intelligence agency [8]); 3,000 (NIS [6])."
    """
    def who(c: Claim) -> str:  # "Lloyd Austin, Oct. 19 [2]" once claims are dated
        when = c.date or c.date_text  # set by rag.timeline.order_claims
        return f"{c.attributed_to}{', ' + when if when else ''} [{c.n}]"

    lines = []
    for conflict in conflicts:
        if conflict.kind == "stance":  # "could not yet confirm (Lloyd Austin [2]); ..."
            lines.append("The reports differ on this: " + "; ".join(
                f"{c.value} ({who(c)})" for c in conflict.claims) + ".")
            continue
        values: dict[float, list] = {}
        for c in conflict.claims:
            values.setdefault(c.number, []).append(c)
        parts = [f"{group[0].value} (" + "; ".join(who(c) for c in group)
                 + ")" for group in values.values()]
        lines.append(f"The reports give different figures for {conflict.unit}: "
                     + ", ".join(parts) + ".")
    return "\n".join(lines)
