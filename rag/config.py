"""The one place settings are resolved: explicit argument > environment (and ``.env``) > default.

    >>> s = Settings.resolve(k=4)          # argument wins
    >>> s.k
    4

No other module reads ``os.environ`` for settings. A missing requirement raises
:class:`~rag.errors.ConfigError` naming the variable to set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# field name -> (environment variable, default, type, help)
_SPEC: dict[str, tuple[str, Any, type, str]] = {
    "data_dir": ("RAG_DATA_DIR", str(PROJECT_ROOT / "data"), Path,
                 "Where the index, uploads and feedback live."),
    "corpus_dir": ("RAG_CORPUS_DIR", str(PROJECT_ROOT / "seeds"), Path,
                   "Reports indexed by default (and on first question if nothing is indexed)."),
    "llm": ("RAG_LLM", "local", str, "Model spec: local, local:NAME, gguf:PATH, openai:MODEL, "
            "openai-compatible:MODEL, ollama:MODEL."),
    "embeddings": ("RAG_EMBEDDINGS", "local:all-minilm-l6-v2", str,
                   "Embedding spec: local:all-minilm-l6-v2 or openai:MODEL."),
    "collection": ("RAG_COLLECTION", "reports", str, "Chroma collection name."),
    "chroma_host": ("CHROMA_HOST", None, str, "Chroma server host; unset = embedded store."),
    "chroma_port": ("CHROMA_PORT", 8000, int, "Chroma server port."),
    "k": ("RAG_K", 6, int, "Passages retrieved per question."),
    "max_evidence": ("RAG_MAX_EVIDENCE", 6, int,
                     "Numbered sentences shown to the model (plus the sentence before one that "
                     "opens with \"he\", \"she\" or \"they\")."),
    "min_relevance": ("RAG_MIN_RELEVANCE", 0.25, float,
                      "Refuse without asking the model when the best passage's cosine "
                      "similarity is below this."),
    "max_question_chars": ("RAG_MAX_QUESTION_CHARS", 1000, int, "Longest accepted question."),
    "max_history_messages": ("RAG_MAX_HISTORY", 20, int, "Chat messages kept as context (0: none)."),
    "max_tokens": ("RAG_MAX_TOKENS", 200, int, "Longest answer, in tokens."),
    "llm_timeout": ("RAG_LLM_TIMEOUT", 60.0, float, "Seconds before a remote model call fails."),
    "llm_retries": ("RAG_LLM_RETRIES", 2, int, "Retries (with backoff) for 429/5xx answers."),
    "model_cache_dir": ("RAG_MODEL_CACHE", str(Path.home() / ".cache" / "rag-models"), Path,
                        "Where local GGUF models are assembled from their packages."),
    "n_threads": ("RAG_THREADS", max(1, os.cpu_count() or 1), int,
                  "CPU threads for the local model."),
    "openai_api_key": ("OPENAI_API_KEY", None, str, "Key for openai:MODEL."),
    "openai_base_url": ("OPENAI_BASE_URL", None, str,
                        "Server URL for openai-compatible:MODEL (e.g. http://127.0.0.1:8080/v1)."),
    "ollama_base_url": ("OLLAMA_BASE_URL", "http://127.0.0.1:11434", str, "Ollama server URL."),
}


_OPTIONS = {"k": "--k"}  # settings that also have a command-line option
_FROM_DOTENV: set[str] = set()  # variables that the working directory's .env set


def _load_dotenv() -> None:
    """Read ``.env`` from the working directory into the environment (never overriding it)."""
    try:
        from dotenv import dotenv_values, load_dotenv
    except ImportError:  # pragma: no cover - python-dotenv is a pinned requirement
        return
    path = Path.cwd() / ".env"
    if path.is_file():
        _FROM_DOTENV.update(k for k, v in dotenv_values(path).items()
                            if v is not None and k not in os.environ)
    load_dotenv(path, override=False)


def from_dotenv() -> set[str]:
    """Names of the variables that a ``.env`` file (not the environment) set, so the CLI can
    say when a ``.env`` chose the model or server."""
    return set(_FROM_DOTENV)


def _convert(name: str, env: str, raw: Any, typ: type) -> Any:
    if raw is None or isinstance(raw, typ):
        return raw
    try:
        if typ is Path:
            return Path(str(raw)).expanduser()
        return typ(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"Invalid value {raw!r} for {name}: expected {typ.__name__}. "
            f"Fix the {env} environment variable (or the matching option)."
        ) from None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    corpus_dir: Path
    llm: str
    embeddings: str
    collection: str
    chroma_host: str | None
    chroma_port: int
    k: int
    max_evidence: int
    min_relevance: float
    max_question_chars: int
    max_history_messages: int
    max_tokens: int
    llm_timeout: float
    llm_retries: int
    model_cache_dir: Path
    n_threads: int
    openai_api_key: str | None = field(repr=False)
    openai_base_url: str | None
    ollama_base_url: str

    @classmethod
    def resolve(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings: ``overrides`` (not None) > ``env`` (default: os.environ + .env) > default."""
        if env is None:
            _load_dotenv()
            env = dict(os.environ)
        unknown = set(overrides) - set(_SPEC)
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        values = {}
        for name, (var, default, typ, _help) in _SPEC.items():
            raw = overrides.get(name)
            if raw is None:
                raw = env.get(var) or default
            values[name] = _convert(name, var, raw, typ)
        settings = cls(**values)
        settings._check()
        return settings

    def _check(self) -> None:
        for name, low in (("k", 1), ("max_evidence", 1), ("max_question_chars", 1),
                          ("max_tokens", 16), ("chroma_port", 1), ("n_threads", 1)):
            if getattr(self, name) < low:
                option = _OPTIONS.get(name)
                raise ConfigError(f"{name} must be at least {low}; "
                                  + (f"pass {option} N or " if option else "")
                                  + f"set {_SPEC[name][0]}.")
        if self.k > 50:
            raise ConfigError(f"k={self.k} is above the cap of 50; pass --k 1 to 50 or set "
                              f"{_SPEC['k'][0]} lower.")
        if self.max_history_messages < 0:
            raise ConfigError(f"max_history_messages={self.max_history_messages} is negative; "
                              f"set {_SPEC['max_history_messages'][0]} to 0 (no history) or "
                              f"more.")

    def require(self, name: str, why: str) -> Any:
        """Return a setting or raise an error naming the environment variable to set."""
        value = getattr(self, name)
        if value in (None, ""):
            raise ConfigError(f"{why} needs {_SPEC[name][0]}: set it in the environment or in .env.")
        return value

    def replace(self, **overrides: Any) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, value in overrides.items():
            if value is not None:
                var, _d, typ, _h = _SPEC[key]
                values[key] = _convert(key, var, value, typ)
        settings = Settings(**values)
        settings._check()
        return settings

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, help) rows for the README and ``python -m rag settings``."""
    return [(var, "" if d is None else str(d), h) for var, d, _t, h in _SPEC.values()]
