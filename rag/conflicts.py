"""Finding figures that reports disagree on, and who each report attributes them to.

Decided in code, so a small model cannot hide a disagreement. A figure is a number
followed (within three words) by a unit such as troops, soldiers or brigades (read by
:mod:`rag.figures`):

    >>> [(f.value, f.unit) for f in figures("It sent four brigades, about 12,000 soldiers.")]
    [('four', 'brigades'), ('12,000', 'troops')]

When the evidence for a question about such quantities holds two or more different values
of the same unit from two or more reports, the answer lists each value with its source.
"""

from __future__ import annotations

import re

from rag.figures import UNATTRIBUTED, UNITS, figures, is_quantity_question, speaker
from rag.types import Claim, Conflict, Evidence

__all__ = ["UNATTRIBUTED", "describe", "figures", "find_conflicts", "is_quantity_question",
           "speaker"]

def find_conflicts(question: str, answer: str, evidence: list[Evidence]) -> list[Conflict]:
    """Disagreements on quantities in ``evidence`` that the question or the answer is about.

    A unit counts when the question names it ("How many troops ...") or the answer states a
    figure in it ("How large is the force?" answered "12,000 soldiers"). "Where will the
    troops arrive?" answered "in Kursk" is not about a quantity, and "How many visitors came?"
    is not about troops: neither lists troop figures.
    """
    answered_units = {f.unit for f in figures(answer)}
    named = {unit for word, unit in UNITS.items() if re.search(rf"\b{word}\b", question, re.I)}
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
