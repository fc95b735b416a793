"""The conversation kept in the browser session, as the engine and a Markdown file see it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rag.types import Answer


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
    return "\n".join("> " + line for line in " ".join(text.split()).splitlines())


def to_markdown(messages: list[ChatMessage], model: str = "") -> str:
    """The conversation as a Markdown file: each answer followed by its numbered sources."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Reports chat", "", f"Exported {stamp}" + (f" · model {model}" if model else ""), ""]
    for msg in messages:
        if msg.role == "user":
            lines += ["## Question", "", msg.content, ""]
            continue
        if msg.error is not None:
            lines += ["## Error", "", msg.error, ""]
            continue
        answer = msg.answer
        lines += ["## Answer", "", msg.content, ""]
        if answer is None:
            continue
        if not answer.answerable and answer.refusal_reason:
            lines += [f"*(Not answered: {answer.refusal_reason}.)*", ""]
        if answer.citations:
            lines += ["Sources:", ""]
            for c in answer.citations:
                who = f", {c.publisher}" if c.publisher else ""
                lines += [f"[{c.n}] {c.title}{who} ({c.source}, characters {c.start}-{c.end})",
                          "", _quote_block(c.quote), ""]
    return "\n".join(lines).rstrip() + "\n"
