"""The conversation kept in the browser session, as the engine and a Markdown file see it.

A chat bubble is a :class:`rag.conversations.Message`, the type the conversation store saves.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rag.conversations import Message as ChatMessage
from rag.conversations import dialogue
from rag.errors import InputError
from rag.ui.render import escape_inline, escape_markdown

__all__ = ["ChatMessage", "history", "read_conversation_file", "to_json_file", "to_markdown"]


def history(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """The engine's chat history: questions and answers, without error messages.

    A question whose answer failed is dropped too, so the history stays a dialogue.
    """
    return [{"role": m.role, "content": m.content} for m in dialogue(messages)]


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


MAX_IMPORT_BYTES = 5_000_000


def read_conversation_file(data: bytes) -> list:
    """The messages of an uploaded conversation file (the JSON the app exports)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(f"The file is {len(data) / 1e6:.1f} MB; a conversation file is at "
                         f"most {MAX_IMPORT_BYTES / 1e6:.0f} MB.")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"The file is not JSON ({exc}); import a conversation exported as "
                         f"JSON from this app or from `python -m rag conversations --export`.") \
            from None


def to_json_file(messages: list) -> str:
    """The JSON export of messages the store returned (see ``ConversationStore.export_json``)."""
    return json.dumps(messages, ensure_ascii=False, indent=1) + "\n"
