r"""Untrusted text (reports, questions, model output) as Markdown that can only show text.

The app never passes ``unsafe_allow_html``, so Streamlit shows raw HTML as text; but its
Markdown still renders links, images, ``:color[...]`` directives, math and bare URLs. So
every ASCII punctuation character is backslash-escaped (CommonMark allows that for all of
them), and where GitHub-style autolinking would still fire on plain text (``://``, ``www.``,
``@``) an invisible word joiner (U+2060) is inserted:

    >>> escape_markdown("**hi** <b>")
    '\\*\\*hi\\*\\* \\<b\\>'

Highlights and citation badges are added *after* escaping, by this module only.
"""

from __future__ import annotations

import re

from rag.figures import UNATTRIBUTED
from rag.timeline import TimelineEntry, describe
from rag.types import Answer

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
_MARKER = re.compile(r"\\\[(\d+)\\\]")  # an escaped citation marker: \[3\]
HIGHLIGHT = "orange-background"


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that renders as exactly this text (plus invisible word joiners)."""
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, text))


def escape_inline(text: str) -> str:
    """Escaped, on one line: for labels, quotes and table-like lines."""
    return escape_markdown(" ".join(text.split()))


def answer_markdown(text: str) -> str:
    """An answer with its citation markers ``[n]`` shown as badges; everything else escaped.

    Paragraphs are kept; single newlines become line breaks.
    """
    lines = [escape_markdown(line.strip()) for line in text.split("\n")]
    return _MARKER.sub(r":blue-badge[\1]", "  \n".join(lines))


def highlight_markdown(text: str, start: int, end: int, context: int = 20_000) -> str:
    r"""The report ``text`` with ``text[start:end]`` highlighted, as escaped Markdown.

    Lines are kept as line breaks (blank lines as paragraphs); a span across lines is
    highlighted on each line. A very long report is cut to ``context`` characters on
    each side of the span, with "…" where it was cut.

        >>> highlight_markdown("Peskov denied it. Kyiv agreed.", 0, 17)
        ':orange-background[Peskov denied it\\.] Kyiv agreed\\.'
    """
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    lo, hi = max(0, start - context), min(len(text), end + context)
    lines, pos = [], lo
    for line in text[lo:hi].split("\n"):
        a, b = pos, pos + len(line)
        pos = b + 1
        a += len(line) - len(line.lstrip())  # leading spaces would start a code block
        b = max(a, b - (len(line) - len(line.rstrip())))
        s, e = max(a, start), min(b, end)
        if s < e and text[s:e].strip():
            lines.append(escape_markdown(text[a:s]) + f":{HIGHLIGHT}["
                         + escape_markdown(text[s:e]) + "]" + escape_markdown(text[e:b]))
        else:
            lines.append(escape_markdown(text[a:b]))
    body = "  \n".join(lines)
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(text) else "")


def conflict_rows(answer: Answer) -> list[dict[str, str]]:
    """One row per figure or stance, grouped by what is counted (the groups in the engine's
    order, each oldest first): the figure in full, what it counts, who said it (one name per
    source, the report's own words beside it when they differ), when, and the report."""
    rows = []
    for conflict in answer.conflicts:
        for claim in conflict.claims:
            what = [claim.status, claim.timeframe, claim.place] if conflict.kind == "figure" \
                else [claim.unit]
            counts = ", ".join(w for w in what if w)
            who = claim.speaker_normalised or claim.attributed_to
            if claim.attributed_to not in (who, UNATTRIBUTED):
                who = f"{who} ({claim.attributed_to})"
            rows.append({"Figure": f"{claim.value} {conflict.unit}".strip(),
                         "What it counts": counts, "Said by": who,
                         "When": claim.date or claim.date_text or "",
                         "Report": f"[{claim.n}] {claim.title}"})
    return rows


def passage_rows(answer: Answer) -> list[dict[str, object]]:
    """The retrieved passages, best first, with their scores (for the "why" view)."""
    return [{"#": i, "Report": p.source, "Fused score": round(p.score, 4),
             "Cosine": None if p.dense is None else round(p.dense, 3),
             "Keyword": None if p.keyword is None else round(p.keyword, 3),
             "Passage": " ".join(p.text.split())}
            for i, p in enumerate(answer.passages, 1)]


def timeline_rows(entries: list[TimelineEntry]) -> list[dict[str, str]]:
    """The timeline as table rows, earliest first: when, what (the verbatim quote), where.
    Cells are plain text (a dataframe never renders Markdown or HTML)."""
    return [{"When": describe(e), "Quote": " ".join(e.quote.split()),
             "Source": f"[{e.n}]" if e.n else "", "Report": e.title}
            for e in entries]


def source_label(n: int, title: str, publisher: str | None, date: str | None = None,
                 page: int | None = None) -> str:
    """``[n] Title · Publisher · 2024-10-23 · p. 3`` as Markdown (badge, escaped title, italic
    publisher, the report's date and a PDF quote's page where known)."""
    who = f" · *{escape_inline(publisher)}*" if publisher else ""
    when = f" · {escape_inline(date)}" if date else ""
    where = f" · p\\. {int(page)}" if page else ""
    return f":blue-badge[{n}] **{escape_inline(title)}**{who}{when}{where}"
