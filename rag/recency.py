"""Questions about time: "what is the latest figure?", "when did ...?", "what was first said?".

Two things follow from such a question, both decided in code:

- **retrieval prefers newer reports** for "latest"/"now" questions (``prefer_newer``): a
  dated passage's fused score is raised by up to ``RECENCY_WEIGHT`` for the newest report
  among the candidates, before the spread across reports, so older reports still get their
  places in the evidence (their version is what "latest" is compared with);
- **the answer says which came first and which later** (``order_note``): the sentences the
  answer cites, placed in time (:func:`rag.timeline.place`), oldest first, with the latest
  (or the first) named;
- **an answer about another year than the one asked is no answer** (``other_year``, an
  engine check): asked about 1985, a report's 1986 figure is a refusal with that reason.

    >>> asks_about_time("What is the latest figure?"), asks_about_time("Who is Kim?")
    ('latest', None)
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from rag.citations import cited_numbers
from rag.figures import MARKER
from rag.timeline import describe, order_sentences
from rag.types import Evidence, Passage

RECENCY_WEIGHT = 0.3  # the newest dated report's passages score up to 30 % higher

_LATEST = re.compile(r"\b(?:latest|most recent(?:ly)?|newest|now|currently|current|today|"
                     r"these days|so far|to date|as of|still|yet|recent(?:ly)?|updated?)\b",
                     re.IGNORECASE)
_FIRST = re.compile(r"\b(?:first|earliest|initial(?:ly)?|originally|at first|began|begin)\b",
                    re.IGNORECASE)
_WHEN = re.compile(r"\b(?:when|what date|which date|what day|since when|how long ago|"
                   r"before|after|timeline)\b", re.IGNORECASE)


def asks_about_time(question: str) -> str | None:
    """``"latest"``, ``"first"``, ``"when"`` or None: what the question asks about time.

    >>> [asks_about_time(q) for q in ("How many troops are in Russia now?",
    ...  "When did Austin confirm it?", "What did Seoul first say?", "What did Peskov say?")]
    ['latest', 'when', 'first', None]
    """
    if _LATEST.search(question):
        return "latest"
    if _FIRST.search(question):
        return "first"
    if _WHEN.search(question):
        return "when"
    return None


# a year, not a count ("2000 troops", "1990 dlrs")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b(?!\s*(?:troops|soldiers|people|workers|shares|"
                   r"tonnes|tons|barrels|dlrs|dollars|mln|bln|pct|%))", re.IGNORECASE)


def years(text: str) -> set[str]:
    """The four-digit years ``text`` writes, counts of things left out.

        >>> sorted(years("in 1985 and 1986, 2000 troops"))
        ['1985', '1986']
    """
    return set(_YEAR.findall(text))


def other_year(question: str, answer: str, evidence: list[Evidence]) -> str | None:
    """Why an answer does not answer the year the question asks about, or None: the
    question names a year, the answer gives another, and neither the answer nor the
    evidence it cites (nor those reports' own dates) has the one asked.

        >>> ev = [Evidence(4, "r", "R", None, "It posted a seven mln dlr profit in 1986.",
        ...                0, 40, 1.0, "1987-04-13")]
        >>> other_year("How much profit did it make in 1985?", "A profit in 1986 [4].", ev)
        'the question asks about 1985; the reports it cites give 1986'
        >>> other_year("How much profit did it make in 1986?", "A profit in 1986 [4].", ev)
    """
    asked = years(question)
    given = years(MARKER.sub("", answer))
    if not asked or not given or given <= asked:
        return None
    cited = set(cited_numbers(answer))
    seen = given.copy()
    for ev in evidence:
        if ev.n in cited:
            seen |= years(ev.text) | ({ev.date[:4]} if ev.date else set())
    if asked & seen:
        return None
    return (f"the question asks about {', '.join(sorted(asked))}; the reports it cites give "
            f"{', '.join(sorted(given - asked))}")


def _day(iso: str | None) -> int | None:
    try:
        return date.fromisoformat(iso).toordinal() if iso else None
    except ValueError:
        return None


def prefer_newer(passages: list[Passage], weight: float = RECENCY_WEIGHT) -> list[Passage]:
    """Passages re-scored and re-sorted with newer reports first among near-equals: a dated
    passage's score times ``1 + weight * r``, ``r`` from 0 (the oldest dated candidate) to 1
    (the newest); undated passages, and all of them when fewer than two dates differ, keep
    their scores.

        >>> from rag.types import Passage
        >>> old = Passage("a", "a.txt", "", None, "", 0, 1, 1.0, date="1987-03-01")
        >>> new = Passage("b", "b.txt", "", None, "", 0, 1, 0.9, date="1987-04-01")
        >>> [p.source for p in prefer_newer([old, new])]
        ['b.txt', 'a.txt']
    """
    days = [d for d in (_day(p.date) for p in passages) if d is not None]
    if len(set(days)) < 2:
        return list(passages)
    low, span = min(days), max(days) - min(days)

    def rescored(p: Passage) -> Passage:
        d = _day(p.date)
        return p if d is None else replace(p, score=p.score * (1 + weight * (d - low) / span))

    return sorted((rescored(p) for p in passages), key=lambda p: (-p.score, p.source, p.start))


def order_note(question: str, answer: str, evidence: list[Evidence]) -> str | None:
    """For a question about time, the cited sentences in time order, e.g. "In time order:
    Oct. 19 (year not stated) [2], then 2024-10-23 (report date) [1]; the latest is [1]."

    Only cited sentences with a date (stated, or their report's) count, and only when at
    least two differ; None otherwise, so nothing is said that the reports do not date.
    """
    kind = asks_about_time(question)
    if kind is None:
        return None
    cited = set(cited_numbers(answer))
    placed = [e for e in order_sentences([ev for ev in evidence if ev.n in cited])
              if e.date or e.month_day]
    if len({e.date or e.month_day for e in placed}) < 2:
        return None
    steps = ", then ".join(f"{describe(e)} [{e.n}]" for e in placed)
    if kind == "first":
        tail = f"; the earliest is [{placed[0].n}]"
    else:
        tail = f"; the latest is [{placed[-1].n}]"
    return f"In time order: {steps}{tail}."
