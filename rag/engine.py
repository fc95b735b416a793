"""The grounded answer engine: question (+ history) -> retrieval -> evidence -> model -> Answer.

Whether the reports answer a question is decided in code as well as by the prompt:

1. retrieval relevance: if no passage's cosine similarity reaches ``min_relevance``, refuse
   without calling the model (every model tried answered "Paris" to an off-topic question);
2. the model may reply ``NOT IN REPORTS``;
3. evidence check: an answer none of whose citations resolves to a verified quote is refused;
4. an answer that repeats the system prompt is withdrawn.

The model never types a quote: it cites evidence numbers, resolved by :mod:`rag.citations`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from rag import citations, conflicts, prompts, stances, support
from rag.config import Settings
from rag.errors import InputError, ModelError, RagError, StoreError
from rag.evidence import SentenceVectors, format_evidence, select_evidence
from rag.ingest import IngestSummary, ingest
from rag.retrieve import hybrid_search
from rag.safety import StreamSanitizer
from rag.store import ReportStore, SourceInfo
from rag.types import Answer

SENTINEL = "NOT IN REPORTS"
History = list[dict[str, str]]


def check_question(question: str, settings: Settings) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InputError("The question is empty; type a question about the reports.")
    question = question.strip()
    if len(question) > settings.max_question_chars:
        raise InputError(f"The question is {len(question)} characters long; the limit is "
                         f"{settings.max_question_chars} (RAG_MAX_QUESTION_CHARS). Shorten it.")
    return question


def check_history(history: History | None, settings: Settings) -> History:
    """Validate chat history (a list of {role, content}) and keep its most recent messages."""
    if not history:
        return []
    if not isinstance(history, list):
        raise InputError("History must be a list of {\"role\", \"content\"} messages.")
    clean = []
    for i, msg in enumerate(history):
        if (not isinstance(msg, dict) or msg.get("role") not in ("user", "assistant")
                or not isinstance(msg.get("content"), str)):
            raise InputError(f"History message {i} must be {{\"role\": \"user\"|\"assistant\", "
                             f"\"content\": \"...\"}}.")
        clean.append({"role": msg["role"], "content": msg["content"][:4000]})
    return clean


def _leaks_system_prompt(answer: str, system: str, span: int = 8) -> bool:
    """True if ``answer`` repeats ``span`` consecutive words of the system prompt."""
    words = re.findall(r"\w+", system.lower())
    text = " ".join(re.findall(r"\w+", answer.lower()))
    return any(" ".join(words[i:i + span]) in text for i in range(len(words) - span + 1))


class AnswerStream:
    """Iterate to get the answer text as it is generated; ``.answer`` is set at the end."""

    def __init__(self, gen: Iterator[str]) -> None:
        self._gen = gen
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        result = yield from self._gen
        self.answer = result

    def text(self) -> str:
        """Consume the stream; returns the streamed text."""
        return "".join(self)


class Engine:
    """Everything needed to answer: settings, the store and a chat model (all injected)."""

    def __init__(self, settings: Settings, store: ReportStore, llm: BaseChatModel,
                 model_name: str) -> None:
        self.settings = settings
        self.store = store
        self.llm = llm
        self.model_name = model_name
        self.system_prompt = prompts.load("system")
        self.sentence_vectors = SentenceVectors(store.embeddings)
        self._answer_chain = ChatPromptTemplate.from_messages(
            [("system", self.system_prompt), ("human", prompts.load("answer"))]) | llm
        self._condense_chain = (ChatPromptTemplate.from_messages(
            [("human", prompts.load("condense"))]) | llm | StrOutputParser())

    def warm_up(self) -> None:
        """Get ready for the first question: load the embedding model and, for an embedded
        model, its weights and the system prompt (see ``LlamaCppChatModel.warm_up``).

        Loaded llama.cpp models are shared per file, each with a lock held for a whole
        generation: two browser tabs asking at once are answered one after the other.
        """
        self.store.embeddings.embed_query("warm up")
        self.store.keyword_snapshot()
        warm = getattr(self.llm, "warm_up", None)
        if callable(warm):
            warm(self.system_prompt)

    # -- corpus -----------------------------------------------------------------------------
    def ingest(self, paths: list[Path] | None = None, progress=None) -> IngestSummary:
        return ingest(self.store, paths or [self.settings.corpus_dir],
                      lock_path=self.settings.data_dir / "ingest.lock", progress=progress)

    def ensure_indexed(self) -> IngestSummary | None:
        """Index the default corpus when nothing is indexed yet (never over an index that
        the catalog says should hold reports: that one was emptied or damaged)."""
        if not self.store.keyword_snapshot().ids:  # no count(): ~5 ms at 100,000 chunks
            lost = self.store.missing_from_index()
            if lost:
                raise StoreError(lost)
            return self.ingest()
        return None

    def sources(self) -> list[SourceInfo]:
        return self.store.sources()

    def original_text(self, source: str) -> str | None:
        """The current text of a report's file (None if the file is gone)."""
        return self.store.original_text(source)

    # -- answering --------------------------------------------------------------------------
    def answer(self, question: str, history: History | None = None, k: int | None = None) -> Answer:
        stream = self.stream(question, history, k)
        stream.text()
        assert stream.answer is not None
        return stream.answer

    def stream(self, question: str, history: History | None = None,
               k: int | None = None) -> AnswerStream:
        """Validate now (errors raise here), then stream the answer."""
        question = check_question(question, self.settings)
        history = check_history(history, self.settings)
        warnings = []
        cap = self.settings.max_history_messages
        if len(history) > cap:
            history = history[len(history) - cap:]  # cap 0: no history (history[-0:] is all)
            warnings.append(f"Only the last {cap} messages of the conversation were used "
                            f"(RAG_MAX_HISTORY).")
        k = k or self.settings.k
        if not 1 <= k <= 50:
            raise InputError(f"k={k} is out of range; use 1 to 50.")
        return AnswerStream(self._run(question, history, k, warnings))

    def condense(self, question: str, history: History) -> str:
        """Rewrite a follow-up into a standalone question using the chat history."""
        if not history:
            return question
        convo = "\n".join(f"{m['role']}: {' '.join(m['content'].split())[:600]}"
                          for m in history[-6:])
        try:
            text = self._condense_chain.invoke({"history": convo, "question": question},
                                               max_tokens=80)
        except Exception:
            text = ""
        text = text.strip().splitlines()[0].strip().strip('"“”') if text.strip() else ""
        if not text or len(text) > 3 * len(question) + 200 or SENTINEL in text.upper():
            last_user = next((m["content"] for m in reversed(history) if m["role"] == "user"), "")
            return f"{last_user} {question}".strip()
        return text

    def _refuse(self, base: Answer, reason: str) -> Answer:
        base.answer = prompts.load("refusal")
        base.answerable = False
        base.citations = []
        base.conflicts = []
        base.refusal_reason = reason
        return base

    def _run(self, question: str, history: History, k: int,
             warnings: list[str]) -> Iterator[str]:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        self.ensure_indexed()
        standalone = self.condense(question, history)
        timings["condense"] = (time.perf_counter() - t0) * 1000
        t = time.perf_counter()
        retrieval = hybrid_search(self.store, standalone, k)
        timings["retrieve"] = (time.perf_counter() - t) * 1000
        result = Answer(question=question, answer="", answerable=True,
                        passages=retrieval.passages, model=self.model_name,
                        standalone_question=standalone, timings_ms=timings,
                        warnings=warnings)

        error: Exception | None = None  # set when the model's stream fails part-way

        def finish() -> Answer:
            timings["total"] = (time.perf_counter() - t0) * 1000
            if error is not None and not result.answerable:  # cut part-way, then refused
                result.complete = False
                result.refusal_reason = f"{result.refusal_reason}; the answer was cut off: {error}"
            return result

        if retrieval.best_dense < self.settings.min_relevance:
            self._refuse(result, f"no passage is relevant enough (best cosine similarity "
                                 f"{retrieval.best_dense:.2f} < {self.settings.min_relevance})")
            yield result.answer
            return finish()

        t = time.perf_counter()
        result.evidence = select_evidence(standalone, retrieval.passages, self.sentence_vectors,
                                          self.settings.max_evidence,
                                          query_vector=retrieval.query_vector)
        timings["evidence"] = (time.perf_counter() - t) * 1000
        if not result.evidence:
            self._refuse(result, "no evidence sentences were found")
            yield result.answer
            return finish()

        t = time.perf_counter()
        raw, finish_reason = "", None
        sanitizer = StreamSanitizer()  # no link or image reaches the screen, even mid-stream
        maybe_sentinel = True  # hold text back while it could still be the refusal sentinel
        try:
            for chunk in self._answer_chain.stream(
                    {"evidence": format_evidence(result.evidence), "question": standalone}):
                if "first_token" not in timings:
                    timings["first_token"] = (time.perf_counter() - t0) * 1000
                finish_reason = chunk.response_metadata.get("finish_reason") or finish_reason
                piece = chunk.text
                if not piece:
                    continue
                raw += piece
                if maybe_sentinel:
                    head = raw.strip().upper()
                    if len(head) <= len(SENTINEL) and SENTINEL.startswith(head):
                        continue
                    maybe_sentinel, piece = False, raw
                out = sanitizer.feed(piece)
                if out:
                    yield out
        except Exception as exc:  # a provider failure; partial text is kept, marked incomplete
            from rag.llms import provider_error

            error = exc if isinstance(exc, RagError) else provider_error(exc, self.model_name)
            if not raw:
                raise error from exc
        timings["generate"] = (time.perf_counter() - t) * 1000

        if raw.strip().upper().startswith(SENTINEL) or not raw.strip():
            self._refuse(result, "the model found no answer in the evidence")
            return finish()
        if _leaks_system_prompt(raw, self.system_prompt):
            self._refuse(result, "the answer repeated the instructions and was withdrawn")
            return finish()
        tail = sanitizer.flush()
        if tail:
            yield tail
        shown = citations.drop_meta_sentences(sanitizer.shown)
        clean, cites = citations.resolve(shown, result.evidence, self.original_text, standalone)
        if not cites:
            self._refuse(result, "no cited evidence could be verified in the reports")
            return finish()
        made_up = support.unsupported(clean, [ev.text for ev in result.evidence])
        if made_up:
            self._refuse(result, f"the answer gave {', '.join(made_up)}, which no evidence "
                                 f"sentence states")
            return finish()
        result.answer, result.citations = clean, cites
        result.conflicts = (conflicts.find_conflicts(standalone, clean, result.evidence)
                            + stances.find_stance_conflicts(standalone, result.evidence))
        notes = []
        if result.conflicts:
            notes.append(conflicts.describe(result.conflicts))
            _, extra = citations.resolve(notes[-1], result.evidence, self.original_text)
            known = {c.n for c in result.citations}
            result.citations += [c for c in extra if c.n not in known]
        if error is not None:
            result.complete = False
            result.refusal_reason = None
            notes.append(f"[Incomplete answer: {error}]")
        elif finish_reason == "length":
            result.complete = False
            notes.append("[Cut at the answer-length limit (RAG_MAX_TOKENS).]")
        for note in notes:
            result.answer += "\n\n" + note
            yield "\n\n" + note
        return finish()


def build_engine(settings: Settings | None = None, llm: BaseChatModel | None = None,
                 store: ReportStore | None = None, model_name: str | None = None) -> Engine:
    """Build an engine from settings; pass ``llm`` or ``store`` to inject your own."""
    from rag.embeddings import build_embeddings
    from rag.llms import build_chat_model, canonical

    settings = settings or Settings.resolve()
    if store is None:
        store = ReportStore.open(settings, build_embeddings(settings))
    if llm is None:
        llm = build_chat_model(settings.llm, settings)
        model_name = canonical(settings.llm)
    return Engine(settings, store, llm, model_name or getattr(llm, "model_name", "custom"))


__all__ = ["AnswerStream", "Engine", "ModelError", "build_engine"]
