"""Chunks: runs of whole sentences inside one block of kept text, with a small overlap.

A chunk never crosses dropped furniture, so its text is a plain slice of the original:
``report.original[chunk.start:chunk.end] == chunk.text``.

With ``max_chars=60, overlap=1`` and sentences A (30 chars), B (25), C (30) in one block,
the chunks are A+B and B+C: B is repeated so a fact split across them is still found whole.
"""

from __future__ import annotations

import hashlib

from rag.types import Chunk, Report, Span

# Bumped whenever the same text would be cut into other chunks (the sentence splitter, the
# sizes below), so a cached index can tell it is out of date: 2 = hard-wrapped lines of one
# sentence are one sentence (rag.text.paragraphs_with_offsets).
VERSION = 2


def chunk_id(source: str, start: int, text: str) -> str:
    """Deterministic id from the source and the content (and where it starts)."""
    return hashlib.sha256(f"{source}\x00{start}\x00{text}".encode()).hexdigest()[:32]


def _groups(sentences: list[Span], max_chars: int, overlap: int) -> list[list[Span]]:
    groups: list[list[Span]] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j].end - sentences[i].start <= max_chars:
            j += 1
        groups.append(sentences[i:j])
        if j >= len(sentences):
            break
        i = max(i + 1, j - overlap)
    return groups


def chunk_report(report: Report, max_chars: int = 700, overlap: int = 1) -> list[Chunk]:
    """Split a cleaned report into chunks of about ``max_chars`` characters."""
    chunks: list[Chunk] = []
    for block in report.blocks:
        inside = [s for s in report.sentences if block.start <= s.start and s.end <= block.end]
        for group in _groups(inside, max_chars, overlap):
            start, end = group[0].start, group[-1].end
            text = report.original[start:end]
            chunks.append(Chunk(id=chunk_id(report.source, start, text), source=report.source,
                                title=report.title, publisher=report.publisher, text=text,
                                start=start, end=end, index=len(chunks)))
    return chunks
