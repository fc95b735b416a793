"""Grounded question answering over news reports, with verified quotes.

Importing ``rag`` loads no model, opens no database and reads no key: heavy
objects are built by :func:`rag.engine.build_engine` (or injected by the caller).
"""

from rag.errors import RagError
from rag.types import Answer, Citation, Claim, Conflict, Evidence, Passage

__all__ = ["Answer", "Citation", "Claim", "Conflict", "Evidence", "Passage", "RagError"]
