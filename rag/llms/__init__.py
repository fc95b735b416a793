"""Chat models, chosen by one spec string and built in one place.

    local                      the default embedded model (see local_models.DEFAULT_LOCAL)
    local:NAME                 an embedded model: qwen2.5-coder-1.5b, qwen2.5-coder-0.5b, smollm2-135m
    gguf:/path/model.gguf      any local GGUF file, run by llama-cpp-python
    openai:MODEL               the OpenAI API (OPENAI_API_KEY)
    openai-compatible:MODEL    vLLM, LM Studio, llama.cpp server... (OPENAI_BASE_URL)
    ollama:MODEL               an Ollama server (OLLAMA_BASE_URL)

Each provider's library is imported only when that provider is used.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

from rag.config import Settings
from rag.errors import ModelFileError, ProviderError, UnknownSpecError
from rag.llms.local_models import CATALOG, DEFAULT_LOCAL, ensure_model

PROVIDERS = ("local", "gguf", "openai", "openai-compatible", "ollama")
SPEC_FORMS = ("local", *(f"local:{n}" for n in CATALOG), "gguf:/path/to/model.gguf",
              "openai:MODEL", "openai-compatible:MODEL", "ollama:MODEL")


def _unknown(spec: str, why: str) -> UnknownSpecError:
    provider = spec.partition(":")[0]
    close = difflib.get_close_matches(provider, PROVIDERS, n=1)
    hint = f" Did you mean {close[0]}?" if close and close[0] != provider else ""
    return UnknownSpecError(f"Unknown model: {spec!r} ({why}).{hint} Valid forms: "
                            f"{', '.join(SPEC_FORMS)}.")


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
    if provider == "local":
        if name not in CATALOG:
            close = difflib.get_close_matches(name, CATALOG, n=1)
            hint = f" Did you mean local:{close[0]}?" if close else ""
            raise UnknownSpecError(f"Unknown local model {name!r}.{hint} Known: "
                                   f"{', '.join('local:' + n for n in CATALOG)}.")
        path = ensure_model(name, settings.model_cache_dir)
        return _llama(str(path), name, settings, CATALOG[name].context)
    if provider == "gguf":
        path = Path(name).expanduser()
        if not path.is_file():
            raise ModelFileError(f"No GGUF file at {path}; check the path in --llm / RAG_LLM.")
        return _llama(str(path), path.name, settings, 4096)
    if provider in ("openai", "openai-compatible", "ollama"):
        from rag.llms.openai_compatible import StrictChatOpenAI

        if provider == "openai":
            key = settings.require("openai_api_key", f"The model {spec}")
            base_url = None
        elif provider == "openai-compatible":
            base_url = settings.require("openai_base_url", f"The model {spec}")
            key = settings.openai_api_key or "not-needed"
        else:
            base_url = settings.ollama_base_url.rstrip("/") + "/v1"
            key = "ollama"
        return StrictChatOpenAI(model=name, api_key=key, base_url=base_url, temperature=0,
                                max_tokens=settings.max_tokens, timeout=settings.llm_timeout,
                                max_retries=settings.llm_retries, streaming=True)
    raise _unknown(spec, f"unknown provider {provider!r}")


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


def _llama(path: str, name: str, settings: Settings, n_ctx: int) -> BaseChatModel:
    from rag.llms.llamacpp import LlamaCppChatModel

    return LlamaCppChatModel(model_path=path, model_name=name, n_ctx=n_ctx,
                             n_threads=settings.n_threads, max_tokens=settings.max_tokens,
                             lock_path=str(settings.model_cache_dir / "generation.lock"))


def provider_error(exc: Exception, spec: str) -> ProviderError:
    """Turn a provider library's exception into a message that says what to fix."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if name == "AuthenticationError" or status == 401:
        return ProviderError(f"{spec} refused the API key (401). Check OPENAI_API_KEY "
                             f"(and OPENAI_BASE_URL for a compatible server).")
    if name == "RateLimitError" or status == 429:
        return ProviderError(f"{spec} is rate limiting requests (429) and retries ran out; "
                             f"wait and ask again, or raise RAG_LLM_RETRIES.")
    if name in ("APITimeoutError", "Timeout", "ReadTimeout") or "timed out" in str(exc).lower():
        return ProviderError(f"{spec} did not answer within RAG_LLM_TIMEOUT; try again or "
                             f"raise RAG_LLM_TIMEOUT.")
    if name == "APIConnectionError" or "connect" in name.lower():
        return ProviderError(f"Cannot connect to {spec}. Is the server running? Check "
                             f"OPENAI_BASE_URL / OLLAMA_BASE_URL.")
    if name == "NotFoundError" or status == 404:
        return ProviderError(f"{spec}: the server does not know this model (404). Check the "
                             f"model name after the colon.")
    if status and status >= 500:
        return ProviderError(f"{spec} failed with a server error ({status}) after retries; "
                             f"try again later.")
    return ProviderError(f"{spec} failed: {name}: {exc}")
