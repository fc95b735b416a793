"""The OpenAI chat-completions format: requests in, responses and stream chunks out.

The last user message is the question and the earlier user and assistant messages its
history; system messages are ignored (the engine's own instructions apply). Every answer's
content ends with a "Sources" block, so that any OpenAI client shows the quotes (as Markdown
that cannot fetch anything or make HTML: see ``citation_line`` and ``for_display``):

    >>> c = Citation(2, "003.txt", "Seoul weighs response", "Kyiv Post", "about 1,500  troops", 0, 9)
    >>> print(sources_block([c]))
    <BLANKLINE>
    <BLANKLINE>
    Sources:
    [2] “about 1,500 troops” — Seoul weighs response (Kyiv Post)

and the citations travel as data too: ``citations`` and ``rag`` (the ``ask --json`` object)
are extra fields of the response and of the last stream chunk.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rag.errors import InputError
from rag.safety import strip_links
from rag.types import Answer, Citation

SOURCES_HEADING = "\n\nSources:\n"


class ChatMessageIn(BaseModel):
    """One message as OpenAI clients send it (content: a string or a list of text parts)."""

    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions``; other OpenAI fields (temperature, ...) are accepted and
    ignored: answers are greedy and grounded."""

    model_config = ConfigDict(extra="allow")
    model: str = ""
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    sources: list[str] | None = None  # ask only these reports
    k: int | None = None


class AskRequest(BaseModel):
    """``POST /ask``: the ``python -m rag ask`` options as JSON."""

    model_config = ConfigDict(extra="forbid")
    question: str
    history: list[dict[str, Any]] | None = None
    sources: list[str] | None = None
    k: int | None = None
    model: str = ""


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = [p.get("text", "") for p in content if p.get("type") == "text"]
    if len(parts) != len(content):
        raise InputError("Only text message parts are supported; send images and files as "
                         "reports (POST /reports) instead.")
    return "".join(parts)


def strip_sources(content: str) -> str:
    """An earlier answer without the Sources block this server appended to it."""
    return content.split(SOURCES_HEADING, 1)[0]


def split_messages(messages: list[ChatMessageIn]) -> tuple[str, list[dict[str, str]]]:
    """(question, history): the last message must be the user's question."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    unknown = sorted({m.role for m in messages} - {"user", "assistant", "system", "developer"})
    if unknown:
        raise InputError(f"Unsupported message role(s): {', '.join(unknown)}; send user and "
                         f"assistant messages (system messages are ignored).")
    if not turns or turns[-1].role != "user":
        raise InputError("The last message must be the user's question (role \"user\").")
    history = [{"role": m.role, "content": strip_sources(_text(m.content))
                if m.role == "assistant" else _text(m.content)} for m in turns[:-1]]
    return _text(turns[-1].content), history


def for_display(text: str) -> str:
    r"""Text for a client that renders Markdown: ``<`` and ``>`` backslash-escaped, so that
    no HTML is made from a report or an answer (escapes compose, piece by piece).

        >>> for_display("<img src=x onerror=alert(1)>")
        '\\<img src=x onerror=alert(1)\\>'
    """
    return text.replace("<", "\\<").replace(">", "\\>")


def citation_line(c: Citation) -> str:
    """One Sources line. Report text is untrusted: images, links and URLs are removed from
    the quote and the title shown here (``citations`` keeps the exact quote)."""
    quote = strip_links(" ".join(c.quote.split()))
    who = f" ({strip_links(c.publisher)})" if c.publisher else ""
    return for_display(f"[{c.n}] “{quote}” — {strip_links(c.title)}{who}")


def sources_block(citations: list[Citation]) -> str:
    """The text appended to an answer: one line per citation (see the module docstring)."""
    if not citations:
        return ""
    return SOURCES_HEADING + "\n".join(citation_line(c) for c in citations)


def finish_reason(answer: Answer) -> str:
    return "stop" if answer.complete else "length"


def extras(answer: Answer) -> dict[str, Any]:
    shown = answer.to_json()
    return {"citations": shown["citations"], "rag": shown}


def new_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def completion(answer: Answer, model: str) -> dict[str, Any]:
    """A whole ``chat.completion`` object for an answer (its text as ``ask --json`` has it,
    with any notes, then the Sources block)."""
    data = extras(answer)
    return {
        "id": new_id(), "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason(answer),
                     "message": {"role": "assistant",
                                 "content": for_display(data["rag"]["answer"])
                                 + sources_block(answer.citations)}}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **data,
    }


class ChunkWriter:
    """Server-sent events of ``chat.completion.chunk`` objects for one streamed answer."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = new_id(), int(time.time()), model

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def text(self, piece: str, first: bool = False) -> str:
        piece = for_display(piece)
        return self.chunk({"role": "assistant", "content": piece} if first
                          else {"content": piece})

    def ending(self, answer: Answer, streamed: str) -> list[str]:
        """What follows the streamed text: a withdrawal note if the engine refused after
        streaming, the Sources block, then the last chunk with the citations as data."""
        out = []
        if not answer.answerable and streamed.strip() and streamed.strip() != answer.answer:
            out.append(self.text(f"\n\n[Withdrawn: {answer.answer}]"))
        if answer.answerable and answer.citations:
            out.append(self.chunk({"content": sources_block(answer.citations)}))
        out.append(self.chunk({}, finish_reason(answer), **extras(answer)))
        out.append("data: [DONE]\n\n")
        return out

    def error(self, message: str, kind: str) -> str:
        """An error after the stream began (the status line is already sent)."""
        return f"data: {json.dumps({'error': {'message': message, 'type': kind}})}\n\n"
