"""Prompts that always fit: evidence is dropped, lowest-ranked first, until the prompt and
room for the answer fit the model's context window.

Tokens are counted with the model's own tokenizer when it has one (``count_tokens``, as
:class:`~rag.llms.llamacpp.LlamaCppChatModel` does), else estimated as characters / 4
(about right for English with BPE tokenizers, and over-counting is the safe side).
With a 4,096-token context, ``max_tokens=200`` and a 32-token margin, a prompt may use
3,864 tokens: six evidence sentences of ~35 tokens each fit easily; a 23 KB evidence line
(~6,000 tokens) never would, and is dropped, while the others stay.

The engine calls :func:`fit_evidence` between evidence selection and generation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from rag.errors import InputError
from rag.types import Evidence

DEFAULT_CONTEXT = 8192  # for remote models that do not say (every current API model has more)
MARGIN = 32  # chat-template tokens and rounding


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: one token per four characters, rounded up.

        >>> estimate_tokens("North Korea sent troops.")
        6
    """
    return -(-len(text) // 4)


def token_counter(llm: object) -> Callable[[str], int]:
    """The model's own token counter (``llm.count_tokens``), else :func:`estimate_tokens`."""
    count = getattr(llm, "count_tokens", None)
    return count if callable(count) else estimate_tokens


def context_size(llm: object, default: int = DEFAULT_CONTEXT) -> int:
    """The model's context window in tokens (``llm.n_ctx`` for llama.cpp), else ``default``."""
    n_ctx = getattr(llm, "n_ctx", None)
    return n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else default


def fit_evidence(evidence: list[Evidence], render: Callable[[list[Evidence]], str],
                 count: Callable[[str], int], n_ctx: int, max_tokens: int,
                 margin: int = MARGIN) -> list[Evidence]:
    """The best-scored evidence whose prompt (``render(evidence)``: the whole text sent to
    the model, system prompt included) fits ``n_ctx`` with ``max_tokens`` left to answer.

    Lowest-scored evidence goes first; what is kept keeps its reading order and is numbered
    again from 1. Raises :class:`InputError` naming the files when not even one fits.
    """
    limit = n_ctx - max_tokens - margin
    by_score = sorted(range(len(evidence)), key=lambda i: evidence[i].score)
    dropped: set[int] = set()
    while True:
        current = _renumber([ev for i, ev in enumerate(evidence) if i not in dropped])
        if count(render(current)) <= limit:
            return current
        if len(dropped) >= len(evidence) - 1:
            files = ", ".join(sorted({ev.source for ev in evidence}))
            raise InputError(f"The prompt does not fit the model's context of {n_ctx} tokens "
                             f"even with one evidence sentence (from {files}); shorten the "
                             f"question or the history, lower RAG_MAX_TOKENS, or use a model "
                             f"with a larger context.")
        dropped.add(by_score[len(dropped)])


def _renumber(evidence: list[Evidence]) -> list[Evidence]:
    return [dataclasses.replace(ev, n=n) for n, ev in enumerate(evidence, start=1)]
