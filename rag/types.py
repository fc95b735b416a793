"""Typed results that cross module boundaries.

Offsets are always character offsets into the *original* file text (as decoded),
so that ``original[start:end] == text`` holds for every span below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    """A piece of an original text: ``original[start:end] == text``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Report:
    """One cleaned report: the original text plus what cleaning kept."""

    source: str  # file name: the report's id
    original: str  # the decoded file text, never modified
    title: str
    publisher: str | None
    blocks: tuple[Span, ...]  # runs of kept text, free of page furniture
    sentences: tuple[Span, ...]


@dataclass(frozen=True)
class Chunk:
    """A run of sentences from one report, the unit that is embedded and indexed."""

    id: str
    source: str
    title: str
    publisher: str | None
    text: str
    start: int
    end: int
    index: int


@dataclass
class Passage:
    """A retrieved chunk with its scores (``dense`` is cosine similarity, -1..1)."""

    chunk_id: str
    source: str
    title: str
    publisher: str | None
    text: str
    start: int
    end: int
    score: float  # fused score used for ranking
    dense: float | None = None
    keyword: float | None = None
    date: str | None = None  # the report's own date (ISO), where it states one


@dataclass
class Evidence:
    """A numbered sentence shown to the model; ``n`` is what the model cites."""

    n: int
    source: str
    title: str
    publisher: str | None
    text: str
    start: int
    end: int
    score: float
    date: str | None = None  # the report's own date (ISO), where it states one


@dataclass
class Citation:
    """A cited evidence number resolved to a verified span of the source file."""

    n: int
    source: str
    title: str
    publisher: str | None
    quote: str
    start: int
    end: int
    date: str | None = None  # the report's own date (ISO), where it states one
    page: int | None = None  # for a PDF: the page the quote starts on (from 1)


@dataclass
class Claim:
    """One report's figure for a disputed quantity, and who it attributes it to."""

    value: str  # as written in the report, e.g. "12,000" or "could not yet confirm"
    number: float  # normalised, e.g. 12000 (for a stance: its order of appearance)
    unit: str  # "troops" or "brigades"; for a stance: "confirmed", "not confirmed", ...
    attributed_to: str
    source: str
    title: str
    n: int  # evidence number that states it
    date: str | None = None  # when it was said (ISO): the date its sentence states, else the report's
    date_text: str | None = None  # the date as its sentence writes it ("Oct. 19"), resolved or not
    # what the figure counts (rag.qualifiers): "already there", "by December", "near Kursk"
    status: str = ""
    timeframe: str = ""
    place: str = ""
    speaker_normalised: str = ""  # one name per source: "NIS" for "Seoul's spy agency"


@dataclass
class Conflict:
    """Reports giving different figures for the same kind of quantity (``kind`` "figure"), or
    different stances on whether something is confirmed (``kind`` "stance", ``unit`` "")."""

    unit: str
    claims: list[Claim]
    kind: str = "figure"
    label: str = ""  # what the group counts, e.g. "already there", "expected by December"


@dataclass
class Answer:
    """The result of one question. ``answerable`` is False for a refusal."""

    question: str
    answer: str
    answerable: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    model: str = ""
    standalone_question: str = ""
    refusal_reason: str | None = None
    complete: bool = True  # False when a stream was cut before the model finished
    warnings: list[str] = field(default_factory=list)  # e.g. history trimmed to its cap
    timings_ms: dict[str, float] = field(default_factory=dict)
    # shown after the answer, never part of it: the disagreements in words, "[Cut at ...]"
    notes: list[str] = field(default_factory=list)
    lead: int = 0  # how many of the notes come before the text (see text_with_notes)

    @property
    def text_with_notes(self) -> str:
        """The answer as a reader sees it: the text, then each note in its own paragraph (the
        first ``lead`` notes before the text: the figures that answer the question as asked,
        when the model's text does not give them)."""
        if not self.notes:
            return self.answer
        return "\n\n".join([*self.notes[:self.lead], self.answer, *self.notes[self.lead:]])

    def to_json(self) -> dict[str, Any]:
        """The ``python -m rag ask --json`` contract."""
        return {
            "question": self.question,
            "answer": self.text_with_notes,  # as before notes became a field of their own
            "answerable": self.answerable,
            "citations": [
                {k: c[k] for k in ("n", "source", "title", "quote", "start", "end")}
                | {"publisher": c["publisher"], "date": c["date"], "page": c["page"]}
                for c in (asdict(c) for c in self.citations)
            ],
            "passages": [
                {"source": p.source, "text": p.text, "score": round(p.score, 6),
                 "dense": None if p.dense is None else round(p.dense, 6),
                 "start": p.start, "end": p.end}
                for p in self.passages
            ],
            "conflicts": [asdict(c) for c in self.conflicts],
            "model": self.model,
            "standalone_question": self.standalone_question,
            "refusal_reason": self.refusal_reason,
            "complete": self.complete,
            "warnings": self.warnings,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "notes": list(self.notes),
            "lead": self.lead,
        }
