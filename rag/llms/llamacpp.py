"""A LangChain chat model over a local GGUF file, run in-process by llama-cpp-python.

A llama.cpp model object is not thread-safe: each loaded model has one lock, held for the
whole of a generation (streamed or not), so concurrent questions are answered one after
the other. Loaded models are shared per (path, context, threads) within the process.

Each generation also takes a machine-wide file lock (``lock_path``, next to the model
cache): llama.cpp uses every core, so two processes generating at once (the app, an eval,
a terminal chat) each run several times slower than one after the other. With the lock
they queue instead.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from rag.errors import ModelError, ModelFileError
from rag.llms import prefix_state

_LOADED: dict[tuple[str, int, int], tuple[Any, threading.Lock]] = {}  # oldest use first
_LOADING = threading.Lock()
MAX_LOADED = 2  # models kept in memory per process (~1.1 GB each for the default)
N_BATCH = 512  # prompt tokens llama.cpp reads per step


def evict(keep: int = MAX_LOADED) -> None:
    """Close the least recently used models until at most ``keep`` stay loaded; a model
    that is generating right now (its lock is held) is left alone. Call with ``_LOADING``."""
    for key in list(_LOADED):
        if len(_LOADED) <= keep:
            return
        llama, lock = _LOADED[key]
        if lock.acquire(blocking=False):
            try:
                del _LOADED[key]
                llama.close()
            finally:
                lock.release()


def load_llama(path: str, n_ctx: int, n_threads: int) -> tuple[Any, threading.Lock]:
    """The shared llama.cpp model for ``path`` and the lock that guards it (loaded again
    if it was evicted: at most ``MAX_LOADED`` models stay in memory).

    The file is read, not memory-mapped: llama.cpp repacks the quantised weights for the
    CPU into memory of its own, so a mapped file kept both copies resident (measured with
    the default model: peak RSS 1,963 MB mapped, 1,358 MB read; load 0.74 s vs 1.05 s;
    generation speed the same)."""
    key = (path, n_ctx, n_threads)
    with _LOADING:
        if key in _LOADED:
            _LOADED[key] = _LOADED.pop(key)  # most recently used last
        else:
            evict(MAX_LOADED - 1)
            from llama_cpp import Llama

            try:
                llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads,
                              n_threads_batch=n_threads, n_batch=N_BATCH, use_mmap=False,
                              verbose=False)
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelFileError(f"llama.cpp could not load {path} ({exc}). Check that it "
                                     f"is a complete GGUF file.") from None
            _LOADED[key] = (llama, threading.Lock())
        return _LOADED[key]


@atexit.register
def _close_all() -> None:
    """Free models before interpreter teardown (llama-cpp-python errors if freed later)."""
    while _LOADED:
        llama, _lock = _LOADED.popitem()[1]
        try:
            llama.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def refusal_gate(logits: Any, starts: Any, threshold: float) -> tuple[float, bool]:
    """(the probability that the reply starts with the refusal, whether to forbid it).

    Greedy decoding refuses whenever the refusal's first token is the single likeliest
    token, even when answering is likelier in all: "NOT" at 0.34 beats "The" at 0.2 while
    the answers' tokens share the other 0.66. The refusal is kept only when it holds more
    than ``threshold`` of the probability (the model's own reading, decided in code).

    >>> import numpy as np
    >>> refusal_gate(np.log(np.array([0.34, 0.2, 0.2, 0.26])), np.array([0]), 0.5)[1]
    True
    >>> refusal_gate(np.log(np.array([0.7, 0.1, 0.1, 0.1])), np.array([0]), 0.5)
    (0.7, False)
    """
    import numpy as np

    x = np.asarray(logits, dtype=np.float64)
    top = x.max()
    weights = np.exp(x - top)
    p = float(weights[starts].sum() / weights.sum())
    return round(p, 6), p <= threshold


@lru_cache(maxsize=32)
def _grammar(text: str) -> Any:
    """A compiled GBNF grammar (one per evidence count, so the cache stays small)."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)
@contextmanager
def generation_lock(path: str | None, timeout: float = 900.0) -> Iterator[None]:
    """Hold the machine-wide generation lock at ``path`` (no lock when None)."""
    if path is None:
        yield
        return
    from filelock import FileLock, Timeout

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise ModelError(f"Another process has been generating with an embedded model for "
                         f"{timeout:.0f}s (lock {path}); wait for it, or stop it.") from None
    try:
        yield
    finally:
        lock.release()


def _refusal_starts(llama: Any, refusal: str) -> list[int]:
    """The tokens a reply can begin the refusal with ("NOT", " NOT", "NO"...): first tokens
    of its spellings that are themselves a start of it, two characters or more."""
    starts = set()
    for text in (refusal, " " + refusal, refusal[:2], " " + refusal[:2], refusal.split()[0]):
        tokens = llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        if tokens:
            piece = llama.detokenize(tokens[:1]).decode("utf-8", "replace").strip()
            if len(piece) >= 2 and refusal.startswith(piece):
                starts.add(tokens[0])
    return sorted(starts)


def _first_tokens(llama: Any, words: tuple[str, ...]) -> list[int]:
    """The first token of each word, alone and after a space ("yes", " Yes" ...)."""
    out = set()
    for word in words:
        for text in (word, " " + word):
            tokens = llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            if tokens:
                out.add(tokens[0])
    return sorted(out)


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class LlamaCppChatModel(BaseChatModel):
    """Chat completions from a GGUF model (its own chat template), greedy by default."""

    model_path: str
    model_name: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 200
    temperature: float = 0.0
    supports_grammar: bool = True  # the engine may constrain answers with a GBNF grammar
    lock_path: str | None = None  # machine-wide generation lock (see the module docstring)
    supports_refusal_gate: bool = True  # the engine may pass refusal= (see refusal_gate)
    refusal_threshold: float = 0.5
    state_dir: str | None = None  # system prompt states saved here (rag.llms.prefix_state)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "model_path": self.model_path}

    def warm_up(self, system_prompt: str | None = None) -> None:
        """Load the weights now and, given ``system_prompt``, read it into the KV cache.

        llama.cpp reuses the longest token prefix shared with the previous prompt, so the
        next question reads only its own evidence (~170 fewer tokens, ~1.9 s on 2 cores).
        With ``state_dir``, the state after reading it is saved there, and the next process
        restores it in milliseconds instead (``rag.llms.prefix_state``).
        """
        llama, lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        if not system_prompt:
            return
        with lock, generation_lock(self.lock_path):
            saved = None
            if self.state_dir is not None:
                saved = prefix_state.state_path(Path(self.state_dir), self.model_path,
                                                system_prompt, self.n_ctx, self.n_threads,
                                                N_BATCH)
                if prefix_state.restore(llama, saved):
                    return
            llama.reset()  # read from the start: the saved state is the prompt alone
            llama.create_chat_completion(
                messages=[{"role": "system", "content": system_prompt},
                          {"role": "user", "content": ""}], max_tokens=1, temperature=0.0)
            if saved is not None:
                prefix_state.save(llama, saved)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by this model's own tokenizer (for the prompt budget)."""
        llama, _lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _request(self, messages: list[BaseMessage], stop: list[str] | None,
                 kwargs: dict[str, Any]) -> dict[str, Any]:
        request = {
            "messages": [{"role": _role(m), "content": m.text} for m in messages],
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "stop": stop or [],
        }
        return request | self.generation_extras(kwargs)

    def generation_extras(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """llama.cpp's arguments for what the engine binds (``rag.engine.generation_kwargs``):
        ``grammar=`` as a compiled grammar, ``refusal=`` as its gate, fresh for each reply
        (the bench gives llama.cpp alone the same, so both sides generate alike)."""
        extras: dict[str, Any] = {}
        if kwargs.get("grammar"):
            extras["grammar"] = _grammar(kwargs["grammar"])
        if kwargs.get("refusal"):
            extras["logits_processor"] = [self.refusal_processor(kwargs["refusal"])]
        return extras

    def refusal_processor(self, refusal: str) -> Callable[[Any, Any], Any]:
        """A llama.cpp logits processor for one reply: at its first token, ``refusal_gate``."""
        import numpy as np

        llama, _lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        starts = np.array(_refusal_starts(llama, refusal), dtype=np.int64)
        state = {"first": True}

        def gate(_input_ids: Any, logits: Any) -> Any:
            if state["first"]:
                state["first"] = False
                _p, forbid = refusal_gate(logits, starts, self.refusal_threshold)
                if forbid:
                    logits[starts] = -np.inf
            return logits

        return gate

    def yes_probability(self, messages: list[BaseMessage]) -> float:
        """P(yes) / (P(yes) + P(no)) for the reply's first token: a yes/no question answered
        by the model's own probabilities, one prompt read and no token generated. The
        system prompt, read once into the KV cache, is reused (the judge of
        ``rag.support_judge`` sends the answer's own, so the next question reuses it too)."""
        import numpy as np

        llama, lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        yes, no = (np.array(_first_tokens(llama, words), dtype=np.int64)
                   for words in (("yes", "Yes", "YES"), ("no", "No", "NO")))
        seen: dict[str, float] = {}

        def read(_input_ids: Any, logits: Any) -> Any:
            if not seen:
                x = np.asarray(logits, dtype=np.float64)
                w = np.exp(x - x.max())
                seen["p"] = float(w[yes].sum() / (w[yes].sum() + w[no].sum()))
            return logits

        request = self._request(messages, None, {"max_tokens": 1, "temperature": 0.0})
        with lock, generation_lock(self.lock_path):
            llama.create_chat_completion(logits_processor=[read], **request)
        return seen["p"]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        llama, lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        with lock, generation_lock(self.lock_path):
            out = llama.create_chat_completion(**self._request(messages, stop, kwargs))
        choice = out["choices"][0]
        message = AIMessage(content=choice["message"].get("content") or "",
                            response_metadata={"finish_reason": choice.get("finish_reason"),
                                               "model_name": self.model_name,
                                               "usage": out.get("usage", {})})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama, lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        with lock, generation_lock(self.lock_path):
            finish = None
            for part in llama.create_chat_completion(stream=True,
                                                     **self._request(messages, stop, kwargs)):
                choice = part["choices"][0]
                finish = choice.get("finish_reason") or finish
                delta = choice.get("delta", {}).get("content")
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk
            yield ChatGenerationChunk(message=AIMessageChunk(
                content="", response_metadata={"finish_reason": finish,
                                               "model_name": self.model_name}))
