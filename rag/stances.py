"""Reports that disagree in words: one says a thing is confirmed, another that it is not.

Figures are not the only disagreement (see :mod:`rag.conflicts`). Asked "Did Austin confirm
that North Korean soldiers are in Russia?", one report has him say he "could not yet
confirm" it and a later one that he "confirmed" it; NATO officials saw "no concrete
evidence"; Pyongyang "neither confirmed nor denied" while its vice foreign minister dismissed
the reports as "rumors". For a question about confirming, denying, evidence or a response,
each evidence sentence is given the stance it states, and when two or more stances come from
two or more reports the answer lists each with who holds it — decided in code. When the
evidence is dated, the stances are listed oldest first, as a change over time:

    >>> [s.stance for s in stances_in("Austin said he could not yet confirm the reports.")]
    ['not confirmed']
    >>> [s.stance for s in stances_in("If confirmed, it is a first. Kyiv confirmed the reports.")]
    ['confirmed']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.conflicts import by_date, evidence_date
from rag.figures import UNATTRIBUTED, speaker
from rag.qualifiers import normalise_speaker
from rag.types import Claim, Conflict, Evidence

# Checked in this order: the first pattern that matches a stretch of text claims it, so
# "could not confirm" is never also read as "confirm".
_PATTERNS = [
    ("neither confirmed nor denied", r"neither (?:confirmed|confirm) nor (?:denied|deny)"),
    ("not confirmed",
     r"\b(?:(?:could|can|did|does|do|would|will|has|have|had|is|was|were|are)\s+)?"
     r"(?:not|never)(?:\s+(?:yet|officially|independently|publicly|been|able|to|be))*\s+"
     r"(?:confirm(?:ed)?|verif(?:y|ied))\b|\b\w+n[’']t(?:\s+(?:yet|officially|independently|"
     r"publicly|been|able|to|be))*\s+(?:confirm(?:ed)?|verif(?:y|ied))\b"
     r"|not (?:yet )?at a point where we[’']re able to (?:confirm|verify)"
     r"|unable to (?:confirm|verify)|no (?:concrete |hard |firm |clear )?"
     r"evidence|unconfirmed|unverified"),
    ("denied", r"\b(?:denied|denies|dismissed|rejected|refuted|unfounded|rumou?rs)\b"),
    ("confirmed", r"(?<!if )\b(?:confirmed|confirms|acknowledged|admitted|verified)\b"
                  r"|(?:there is|there's|has|have|had|found|with) (?:clear |concrete |hard |"
                  r"confirmed )?evidence"),
]
# "confirmed" counts only when what was confirmed is the matter itself, within a few words
# ("confirmed evidence of North Korean soldiers"), not "confirmed that allies were watching".
_CONFIRMED_WHAT = re.compile(r"^\W*(?:\S+\s+){0,5}?\S*(?:troop|soldier|forces|personnel|"
                             r"deploy|presence|evidence|report|allegation|claim|involvement)", re.I)
_OPENERS = {"while", "although", "though", "but", "and", "however", "as", "since", "because",
            "yet", "the"}
_AUX = {"has", "have", "had", "also", "both", "was", "were", "is", "are", "reportedly"}
_STANCE = [(name, re.compile(pattern, re.I)) for name, pattern in _PATTERNS]
_TOPIC = re.compile(r"\b(?:confirm\w*|den(?:y|ied|ies|ial)|evidence|verif\w*|true|proof|proven"
                    r"|acknowledg\w*|admit\w*|respon\w*|react\w*|reject\w*|dismiss\w*)\b", re.I)


@dataclass(frozen=True)
class Stance:
    stance: str  # "confirmed", "not confirmed", "denied", "neither confirmed nor denied"
    phrase: str  # as written, e.g. "could not yet confirm"
    position: int


def is_stance_question(question: str) -> bool:
    """Whether a question asks if something is confirmed, denied, evidenced or answered."""
    return bool(_TOPIC.search(question))


def stances_in(text: str) -> list[Stance]:
    """The stances ``text`` states, in order, each stretch of text read once."""
    taken: list[tuple[int, int]] = []
    found = []
    for name, pattern in _STANCE:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            if name == "confirmed" and not ("evidence" in m.group(0).lower()
                                            or _CONFIRMED_WHAT.match(text[m.end():])):
                continue
            found.append(Stance(name, m.group(0), m.start()))
    return sorted(found, key=lambda s: s.position)


def _holder(text: str, st: Stance) -> str:
    """Who holds a stance: as for figures ("Austin said he could not confirm"), or, when the
    stance word is itself the verb ("Kim Jong Gyu has dismissed ..."), the words before it."""
    who = speaker(text, st.position)
    if who is None:
        words = text[:st.position].split()
        while words and (words[-1].lower() in _AUX or words[-1].lower().endswith("ly")):
            words.pop()
        head = " ".join(words) + " said"
        who = speaker(head, len(head))
    words = (who or "").split()
    while words and words[0].lower() in _OPENERS:  # "While the U.S. government ..."
        words.pop(0)
    return " ".join(words) or UNATTRIBUTED


def find_stance_conflicts(question: str, evidence: list[Evidence]) -> list[Conflict]:
    """One conflict listing each stance in ``evidence`` with who holds it, when the question
    is about confirming or denying and two or more stances come from two or more reports."""
    if not is_stance_question(question):
        return []
    claims: list[Claim] = []
    for ev in evidence:
        for st in stances_in(ev.text):
            who = _holder(ev.text, st)
            if any(c.unit == st.stance and (c.n == ev.n or (c.source == ev.source
                                                            and c.attributed_to == who))
                   for c in claims):
                continue  # one entry per stance per sentence, and per holder in a report
            claims.append(Claim(value=st.phrase, number=float(len(claims)), unit=st.stance,
                                attributed_to=who, source=ev.source, title=ev.title, n=ev.n,
                                status=st.stance, speaker_normalised=normalise_speaker(who),
                                date=evidence_date(ev)))
    if len({c.unit for c in claims}) < 2 or len({c.source for c in claims}) < 2:
        return []
    order = [name for name, _ in _PATTERNS]
    claims.sort(key=lambda c: (order.index(c.unit), c.n))
    if len({c.date for c in claims if c.date}) >= 2:  # "could not yet confirm", then "confirmed"
        claims.sort(key=lambda c: by_date(c)[:2])  # a change over time, oldest first
    return [Conflict(unit="", claims=claims, kind="stance", label="stance")]
