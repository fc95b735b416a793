"""The conversation kept in the browser session, as the engine and a Markdown file see it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rag.types import Answer
from rag.ui.render import escape_inline, escape_markdown


@dataclass
class ChatMessage:
    """One chat bubble: a question, an answer (with its ``Answer``), or an error."""

    role: str  # "user" or "assistant"
    content: str
    answer: Answer | None = None
    error: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def history(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """The engine's chat history: questions and answers, without error messages.

    A question whose answer failed is dropped too, so the history stays a dialogue.
    """
    out: list[dict[str, str]] = []
    for msg in messages:
        if msg.role == "assistant" and msg.error is None:
            if out and out[-1]["role"] == "user":
                out.append({"role": "assistant", "content": msg.content})
        elif msg.role == "user":
            if out and out[-1]["role"] == "user":
                out.pop()
            out.append({"role": "user", "content": msg.content})
    return out


def _quote_block(text: str) -> str:
    return "> " + escape_inline(text)


def _text(text: str) -> str:
    """Untrusted text (question, answer, error) as Markdown that shows exactly this text."""
    return "  \n".join(escape_markdown(line.strip()) for line in text.split("\n"))


def to_markdown(messages: list[ChatMessage], model: str = "") -> str:
    """The conversation as a Markdown file: each answer followed by its numbered sources.

    Every untrusted piece (questions, answers, titles, publishers, file names, quotes) is
    escaped as on the page (``rag.ui.render``), so no viewer renders a link, image or HTML
    from it: ``<img onerror>`` stays text.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Reports chat", "",
             f"Exported {stamp}" + (f" · model {escape_inline(model)}" if model else ""), ""]
    for msg in messages:
        if msg.role == "user":
            lines += ["## Question", "", _text(msg.content), ""]
            continue
        if msg.error is not None:
            lines += ["## Error", "", _text(msg.error), ""]
            continue
        answer = msg.answer
        lines += ["## Answer", "", _text(msg.content), ""]
        if answer is None:
            continue
        if not answer.answerable and answer.refusal_reason:
            lines += [f"*(Not answered: {escape_inline(answer.refusal_reason)}.)*", ""]
        if answer.citations:
            lines += ["Sources:", ""]
            for c in answer.citations:
                who = f", {c.publisher}" if c.publisher else ""
                label = escape_inline(f"[{c.n}] {c.title}{who} ({c.source}, "
                                      f"characters {c.start}-{c.end})")
                lines += [label, "", _quote_block(c.quote), ""]
    return "\n".join(lines).rstrip() + "\n"
