"""What the Streamlit app (``app.py``) needs besides rendering: pure Python, testable alone.

- ``render``        untrusted text as escaped Markdown; the quote highlight; table rows
- ``models``        building the store, models and engines; the model choices offered
- ``corpus``        uploads with safe names, indexing and removing reports, report text
- ``conversation``  chat messages, the engine's history, the Markdown and JSON files
- ``feedback``      ratings appended to ``RAG_DATA_DIR/feedback.jsonl``

Nothing here imports Streamlit, loads a model or opens a database at import time.
"""

from rag.ui.conversation import (
    ChatMessage,
    history,
    read_conversation_file,
    to_json_file,
    to_markdown,
)
from rag.ui.corpus import (
    UPLOAD_TYPES,
    find_reports,
    index_uploads,
    remove_report,
    report_text,
    safe_upload_name,
)
from rag.ui.feedback import write_feedback
from rag.ui.models import (
    ModelChoice,
    WarmingEngine,
    make_conversations,
    make_engine,
    make_store,
    model_choices,
)
from rag.ui.render import (
    answer_markdown,
    conflict_rows,
    escape_inline,
    escape_markdown,
    highlight_markdown,
    passage_rows,
    source_label,
    timeline_rows,
)

__all__ = [
    "UPLOAD_TYPES", "ChatMessage", "ModelChoice", "WarmingEngine", "answer_markdown",
    "conflict_rows", "escape_inline", "escape_markdown", "find_reports", "highlight_markdown", "history",
    "index_uploads", "make_conversations", "make_engine", "make_store", "model_choices",
    "passage_rows", "read_conversation_file", "remove_report", "report_text",
    "safe_upload_name", "source_label", "timeline_rows", "to_json_file", "to_markdown",
    "write_feedback",
]
