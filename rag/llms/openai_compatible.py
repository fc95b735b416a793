"""ChatOpenAI for OpenAI and OpenAI-style servers (vLLM, llama.cpp server, Ollama), made strict
about the end of a stream.

A server (or a proxy) that closes the connection cleanly part-way through an SSE stream
raises nothing in the ``openai`` client: the text simply stops, with neither a
``finish_reason`` nor ``data: [DONE]``. Such a stream is reported here as a
:class:`~rag.errors.ProviderError`, and so is a connection dropped mid-stream, so that the
engine keeps the partial text and marks the answer incomplete instead of showing it as whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.outputs import ChatGenerationChunk
from langchain_openai import ChatOpenAI

from rag.errors import ProviderError, RagError


class StrictChatOpenAI(ChatOpenAI):
    """A ChatOpenAI whose streams must end with a finish_reason."""

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        finished = started = False
        try:
            for chunk in super()._stream(*args, **kwargs):
                finished = finished or bool((chunk.generation_info or {}).get("finish_reason"))
                started = started or bool(chunk.text)
                yield chunk
        except Exception as exc:
            if not started or isinstance(exc, RagError):
                raise  # nothing was received yet: the engine reports the provider's error
            import httpx
            import openai

            from rag.llms.errors import provider_error

            if isinstance(exc, openai.APIConnectionError | httpx.TransportError) and not \
                    isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
                raise ProviderError(f"The connection to {self.model_name} was cut part-way "
                                    f"through the answer; ask again.") from exc
            raise provider_error(exc, self.model_name) from exc
        if not finished:
            raise ProviderError(f"The stream from {self.model_name} ended before the model "
                                f"finished (no finish_reason); ask again.")
