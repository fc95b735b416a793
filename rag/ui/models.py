"""What the app builds (store, chat models, engines) and which models it offers.

The app caches what these functions return with ``st.cache_resource``. Models come from the
one registry (``rag.llms``); tests pick a ``scripted:NAME`` spec instead of patching.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel

from rag.config import Settings
from rag.conversations import ConversationStore
from rag.engine import Engine, build_engine
from rag.llms import SPEC_FORMS, build_chat_model, canonical
from rag.llms.local_models import CATALOG, DEFAULT_LOCAL
from rag.store import ReportStore

__all__ = ["SPEC_FORMS", "ModelChoice", "make_chat_model", "make_conversations",
           "make_embeddings", "make_engine", "make_store", "model_choices"]


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
