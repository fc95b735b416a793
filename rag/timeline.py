"""When it was said: the claims behind an answer in date order, each with its verified quote.

A sentence's date is the one it states, resolved from the report's own date when that is
certain (:mod:`rag.dates`), else the report's date. Entries are ordered by that date; then
come sentences whose date is only partly known ("Oct. 19" in an undated report: by month and
day, marked unresolved); undated sentences last, in the order they were given. So in the
seeds, whose reports state no date of their own, Austin "could not yet confirm" (a report that
says "on Oct. 19") comes before the undated report in which he "confirmed":

    >>> e = [_ev(1, "b.txt", "Austin confirmed evidence of soldiers."),
    ...      _ev(2, "a.txt", "Austin stated on Oct. 19 that he could not yet confirm it.")]
    >>> [(x.n, x.date, x.said) for x in order_sentences(e)]
    [(2, None, 'Oct. 19'), (1, None, None)]
    >>> e[0].date = "2024-10-23"; e[1].date = "2024-10-23"  # had both reports been dated
    >>> [(x.n, x.date, x.said) for x in order_sentences(e)]
    [(2, '2024-10-19', 'Oct. 19'), (1, '2024-10-23', None)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from rag.dates import mentions
from rag.text import split_sentences
from rag.types import Answer, Conflict, Evidence, Passage

# A timeline reads this many times an answer's k passages: it costs no model call, and a
# report's dated statement is often in its third-best passage.
WIDER = 3


@dataclass
class TimelineEntry:
    """One sentence of a report placed in time; ``original[start:end] == quote``."""

    quote: str
    source: str
    title: str
    publisher: str | None
    start: int
    end: int
    date: str | None  # the date it is ordered by (ISO): its own, else the report's
    basis: str  # "stated" (its own date), "report date", "unresolved" (as written), "undated"
    said: str | None = None  # the date as the sentence writes it ("Oct. 19"), if it does
    report_date: str | None = None
    n: int | None = None  # the evidence number, when the sentence was evidence
    month_day: tuple[int, int] | None = None  # for an unresolved year-less date

    def sort_key(self) -> tuple:
        if self.date:
            return (0, self.date)
        if self.month_day:
            return (1, self.month_day)
        return (2,)

    def to_json(self) -> dict[str, Any]:
        row = asdict(self)
        row.pop("month_day")
        return row


def place(text: str, source: str, title: str, publisher: str | None, start: int,
          report: str | None, n: int | None = None) -> TimelineEntry:
    """A sentence (``text`` at ``start`` in its report) with the date it is ordered by."""
    stated = mentions(text, report)
    first = next((m for m in stated if m.date), stated[0] if stated else None)
    if first is not None and first.date:
        date, basis = first.date, "stated"
    elif report:
        date, basis = report, "report date"
    else:
        date, basis = None, "unresolved" if first is not None else "undated"
    month_day = (first.month, first.day) if first is not None and first.month else None
    return TimelineEntry(quote=text, source=source, title=title, publisher=publisher,
                         start=start, end=start + len(text), date=date, basis=basis,
                         said=first.text if first is not None else None, report_date=report,
                         n=n, month_day=month_day if basis == "unresolved" else None)


def order_sentences(evidence: list[Evidence]) -> list[TimelineEntry]:
    """Evidence sentences as timeline entries, in date order (see the module docstring)."""
    entries = [place(ev.text, ev.source, ev.title, ev.publisher, ev.start, ev.date, ev.n)
               for ev in evidence]
    return sorted(entries, key=TimelineEntry.sort_key)  # stable: ties keep the given order


def build_timeline(evidence: list[Evidence], passages: list[Passage],
                   original_of: Callable[[str], str | None],
                   relevant: Callable[[list[str]], list[bool]] | None = None
                   ) -> list[TimelineEntry]:
    """Every evidence sentence, and every sentence of the passages that mentions a date (and
    that ``relevant`` keeps, if given), in date order; a sentence whose quote is not in its
    report's current text is left out."""
    entries: list[TimelineEntry] = []
    seen = {(ev.source, ev.start) for ev in evidence}
    for ev in evidence:
        entries.append(place(ev.text, ev.source, ev.title, ev.publisher, ev.start, ev.date,
                             ev.n))
    extra: list[TimelineEntry] = []
    for p in passages:
        for s in split_sentences(p.text):
            key = (p.source, p.start + s.start)
            if key in seen or not mentions(s.text):
                continue
            seen.add(key)
            extra.append(place(s.text, p.source, p.title, p.publisher, p.start + s.start,
                               p.date))
    if relevant is not None and extra:
        extra = [e for e, keep in zip(extra, relevant([e.quote for e in extra]), strict=True)
                 if keep]
    originals: dict[str, str | None] = {}
    verified = []
    for e in entries + extra:
        if e.source not in originals:
            originals[e.source] = original_of(e.source)
        text = originals[e.source]
        if text is not None and text[e.start:e.end] == e.quote:
            verified.append(e)
    return sorted(verified, key=TimelineEntry.sort_key)


