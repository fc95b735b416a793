"""Finding figures that reports disagree on, and who each report attributes them to.

Decided in code, so a small model cannot hide a disagreement. A figure is a number
followed (within three words) by a unit such as troops, soldiers or brigades (read by
:mod:`rag.figures`):

    >>> [(f.value, f.unit) for f in figures("It sent four brigades, about 12,000 soldiers.")]
    [('four', 'brigades'), ('12,000', 'troops')]

When the evidence for a question about such quantities holds two or more different values
of the same unit from two or more reports, the answer lists each value with its source. Only
comparable figures disagree (:mod:`rag.qualifiers`): same unit, same status, overlapping time
frame. 1,500 troops "already stationed" and 10,000 "expected by December" are two facts, each
its own group (a :class:`Conflict` with a ``label``), and the group that answers the question
as asked comes first.
"""

from __future__ import annotations

import re

from rag.figures import (
    MARKER,
    UNATTRIBUTED,
    UNITS,
    figures,
    is_quantity_question,
    numbers_in,
    speaker,
)
from rag.qualifiers import overlapping, qualify
from rag.types import Claim, Conflict, Evidence

__all__ = ["UNATTRIBUTED", "asked_status", "by_date", "describe", "figures", "find_conflicts",
           "group_claims", "is_quantity_question", "speaker"]

def evidence_date(ev: Evidence) -> str | None:
    """The date a claim is known by: the evidence's claim date, else its report date, if the
    evidence carries one (as ISO text, so that dates sort)."""
    for name in ("claim_date", "date"):
        value = getattr(ev, name, None)
        if value:
            return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return None


def by_date(claim: Claim) -> tuple:
    """Sort key: dated claims first, oldest first; then by value and evidence number."""
    return (claim.date is None, claim.date or "", claim.number, claim.n)


def _when(c: Claim) -> str:
    """ "Lloyd Austin, Oct. 19 [2]" once claims are dated (see rag.timeline.order_claims)."""
    return c.date or c.date_text or ""


def _label(status: str, timeframe: str) -> str:
    return " ".join(p for p in (status, timeframe) if p)


# Units that count the formations a force is organised in, not people in some state: "four
# brigades, totaling 12,000" (committed) and "12,000 soldiers in two brigades" (already sent)
# both say how the whole force is made up, so they are rivals whatever their status.
FORMATIONS = {"brigades"}
WHOLE_FORCE = "of the whole force"


def group_claims(claims: list[Claim]) -> list[list[Claim]]:
    """Claims that count the same thing: same unit, same status (any, for ``FORMATIONS``),
    overlapping time frames.

    >>> a = Claim("1,500", 1500, "troops", "NIS", "a.txt", "A", 1, status="already there")
    >>> b = Claim("3,000", 3000, "troops", "NIS", "b.txt", "B", 2, status="already there")
    >>> c = Claim("10,000", 10000, "troops", "NIS", "b.txt", "B", 3, status="expected",
    ...           timeframe="by December")
    >>> [[x.value for x in g] for g in group_claims([a, c, b])]
    [['1,500', '3,000'], ['10,000']]
    """
    groups: list[list[Claim]] = []
    for claim in claims:
        home = next((g for g in groups if g[0].unit == claim.unit
                     and (g[0].status == claim.status or claim.unit in FORMATIONS)
                     and all(overlapping(c.timeframe, claim.timeframe) for c in g)), None)
        if home is None:
            groups.append([claim])
        else:
            home.append(claim)
    return groups


# What the question asks to be counted, read as the qualifiers read a sentence.
_ASKED = [
    ("already there", r"\balready\b|\b(?:are|is) (?:now |currently )?(?:in|there|stationed)\b|"
                      r"\bthere are\b|\b(?:has|have)\b.*\b(?:sent|deployed|dispatched)\b|"
                      r"\bhave been (?:sent|deployed)\b"),
    ("committed in total", r"\bin total\b|\btotal\b|\bin all\b|\baltogether\b|\bcommitted\b"),
    ("expected", r"\bwill\b|\bexpected\b|\bgoing to\b|\bplan(?:s|ning)? to\b|\bby (?:december|"
                 r"the end|year)"),
    ("killed", r"\bkilled\b|\bdied\b|\bdead\b"),
    ("wounded", r"\bwounded\b|\binjured\b"),
]


def asked_status(question: str) -> str:
    """The status a question asks about: "How many troops are in Russia?" -> "already there";
    "" when it does not say."""
    for status, pattern in _ASKED:
        if re.search(pattern, question, re.I):
            return status
    return ""


def _is_dispute(claims: list[Claim]) -> bool:
    return len({c.number for c in claims}) >= 2 and len({c.source for c in claims}) >= 2


