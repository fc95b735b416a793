"""Chat models, chosen by one spec string and built from one registry.

    local                      the default embedded model (see local_models.DEFAULT_LOCAL)
    local:NAME                 an embedded model: qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, smollm2-135m
    gguf:/path/model.gguf      any local GGUF file, run by llama-cpp-python
    openai:MODEL               the OpenAI API (OPENAI_API_KEY)
    openai-compatible:MODEL    vLLM, LM Studio, llama.cpp server... (OPENAI_BASE_URL)
    ollama:MODEL               an Ollama server (OLLAMA_BASE_URL)
    scripted:NAME              a scripted test model (rag/llms/scripted.py): no model at all

Every provider, the embedded ones included, is one :class:`Provider` entry in ``PROVIDERS``;
each provider's library is imported only when that provider is used.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

from rag.config import Settings
from rag.errors import ModelFileError, UnknownSpecError
from rag.llms.errors import provider_error
from rag.llms.local_models import CATALOG, DEFAULT_LOCAL, ensure_model

__all__ = ["PROVIDERS", "SPEC_FORMS", "Provider", "build_chat_model", "canonical",
           "provider_error", "register"]


@dataclass(frozen=True)
class Provider:
    """One way to get a chat model: ``build(name, settings)`` for a spec ``provider:name``."""

    name: str
    forms: tuple[str, ...]  # the spec forms shown in errors and ``python -m rag models``
    build: Callable[[str, Settings], BaseChatModel]


PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    PROVIDERS[provider.name] = provider
    return provider


def _llama(path: str, name: str, settings: Settings, n_ctx: int) -> BaseChatModel:
    from rag.llms.llamacpp import LlamaCppChatModel

    return LlamaCppChatModel(model_path=path, model_name=name, n_ctx=n_ctx,
                             n_threads=settings.n_threads, max_tokens=settings.max_tokens,
                             lock_path=str(settings.model_cache_dir / "generation.lock"),
                             state_dir=str(settings.model_cache_dir / "prompt-states"))


def _local(name: str, settings: Settings) -> BaseChatModel:
    if name not in CATALOG:
        close = difflib.get_close_matches(name, CATALOG, n=1)
        hint = f" Did you mean local:{close[0]}?" if close else ""
        raise UnknownSpecError(f"Unknown local model {name!r}.{hint} Known: "
                               f"{', '.join('local:' + n for n in CATALOG)}.")
    path = ensure_model(name, settings.model_cache_dir)
    return _llama(str(path), name, settings, CATALOG[name].context)


def _gguf(name: str, settings: Settings) -> BaseChatModel:
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelFileError(f"No GGUF file at {path}; check the path in --llm / RAG_LLM.")
    return _llama(str(path), path.name, settings, 4096)


def _openai_style(provider: str) -> Callable[[str, Settings], BaseChatModel]:
    def build(name: str, settings: Settings) -> BaseChatModel:
        from rag.llms.openai_compatible import StrictChatOpenAI

        spec = f"{provider}:{name}"
        if provider == "openai":
            key, base_url = settings.require("openai_api_key", f"The model {spec}"), None
        elif provider == "openai-compatible":
            base_url = settings.require("openai_base_url", f"The model {spec}")
            key = settings.openai_api_key or "not-needed"
        else:
            base_url, key = settings.ollama_base_url.rstrip("/") + "/v1", "ollama"
        return StrictChatOpenAI(model=name, api_key=key, base_url=base_url, temperature=0,
                                max_tokens=settings.max_tokens, timeout=settings.llm_timeout,
                                max_retries=settings.llm_retries, streaming=True)
    return build


def _scripted(name: str, settings: Settings) -> BaseChatModel:
    from rag.llms.scripted import build_scripted

    return build_scripted(name)


register(Provider("local", ("local", *(f"local:{n}" for n in CATALOG)), _local))
register(Provider("gguf", ("gguf:/path/to/model.gguf",), _gguf))
register(Provider("openai", ("openai:MODEL",), _openai_style("openai")))
register(Provider("openai-compatible", ("openai-compatible:MODEL",),
                  _openai_style("openai-compatible")))
register(Provider("ollama", ("ollama:MODEL",), _openai_style("ollama")))
register(Provider("scripted", ("scripted:NAME",), _scripted))

SPEC_FORMS = tuple(form for p in PROVIDERS.values() for form in p.forms)


def _unknown(spec: str, why: str) -> UnknownSpecError:
    provider = spec.partition(":")[0]
    close = difflib.get_close_matches(provider, PROVIDERS, n=1)
    hint = f" Did you mean {close[0]}?" if close and close[0] != provider else ""
    forms = ", ".join(form for p in PROVIDERS.values() for form in p.forms)
    return UnknownSpecError(f"Unknown model: {spec!r} ({why}).{hint} Valid forms: {forms}.")


def canonical(spec: str) -> str:
    """``local`` -> ``local:<default>``; other specs unchanged (but stripped)."""
    spec = spec.strip()
    return f"local:{DEFAULT_LOCAL}" if spec == "local" else spec


def build_chat_model(spec: str, settings: Settings) -> BaseChatModel:
    """The chat model named by ``spec`` (``--llm`` / ``RAG_LLM``)."""
    spec = canonical(spec)
    provider, sep, name = spec.partition(":")
    if not sep or not name.strip():
        raise _unknown(spec, "expected PROVIDER:NAME")
    if provider not in PROVIDERS:
        raise _unknown(spec, f"unknown provider {provider!r}")
    return PROVIDERS[provider].build(name, settings)


def describe_backend(settings: Settings) -> str:
    """One line naming the model and where it runs, and which settings a ``.env`` chose:

    ``Model: openai-compatible:m at http://10.0.0.5:8080/v1 (OPENAI_BASE_URL from .env)``
    """
    from rag.config import from_dotenv

    spec = canonical(settings.llm)
    provider = spec.partition(":")[0]
    used = {"RAG_LLM"}
    if provider in ("local", "gguf"):
        where = "embedded (llama.cpp on this machine)"
    elif provider == "openai":
        where, used = "the OpenAI API", used | {"OPENAI_API_KEY"}
    elif provider == "openai-compatible":
        where, used = f"at {settings.openai_base_url}", used | {"OPENAI_BASE_URL"}
    elif provider == "ollama":
        where, used = f"at {settings.ollama_base_url}", used | {"OLLAMA_BASE_URL"}
    else:
        where = "(unknown provider)"
    chosen = sorted(used & from_dotenv())
    note = f" ({', '.join(chosen)} from .env in {Path.cwd()})" if chosen else ""
    return f"Model: {spec} {where}{note}"


