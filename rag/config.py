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
SUPPORT_JUDGES = ("off", "model")  # RAG_SUPPORT_JUDGE (rag/support_judge.py)

# field name -> (environment variable, default, type, help). The README's settings table is
# generated from this (`python -m rag.config`), and tests/test_docs.py checks that it matches.
_SPEC: dict[str, tuple[str, Any, type, str]] = {
    "data_dir": ("RAG_DATA_DIR", str(PROJECT_ROOT / "data"), Path,
             'Where the index, uploads and feedback live.'),
    "corpus_dir": ("RAG_CORPUS_DIR", str(PROJECT_ROOT / "seeds"), Path,
             'Reports indexed by default (and on the first question if nothing is indexed).'),
    "llm": ("RAG_LLM", "local", str,
             'Model spec (table above).'),
    "embeddings": ("RAG_EMBEDDINGS", "local:all-minilm-l6-v2", str,
             '`local:all-minilm-l6-v2` (int8 ONNX), `local:all-minilm-l6-v2-fp32` (the fp32 weights '
             "on numpy: sentence-transformers' vectors, slightly better ranking, about a third of "
             'the speed to add reports; also reads indexes built by earlier torch versions) or '
             '`openai:MODEL` (e.g. `openai:text-embedding-3-small`). The index records which model '
             'built it; a mismatch is an error that says how to re-index.'),
    "collection": ("RAG_COLLECTION", "reports", str,
             'Chroma collection name.'),
    "chroma_host": ("CHROMA_HOST", None, str,
             'Use a Chroma server over HTTP instead of the embedded store (unset: embedded).'),
    "chroma_port": ("CHROMA_PORT", 8000, int,
             "The Chroma server's port."),
    "k": ("RAG_K", 6, int,
             'Passages retrieved per question (1–50).'),
    "max_evidence": ("RAG_MAX_EVIDENCE", 6, int,
             'Numbered sentences shown to the model (plus the sentence before one that opens with "he", '
             '"she", "they"...). Fewer is faster: each costs ~35 prompt tokens.'),
    "min_relevance": ("RAG_MIN_RELEVANCE", 0.25, float,
             "Refuse without calling the model when the best passage’s cosine similarity is below this "
             '(measured: "capital of France" 0.06; real questions 0.36 and up).'),
    "answer_format": ("RAG_ANSWER_FORMAT", "free", str,
                      '`free` (free text, `NOT IN REPORTS` refuses) or `cite-first` (the model '
                      'first names the evidence numbers that answer, or none, then writes cited '
                      'sentences, enforced by a grammar; embedded models only, 3x slower here); '
                      '`auto`: cite-first for embedded llama.cpp models, free for remote ones.'),
    "support_judge": ("RAG_SUPPORT_JUDGE", "off", str,
                      '`off` (the lexical support check alone) or `model`: the answering model '
                      'also reads each answer sentence against each evidence sentence it cites '
                      'and says yes or no (`rag/support_judge.py`; ~1.2 s per cited sentence here '
                      'with the embedded model, which reads relations only weakly: more refusals, '
                      'right and wrong; for stronger models).'),
    "max_question_chars": ("RAG_MAX_QUESTION_CHARS", 1000, int,
             'Longest accepted question.'),
    "max_history_messages": ("RAG_MAX_HISTORY", 20, int,
             'Chat messages kept as context (0: none).'),
    "max_tokens": ("RAG_MAX_TOKENS", 200, int,
             'Longest answer, in tokens.'),
    "llm_timeout": ("RAG_LLM_TIMEOUT", 60.0, float,
             'Seconds before a remote model call fails.'),
    "llm_retries": ("RAG_LLM_RETRIES", 2, int,
             'Retries with backoff for 429/5xx answers.'),
    "model_cache_dir": ("RAG_MODEL_CACHE", str(Path.home() / ".cache" / "rag-models"), Path,
             'Where embedded GGUF models are assembled.'),
    "n_threads": ("RAG_THREADS", max(1, os.cpu_count() or 1), int,
             'Threads for the embedded model.'),
    "openai_api_key": ("OPENAI_API_KEY", None, str,
             'Key for `openai:MODEL` (and `RAG_EMBEDDINGS=openai:...`).'),
    "openai_base_url": ("OPENAI_BASE_URL", None, str,
             'Server URL for `openai-compatible:MODEL`.'),
    "ollama_base_url": ("OLLAMA_BASE_URL", "http://127.0.0.1:11434", str,
             'Ollama server URL.'),
    "api_key": ("RAG_API_KEY", None, str,
                "Bearer token the API server (`python -m rag serve`) requires; needed to "
                "listen beyond loopback."),
    "api_max_queue": ("RAG_API_MAX_QUEUE", 8, int,
                      "Questions the API server admits at once (answering or waiting); more "
                      "get 429."),
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
    answer_format: str
    support_judge: str
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
    api_key: str | None = field(default=None, repr=False)
    api_max_queue: int = 8

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
                          ("max_tokens", 16), ("chroma_port", 1), ("n_threads", 1),
                          ("api_max_queue", 1)):
            if getattr(self, name) < low:
                option = _OPTIONS.get(name)
                raise ConfigError(f"{name} must be at least {low}; "
                                  + (f"pass {option} N or " if option else "")
                                  + f"set {_SPEC[name][0]}.")
        if self.answer_format not in ("auto", "free", "cite-first"):
            raise ConfigError(f"answer_format={self.answer_format!r} is not one of auto, free, "
                              f"cite-first; set {_SPEC['answer_format'][0]}.")
        if self.support_judge not in SUPPORT_JUDGES:
            raise ConfigError(f"support_judge={self.support_judge!r} is not one of "
                              f"{', '.join(SUPPORT_JUDGES)}; set {_SPEC['support_judge'][0]}.")
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


_SHOWN_DEFAULTS = {"RAG_DATA_DIR": "`./data`", "RAG_CORPUS_DIR": "`./seeds`",
                   "RAG_MODEL_CACHE": "`~/.cache/rag-models`", "RAG_THREADS": "CPU count"}


def settings_table() -> str:
    """The README's settings table (Markdown), made from ``_SPEC``: one row per variable."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for var, default, _typ, help_text in _SPEC.values():
        shown = _SHOWN_DEFAULTS.get(var) or ("unset" if default is None else f"`{default:g}`"
                                             if isinstance(default, float) else f"`{default}`")
        rows.append(f"| `{var}` | {shown} | {help_text} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m rag.config: print the table for the README
    print(settings_table())