def find_conflicts(question: str, answer: str, evidence: list[Evidence]) -> list[Conflict]:
    """The figures in ``evidence`` that the question or the answer is about, as groups of
    comparable claims (:func:`group_claims`), when they hold two values from two reports.

    A unit counts when the question names it ("How many troops ...") or the answer states a
    figure in it ("How large is the force?" answered "12,000 soldiers"). "Where will the
    troops arrive?" answered "in Kursk" is not about a quantity, and "How many visitors came?"
    is not about troops: neither lists troop figures. The group that answers the question as
    asked comes first, then the other disagreements, then the related figures.
    """
    answered = figures(answer)
    answered_units = {f.unit for f in answered}
    named = {unit for word, unit in UNITS.items() if re.search(rf"\b{word}\b", question, re.I)}
    wanted = answered_units | (named if is_quantity_question(question) else set())
    by_unit: dict[str, list[Claim]] = {}
    for ev in evidence:
        for q in qualify(ev.text):
            claims = by_unit.setdefault(q.unit, [])
            who = q.speaker or UNATTRIBUTED
            claim = Claim(value=q.value, number=q.number, unit=q.unit, attributed_to=who,
                          source=ev.source, title=ev.title, n=ev.n, status=q.status,
                          timeframe=q.timeframe, place=q.place,
                          speaker_normalised=q.speaker_normalised or UNATTRIBUTED,
                          date=evidence_date(ev))
            same = next((c for c in claims if c.number == q.number and c.source == ev.source
                         and c.status == q.status), None)
            if same is not None:
                if same.attributed_to == UNATTRIBUTED and who != UNATTRIBUTED:
                    claims[claims.index(same)] = claim
                continue
            claims.append(claim)
    asked = asked_status(question)
    answered_numbers = {f.number for f in answered}
    conflicts = []
    for unit, claims in by_unit.items():
        if unit not in wanted or not _is_dispute(claims):
            continue
        for group in group_claims(claims):
            group.sort(key=by_date)
            status = WHOLE_FORCE if unit in FORMATIONS else group[0].status
            conflicts.append(Conflict(unit=unit, claims=group,
                                      label=_label(status, _timeframe(group))))
    conflicts.sort(key=lambda c: (c.claims[0].status != asked if asked else
                                  not ({x.number for x in c.claims} & answered_numbers),
                                  not _is_dispute(c.claims), -len(c.claims)))
    return conflicts


def _timeframe(group: list[Claim]) -> str:
    return next((c.timeframe for c in group if c.timeframe), "")


def _who(c: Claim, name: str | None = None) -> str:
    name = name or c.speaker_normalised or c.attributed_to
    return f"{name}{', ' + _when(c) if _when(c) else ''} [{c.n}]"


def _values(claims: list[Claim]) -> str:
    values: dict[float, list[Claim]] = {}
    for c in claims:  # already in date order: the first value said comes first
        values.setdefault(c.number, []).append(c)
    return ", ".join(f"{group[0].value} (" + "; ".join(_who(c) for c in group) + ")"
                     for group in values.values())


def _what(conflict: Conflict) -> str:
    return f"{conflict.unit} {conflict.label}".strip()


def _stances(conflict: Conflict) -> str:
    """Undated: who holds which stance. Dated: a change over time, oldest first ("could not
    yet confirm" on Oct. 19, "confirmed" later), not a contradiction."""
    if len({c.date for c in conflict.claims if c.date}) < 2:
        return "The reports differ on this: " + "; ".join(
            f"{c.value} ({_who(c, c.attributed_to)})" for c in conflict.claims) + "."
    steps = [f"{c.value} ({_who(c, c.attributed_to)})"
             for c in sorted(conflict.claims, key=by_date)]
    return ("The reports differ on this: " + "; then ".join(steps)
            + " (oldest first: a change over time).")


def leads(question: str, answer: str, conflicts: list[Conflict]) -> bool:
    """Whether the disagreement note should come before the model's text: the question asks
    how many, the first group counts what it asks ("already there" for "How many troops are
    in Russia?"), and the text states none of that group's figures (it led with another).

        >>> a = Claim("1,500", 1500, "troops", "NIS", "a.txt", "A", 1, status="already there")
        >>> b = Claim("3,000", 3000, "troops", "NIS", "b.txt", "B", 2, status="already there")
        >>> c = [Conflict(unit="troops", claims=[a, b], label="already there")]
        >>> q = "How many North Korean troops are in Russia?"
        >>> leads(q, "An additional 10,000 troops are preparing [3].", c), leads(q, "1,500 [1].", c)
        (True, False)
    """
    if not conflicts or conflicts[0].kind != "figure" or not is_quantity_question(question):
        return False
    asked = asked_status(question)
    first = conflicts[0]
    if asked and any(claim.status != asked for claim in first.claims):
        return False
    stated = {n.value for n in numbers_in(MARKER.sub("", answer))}
    return not stated & {claim.number for claim in first.claims}


def describe(conflicts: list[Conflict]) -> str:
    """The figures in words, the group that answers the question first, each claim with who
    said it, the evidence number and, where known, the date.

    e.g. "The reports give different figures for troops already there: 1,500 (NIS [1];
    NIS [8]), 3,000 (NIS [6]). Related figures, which count other things: 10,000 troops
    expected by December (NIS [5]); 12,000 troops committed in total (NIS [1])."
    """
    lines, related = [], []
    for i, conflict in enumerate(conflicts):
        if conflict.kind == "stance":  # "could not yet confirm (Lloyd Austin [2]); ..."
            lines.append(_stances(conflict))
        elif _is_dispute(conflict.claims):
            lines.append(f"The reports give different figures for {_what(conflict)}: "
                         + _values(conflict.claims) + ".")
        elif i == 0:
            lines.append(f"The reports agree on {_what(conflict)}: " + _values(conflict.claims)
                         + ".")
        else:
            related.append(f"{conflict.claims[0].value} {_what(conflict)}"
                           + (f" {conflict.claims[0].place}" if conflict.claims[0].place else "")
                           + " (" + "; ".join(_who(c) for c in conflict.claims) + ")")
    if related:
        lines.append("Related figures, which count other things: " + "; ".join(related) + ".")
    return "\n".join(lines)
