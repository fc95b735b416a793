"""Saved conversations: ``RAG_DATA_DIR/conversations.sqlite3`` (the standard library's sqlite3).

Each conversation has an id, a title (its first question), and its messages in order; an
assistant message keeps its whole :class:`~rag.types.Answer` (citations, conflicts, notes,
model, timings) as JSON, so a reopened conversation shows what was shown when it was asked.

Every call opens its own connection (WAL, a busy timeout) and writes inside ``BEGIN
IMMEDIATE``, so the app's threads, the terminal chat and the API server can write to the
same file at once: one writer at a time, readers never blocked.

The JSON export is the ``--history`` format plus each answer, so it can be passed straight
to ``python -m rag ask --history FILE``:

    [{"role": "user", "content": "How many troops?"},
     {"role": "assistant", "content": "About 12,000 [1].", "answer": {...ask --json...}}]
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import InputError, StoreError
from rag.types import Answer, Citation, Claim, Conflict, Evidence, Passage

TITLE_CHARS = 80
_ID = re.compile(r"^[0-9a-f]{12}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL, answer TEXT, error TEXT, created TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position));
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated);
"""


@dataclass
class Message:
    """One stored message: a question, an answer (with its ``Answer``), or an error."""

    role: str  # "user" or "assistant"
    content: str
    answer: Answer | None = None
    error: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


@dataclass
class ConversationInfo:
    """A conversation as the list shows it."""

    id: str
    title: str
    created: str  # ISO 8601, UTC
    updated: str
    messages: int


@dataclass
class Conversation:
    """A conversation with its messages, oldest first."""

    id: str
    title: str
    created: str
    updated: str
    messages: list[Message]

    def history(self) -> list[dict[str, str]]:
        """The engine's history (see :func:`dialogue`)."""
        return [{"role": m.role, "content": m.content} for m in dialogue(self.messages)]


def dialogue(messages: list[Message]) -> list[Message]:
    """The messages that make the engine's history: questions and their answers.

    Errors are left out, and so is a question whose answer failed, so the history stays a
    dialogue: user, assistant, user, ... (a last unanswered question is kept).
    """
    out: list[Message] = []
    for msg in messages:
        if msg.role == "assistant" and msg.error is None:
            if out and out[-1].role == "user":
                out.append(msg)
        elif msg.role == "user":
            if out and out[-1].role == "user":
                out.pop()
            out.append(msg)
    return out


# -- Answer from JSON ----------------------------------------------------------------------------
def _build(cls: type, data: dict[str, Any], **nested: Any) -> Any:
    """``cls(**data)`` keeping only its fields; a missing field without default becomes ""."""
    values = {}
    for f in fields(cls):
        if f.name in nested:
            values[f.name] = nested[f.name]
        elif f.name in data:
            values[f.name] = data[f.name]
        elif f.default is MISSING and f.default_factory is MISSING:
            values[f.name] = ""
    return cls(**values)


_FIELDS = {f.name for f in fields(Answer)}


def answer_from_json(data: dict[str, Any]) -> Answer:
    """Rebuild an :class:`Answer` from ``Answer.to_json()`` (or ``asdict``) output.

    Unknown keys are ignored and missing ones take their defaults, so answers saved by an
    earlier or later version still open: a passage from ``to_json`` has no title, and gets "".
    """
    if not isinstance(data, dict):
        raise InputError("An answer must be a JSON object (the `ask --json` output).")
    conflicts = [_build(Conflict, c, claims=[_build(Claim, x) for x in c.get("claims", [])])
                 for c in data.get("conflicts") or []]
    text, notes = data.get("answer", ""), list(data.get("notes") or [])
    lead = data.get("lead") if isinstance(data.get("lead"), int) else 0
    lead = min(max(lead, 0), len(notes))
    before = "".join(n + "\n\n" for n in notes[:lead])
    after = "".join("\n\n" + n for n in notes[lead:])
    if notes and text.startswith(before) and text.endswith(after) and (
            len(text) >= len(before) + len(after)):  # to_json's answer holds the notes
        text = text[len(before):len(text) - len(after)]
    return _build(
        Answer, data, answer=text,
        citations=[_build(Citation, c) for c in data.get("citations") or []],
        passages=[_build(Passage, p) for p in data.get("passages") or []],
        evidence=[_build(Evidence, e) for e in data.get("evidence") or []],
        conflicts=conflicts,
        warnings=list(data.get("warnings") or []),
        timings_ms=dict(data.get("timings_ms") or {}), lead=lead,
    )


def title_of(question: str) -> str:
    """A conversation's title from its first question: one line, at most ``TITLE_CHARS``.

        >>> title_of("  How many\\n troops   are there?  ")
        'How many troops are there?'
    """
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1].rstrip() + "…"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def check_id(conversation_id: str) -> str:
    """A conversation id as given (a URL, a command line), checked: 12 hex digits."""
    if not isinstance(conversation_id, str) or not _ID.match(conversation_id.strip()):
        raise InputError(f"{conversation_id!r} is not a conversation id (12 hex digits); "
                         f"list them with `python -m rag conversations`.")
    return conversation_id.strip()


