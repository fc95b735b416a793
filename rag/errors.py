"""The project's exceptions. Every message says what to do next.

    RagError
     ├── ConfigError              a setting is missing or invalid (names the variable)
     │    └── UnknownSpecError    a model or embedding spec string is not recognised
     ├── InputError               a question, history or upload cannot be used
     ├── IngestError              one file could not be indexed (the rest still are)
     ├── StoreError               the vector store cannot be used
     │    ├── StoreUnavailableError   a Chroma server cannot be reached
     │    └── EmbeddingMismatchError  the index was built with another embedding model
     └── ModelError               a language model cannot be loaded or called
          ├── ModelFileError      a model file is missing, truncated or fails its checksum
          └── ProviderError       a remote provider answered with an error or timed out
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: catch this to handle every error the project raises on purpose."""


class ConfigError(RagError):
    """A setting is missing or invalid."""


class UnknownSpecError(ConfigError):
    """A spec string (``--llm``, ``RAG_EMBEDDINGS``) does not name a known backend."""


class InputError(RagError):
    """User input (question, history, upload) that cannot be used as given."""


class IngestError(RagError):
    """A file that cannot be indexed; ingest reports it and goes on with the others."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreError(RagError):
    """The vector store cannot be used."""


class StoreUnavailableError(StoreError):
    """A Chroma server cannot be reached."""


class EmbeddingMismatchError(StoreError):
    """The collection was built by a different embedding model than the one configured."""


class ModelError(RagError):
    """A language model cannot be loaded or called."""


class ModelFileError(ModelError):
    """A model file is missing, truncated or does not match its checksum."""


class ProviderError(ModelError):
    """A remote model provider failed (auth, rate limit, server error, timeout)."""
