"""Provider failures mapped to messages that say what to fix, by exception type.

The table is ordered most specific first (``APITimeoutError`` is an ``APIConnectionError``,
so it comes before it), as httpx maps transport errors; the first matching row wins. The
``openai`` and ``httpx`` types are imported only when a failure is being mapped.
"""

from __future__ import annotations

from rag.errors import ProviderError


def _table() -> list[tuple[tuple[type[BaseException], ...], str]]:
    import httpx
    import openai

    return [
        ((openai.AuthenticationError,),
         "{spec} refused the API key (401). Check OPENAI_API_KEY (and OPENAI_BASE_URL for a "
         "compatible server)."),
        ((openai.PermissionDeniedError,),
         "{spec} does not allow this key to use the model (403). Check the key's project "
         "and the model name."),
        ((openai.RateLimitError,),
         "{spec} is rate limiting requests (429) and retries ran out; wait and ask again, "
         "or raise RAG_LLM_RETRIES."),
        ((openai.NotFoundError,),
         "{spec}: the server does not know this model (404). Check the model name after "
         "the colon."),
        ((openai.APITimeoutError, httpx.TimeoutException, TimeoutError),
         "{spec} did not answer within RAG_LLM_TIMEOUT; try again or raise RAG_LLM_TIMEOUT."),
        ((openai.APIConnectionError, httpx.TransportError, ConnectionError),
         "Cannot connect to {spec}. Is the server running? Check OPENAI_BASE_URL / "
         "OLLAMA_BASE_URL."),
        ((openai.InternalServerError,),
         "{spec} failed with a server error ({status}) after retries; try again later."),
    ]


def provider_error(exc: BaseException, spec: str) -> ProviderError:
    """A :class:`ProviderError` for a provider library's exception ``exc``."""
    if isinstance(exc, ProviderError):
        return exc
    status = getattr(exc, "status_code", None)
    for types, message in _table():
        if isinstance(exc, types):
            return ProviderError(message.format(spec=spec, status=status))
    if isinstance(status, int) and status >= 500:
        return ProviderError(f"{spec} failed with a server error ({status}) after retries; "
                             f"try again later.")
    return ProviderError(f"{spec} failed: {type(exc).__name__}: {exc}")