class ConversationStore:
    """The conversations in one SQLite file; safe to share across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @classmethod
    def open(cls, settings: Settings) -> ConversationStore:
        return cls(settings.data_dir / "conversations.sqlite3")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                db.row_factory = sqlite3.Row
                yield db
        except sqlite3.Error as exc:
            raise StoreError(f"The conversation store {self.path} cannot be used ({exc}); "
                             f"check the folder's permissions and free space, or move the "
                             f"file away to start a new one.") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlock
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- conversations ---------------------------------------------------------------------
    def create(self, title: str = "") -> str:
        """A new conversation; returns its id. Untitled, it takes its first question's."""
        cid, now = uuid.uuid4().hex[:12], _now()
        with self._write() as db:
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?)",
                       (cid, title_of(title), now, now))
        return cid

    def list(self, search: str = "", limit: int = 50) -> list[ConversationInfo]:
        """Conversations, most recently updated first; ``search`` matches titles and messages
        (case-insensitive, as plain text)."""
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", search.strip()) + "%"
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created, c.updated, "
                "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
                "FROM conversations c WHERE ? = '%%' OR c.title LIKE ? ESCAPE '\\' OR EXISTS "
                "(SELECT 1 FROM messages m WHERE m.conversation_id = c.id "
                " AND m.content LIKE ? ESCAPE '\\') "
                "ORDER BY c.updated DESC, c.rowid DESC LIMIT ?",
                (pattern, pattern, pattern, max(0, limit))).fetchall()
        return [ConversationInfo(r["id"], r["title"], r["created"], r["updated"], r["n"])
                for r in rows]

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]

    def get(self, conversation_id: str) -> Conversation:
        """A conversation with its messages; an unknown id is an :class:`InputError`."""
        cid = check_id(conversation_id)
        with self._connect() as db:
            head = db.execute("SELECT * FROM conversations WHERE id = ?", (cid,)).fetchone()
            rows = db.execute("SELECT * FROM messages WHERE conversation_id = ? "
                              "ORDER BY position", (cid,)).fetchall()
        if head is None:
            raise InputError(f"No conversation {cid}; list them with `python -m rag "
                             f"conversations`.")
        messages = [Message(r["role"], r["content"],
                            answer_from_json(json.loads(r["answer"])) if r["answer"] else None,
                            r["error"], r["id"]) for r in rows]
        return Conversation(head["id"], head["title"], head["created"], head["updated"],
                            messages)

    def rename(self, conversation_id: str, title: str) -> None:
        title = title_of(title or "")
        if not title:
            raise InputError("A conversation's title cannot be empty; type a name.")
        with self._write() as db:
            self._require(db, conversation_id)
            db.execute("UPDATE conversations SET title = ? WHERE id = ?",
                       (title, conversation_id))

    def delete(self, conversation_id: str) -> None:
        with self._write() as db:
            cid = self._require(db, conversation_id)
            db.execute("DELETE FROM messages WHERE conversation_id = ?", (cid,))
            db.execute("DELETE FROM conversations WHERE id = ?", (cid,))

    def _require(self, db: sqlite3.Connection, conversation_id: str) -> str:
        cid = check_id(conversation_id)
        if db.execute("SELECT 1 FROM conversations WHERE id = ?", (cid,)).fetchone() is None:
            raise InputError(f"No conversation {cid}; it may have been deleted. Start a new "
                             f"chat, or list them with `python -m rag conversations`.")
        return cid

    # -- messages --------------------------------------------------------------------------
    def append(self, conversation_id: str, message: Message) -> None:
        """Add a message at the end; the first question also names an untitled conversation."""
        answer = (json.dumps(asdict(message.answer), ensure_ascii=False)
                  if message.answer is not None else None)
        with self._write() as db:
            cid = self._require(db, conversation_id)
            now = _now()
            position = db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM messages "
                                  "WHERE conversation_id = ?", (cid,)).fetchone()[0]
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (cid, position, message.id, message.role, message.content, answer,
                        message.error, now))
            if position == 0 and message.role == "user":
                db.execute("UPDATE conversations SET title = ? WHERE id = ? AND title = ?",
                           (title_of(message.content), cid, ""))
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))

    def append_turn(self, conversation_id: str, question: str, answer: Answer) -> None:
        """Save one question and its answer (its text as ``ask --json`` shows it)."""
        self.append(conversation_id, Message("user", question))
        self.append(conversation_id, Message("assistant", answer.to_json()["answer"],
                                             answer=answer))

    # -- export and import -----------------------------------------------------------------
    def export_json(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation in the ``--history`` format, each answer with its ``ask --json``
        object (see the module docstring)."""
        out: list[dict[str, Any]] = []
        for msg in dialogue(self.get(conversation_id).messages):
            entry: dict[str, Any] = {"role": msg.role, "content": msg.content}
            if msg.answer is not None:
                entry["answer"] = msg.answer.to_json()
            out.append(entry)
        return out

    def import_json(self, data: Any, title: str | None = None) -> str:
        """Save an exported conversation (or any ``--history`` list) as a new one; its id."""
        if not isinstance(data, list) or not data:
            raise InputError("A conversation file must be a non-empty JSON list of "
                             "{\"role\", \"content\"} messages (as exported).")
        messages = []
        for i, item in enumerate(data):
            if (not isinstance(item, dict) or item.get("role") not in ("user", "assistant")
                    or not isinstance(item.get("content"), str)):
                raise InputError(f"Message {i} must be {{\"role\": \"user\"|\"assistant\", "
                                 f"\"content\": \"...\"}}.")
            answer = answer_from_json(item["answer"]) if item.get("answer") else None
            messages.append(Message(item["role"], item["content"], answer=answer))
        first = next((m.content for m in messages if m.role == "user"), "Imported chat")
        cid = self.create(title or first)
        for msg in messages:
            self.append(cid, msg)
        return cid


def export_markdown(conversation: Conversation, model: str = "") -> str:
    """The conversation as Markdown, as the app's download writes it."""
    from rag.ui.conversation import to_markdown

    return to_markdown(conversation.messages, model)
