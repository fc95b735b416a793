"""Feedback on answers, appended as one JSON object per line to ``RAG_DATA_DIR/feedback.jsonl``.

Each line holds the rating with the question, the answer and its citations, so a line
can be read on its own. A changed rating appends a new line; the last one for a
``message_id`` is the current one.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from rag.config import Settings
from rag.types import Answer

RATINGS = {0: "thumbs_down", 1: "thumbs_up"}


def feedback_path(settings: Settings) -> Path:
    return settings.data_dir / "feedback.jsonl"


def write_feedback(settings: Settings, answer: Answer, score: int | None,
                   message_id: str = "") -> Path:
    """Append one rating (``score`` 1 = up, 0 = down, None = withdrawn); returns the file."""
    record = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "message_id": message_id,
        "rating": RATINGS.get(score) if score is not None else None,
        "score": score,
        "question": answer.question,
        "standalone_question": answer.standalone_question,
        "answer": answer.answer,
        "answerable": answer.answerable,
        "citations": [asdict(c) for c in answer.citations],
        "model": answer.model,
    }
    path = feedback_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"), path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
