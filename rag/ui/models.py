"""What the app builds (store, chat models, engines) and which models it offers.

The app caches what these functions return with ``st.cache_resource``. Models come from the
one registry (``rag.llms``); tests pick a ``scripted:NAME`` spec instead of patching.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel

from rag.config import Settings
from rag.conversations import ConversationStore
from rag.engine import Engine, build_engine
from rag.llms import SPEC_FORMS, build_chat_model, canonical
from rag.llms.local_models import CATALOG, DEFAULT_LOCAL
from rag.store import ReportStore

__all__ = ["SPEC_FORMS", "ModelChoice", "WarmingEngine", "make_chat_model",
           "make_conversations", "make_embeddings", "make_engine", "make_store",
           "model_choices"]

log = logging.getLogger(__name__)


def make_embeddings(settings: Settings) -> Embeddings:
    from rag.embeddings import build_embeddings

    return build_embeddings(settings)


def make_store(settings: Settings) -> ReportStore:
    """The report store, shared by every model and every browser tab."""
    return ReportStore.open(settings, make_embeddings(settings))


def make_conversations(settings: Settings) -> ConversationStore:
    """The saved conversations, shared by every browser tab."""
    return ConversationStore.open(settings)


def make_chat_model(spec: str, settings: Settings) -> BaseChatModel:
    return build_chat_model(spec, settings)


def make_engine(spec: str, settings: Settings, store: ReportStore) -> Engine:
    """An engine answering with model ``spec`` over the shared ``store``."""
    return build_engine(settings, llm=make_chat_model(spec, settings), store=store,
                        model_name=canonical(spec))


class WarmingEngine:
    """An engine getting ready in a background thread (``Engine.warm_up``: the embedded
    model's weights and system prompt), so that the page is drawn and usable meanwhile;
    a question asked before it is ready waits for it (``wait``).

    A failed warm-up is kept in ``error`` for the page to show; the engine stays usable, and
    the first question reports the same problem as its answer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.error: str | None = None
        self._done = threading.Event()
        threading.Thread(target=self._warm, name="warm-up", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.engine.warm_up()
        except Exception as exc:  # noqa: BLE001 - shown on the page, raised again when asked
            log.warning("Getting %s ready failed: %s", self.engine.model_name, exc)
            self.error = str(exc)
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up has finished (or ``timeout`` seconds); True if it has."""
        return self._done.wait(timeout)


@dataclass(frozen=True)
class ModelChoice:
    """A model the sidebar lists: usable now (``hint`` is None) or what to set to use it."""

    spec: str
    label: str
    hint: str | None = None

    @property
    def available(self) -> bool:
        return self.hint is None


def _configured(settings: Settings, provider: str) -> str | None:
    """The model name after ``provider:`` in RAG_LLM, if RAG_LLM names that provider."""
    head, _, name = canonical(settings.llm).partition(":")
    return name if head == provider and name else None


def model_choices(settings: Settings) -> list[ModelChoice]:
    """Embedded models, the configured model, and each provider (configured or not).

    A provider that is not configured is listed with what to set, never offered.
    """
    current = canonical(settings.llm)
    choices = [ModelChoice(f"local:{name}", f"{name} (embedded"
                           + (", default)" if name == DEFAULT_LOCAL else ")"))
               for name in CATALOG]
    if current.startswith("gguf:"):
        choices.append(ModelChoice(current, f"{current} (GGUF file)"))

    model = _configured(settings, "openai") or "gpt-4o-mini"
    choices.append(ModelChoice(
        f"openai:{model}", f"{model} (OpenAI)",
        None if settings.openai_api_key else
        "OpenAI: set OPENAI_API_KEY (and RAG_LLM=openai:MODEL to pick the model)."))

    model = _configured(settings, "openai-compatible")
    choices.append(ModelChoice(
        f"openai-compatible:{model or 'MODEL'}", f"{model} (OpenAI-compatible server)",
        None if model and settings.openai_base_url else
        "OpenAI-compatible server: set OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1) "
        "and RAG_LLM=openai-compatible:MODEL."))

    model = _configured(settings, "ollama")
    choices.append(ModelChoice(
        f"ollama:{model or 'MODEL'}", f"{model} (Ollama)",
        None if model else
        f"Ollama: set RAG_LLM=ollama:MODEL (e.g. ollama:qwen2.5); the server is "
        f"OLLAMA_BASE_URL={settings.ollama_base_url}."))
    return choices