def timeline_for(store, question: str, k: int, max_evidence: int,
                 min_relevance: float = 0.0) -> list[TimelineEntry]:
    """The timeline of a question from retrieval and evidence selection alone (no model):
    what ``python -m rag timeline`` prints. Empty when no passage is relevant enough.

    Dated sentences of the ``k`` passages count when their cosine similarity to the question
    reaches ``min_relevance`` (a passage about the question can still hold a date about
    something else). The CLI asks for more passages than an answer reads: a timeline costs
    no model call, and a report's dated statement is often in its third-best passage.
    """
    from rag.evidence import select_evidence
    from rag.retrieve import hybrid_search

    retrieval = hybrid_search(store, question, k)
    if not retrieval.passages or retrieval.best_dense < min_relevance:
        return []
    evidence = select_evidence(question, retrieval.passages, store.embeddings, max_evidence,
                               query_vector=retrieval.query_vector)
    return build_timeline(evidence, retrieval.passages, store.original_text,
                          _about(store, retrieval.query_vector, min_relevance))


def _about(store, query_vector: list[float], min_relevance: float
           ) -> Callable[[list[str]], list[bool]]:
    """Which sentences are about the question: cosine similarity to it >= min_relevance."""
    import numpy as np

    query = np.asarray(query_vector, dtype=np.float32)

    def relevant(texts: list[str]) -> list[bool]:
        return [float(c) >= min_relevance for c in store.embeddings.encode(texts) @ query]

    return relevant


def answer_timeline(store, answer: Answer, k: int, min_relevance: float = 0.0,
                    sources: list[str] | None = None) -> list[TimelineEntry]:
    """The timeline under an answer: its evidence (numbered as the answer cites it) and the
    dated sentences of a wider search for its question (``WIDER`` x ``k`` passages, as the CLI's,
    those about the question by ``min_relevance``), so a report's dated statement that
    the answer's own passages missed ("could not yet confirm" on Oct. 19) is still placed."""
    from rag.retrieve import hybrid_search

    question = answer.standalone_question or answer.question
    retrieval = hybrid_search(store, question, WIDER * k, sources=sources)
    seen = {p.chunk_id for p in answer.passages}
    passages = answer.passages + [p for p in retrieval.passages if p.chunk_id not in seen]
    return build_timeline(answer.evidence, passages, store.original_text,
                          _about(store, retrieval.query_vector, min_relevance))


def describe(entry: TimelineEntry) -> str:
    """How an entry's date was found, for people: "2024-10-19 (“Oct. 19”)", "Oct. 19, year
    unknown", "1987-02-26 (report date)", "undated".

    >>> describe(place("Austin stated on Oct. 19 he could not confirm it.", "a", "A", None, 0,
    ...                None))
    'Oct. 19 (year not stated)'
    """
    if entry.basis == "stated":
        return entry.date if entry.said == entry.date else f"{entry.date} (“{entry.said}”)"
    if entry.basis == "report date":
        return f"{entry.date} (report date)"
    if entry.basis == "unresolved":
        if entry.month_day:
            return f"{entry.said} (year not stated)"
        return f"“{entry.said}” (the report has no date)"
    return "undated"


def order_claims(conflicts: list[Conflict], evidence: list[Evidence]) -> list[Conflict]:
    """Each conflict's claims in date order (the date its sentence states, else its report's;
    undated last, ties in their given order), each claim given that date.

    ``Claim.date`` is the ISO date, ``Claim.date_text`` the date as the sentence writes it.
    """
    by_n = {ev.n: ev for ev in evidence}
    out = []
    for conflict in conflicts:
        placed = []
        for claim in conflict.claims:
            ev = by_n.get(claim.n)
            entry = place(ev.text, ev.source, ev.title, ev.publisher, ev.start, ev.date,
                          ev.n) if ev else None
            dated = replace(claim, date=entry.date if entry else None,
                            date_text=entry.said if entry else None)
            placed.append((entry.sort_key() if entry else (2,), dated))
        placed.sort(key=lambda pair: pair[0])
        out.append(replace(conflict, claims=[claim for _key, claim in placed]))
    return out


def _ev(n: int, source: str, text: str, date: str | None = None) -> Evidence:
    """An evidence sentence at offset 0 (for the examples above)."""
    return Evidence(n, source, source, None, text, 0, len(text), 1.0, date)
