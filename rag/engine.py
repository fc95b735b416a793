"""The grounded answer engine: question (+ history) -> Answer, as a pipeline of named stages.

    condense -> retrieve -> evidence -> generate -> cite -> support -> verify -> annotate

Each stage (``STAGES``) is a small generator over a :class:`Turn`: it may stream text, and it
may refuse, which ends the run. Whether the reports answer a question is decided in code:

1. retrieve: if no passage's cosine similarity reaches ``min_relevance``, refuse without
   calling the model (every model tried answered "Paris" to an off-topic question);
2. support keeps only markers whose evidence supports their sentence (:mod:`rag.entailment`);
3. verify runs ``CHECKS`` in order, each returning None or a reason to refuse: the model
   replied ``NOT IN REPORTS`` (or, cite-first, ``Evidence: none``); the answer repeats the
   system prompt; no sentence is left supported; none of its citations resolves to a
   verified quote; it states a figure no evidence sentence states.

The model never types a quote: it cites evidence numbers, resolved by :mod:`rag.citations`.
Notes (the disagreements in words, a cut-off notice) are ``Answer.notes``, never answer text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from rag import (
    answer_format,
    citations,
    conflicts,
    entailment,
    prompts,
    stances,
    support,
    timeline,
)
from rag.answer_format import SENTINEL
from rag.budget import context_size, fit_evidence, token_counter
from rag.config import Settings
from rag.errors import InputError, ModelError, RagError, StoreError
from rag.evidence import POOL, SentenceVectors, format_evidence, select_evidence
from rag.ingest import IngestSummary, ingest
from rag.llms.errors import provider_error
from rag.recency import asks_about_time, order_note, other_year, years
from rag.retrieve import Retrieval, check_sources, hybrid_search
from rag.safety import StreamSanitizer
from rag.store import ReportStore, SourceInfo
from rag.support_judge import build_judge
from rag.types import Answer

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
        self.format = answer_format.choose(settings.answer_format,
                                           bool(getattr(llm, "supports_grammar", False)))
        self.system_prompt = prompts.load(self.format.system_prompt)
        self.judge = build_judge(settings.support_judge, llm, self.system_prompt)
        self.sentence_vectors = SentenceVectors(store.embeddings)
        self.answer_prompt = ChatPromptTemplate.from_messages(
            [("system", self.system_prompt), ("human", prompts.load(self.format.answer_prompt))])
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
        if self.store.is_empty():
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
    def answer(self, question: str, history: History | None = None, k: int | None = None,
               sources: list[str] | None = None) -> Answer:
        stream = self.stream(question, history, k, sources)
        stream.text()
        assert stream.answer is not None
        return stream.answer

    def stream(self, question: str, history: History | None = None,
               k: int | None = None, sources: list[str] | None = None) -> AnswerStream:
        """Validate now (errors raise here), then stream the answer; ``sources`` limits the
        search (and so the evidence, refusals and conflicts) to those reports."""
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
        sources = check_sources(self.store, sources)
        return AnswerStream(self._run(question, history, k, warnings, sources))

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

    def _run(self, question: str, history: History, k: int,
             warnings: list[str], sources: list[str] | None = None) -> Iterator[str]:
        """Run the stages in order; a stage that refuses ends the run."""
        clock = Clock()
        turn = Turn(question, history, k, clock,
                    Answer(question=question, answer="", answerable=True, model=self.model_name,
                           timings_ms=clock.ms, warnings=warnings), sources=sources)
        for _name, stage in STAGES:
            yield from stage(self, turn)
            if turn.refused:
                break
        return turn.finish()


# -- the turn: what one question carries through the stages ----------------------------------
class Clock:
    """Stage timings in milliseconds (``Answer.timings_ms``), from one helper.

        >>> clock = Clock()
        >>> with clock.time("retrieve"):
        ...     pass
        >>> sorted(clock.ms)
        ['retrieve']
    """

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.ms: dict[str, float] = {}

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = (time.perf_counter() - t) * 1000

    def mark(self, name: str) -> None:
        """Record the time since the start under ``name``, once (e.g. the first token)."""
        self.ms.setdefault(name, (time.perf_counter() - self.t0) * 1000)


@dataclass
class Turn:
    """One question on its way through the stages; ``answer`` is the result being built."""

    question: str
    history: History
    k: int
    clock: Clock
    answer: Answer
    standalone: str = ""
    retrieval: Retrieval | None = None
    raw: str = ""  # the model's text as generated
    shown: str = ""  # the same with links and images removed: what the reader sees
    held: str = ""  # sanitized text held back at the end of the stream, released if verified
    declared: list[int] | None = None  # cite-first: the evidence the model named ([]: none)
    finish_reason: str | None = None
    error: Exception | None = None  # the model's stream failed part-way
    refused: bool = False
    sources: list[str] | None = None  # ask only these reports (checked by check_sources)
    support: entailment.Support | None = None  # the per-sentence support check's result

    def refuse(self, reason: str) -> None:
        a = self.answer
        a.answer, a.answerable, a.refusal_reason = prompts.load("refusal"), False, reason
        a.citations, a.conflicts = [], []
        self.refused = True

    def finish(self) -> Answer:
        self.clock.ms["total"] = (time.perf_counter() - self.clock.t0) * 1000
        a = self.answer
        if self.error is not None and not a.answerable:  # cut part-way, then refused
            a.complete = False
            a.refusal_reason = f"{a.refusal_reason}; the answer was cut off: {self.error}"
        return a


# -- stages: each one job, each a generator of the text to stream ---------------------------
Stage = Callable[[Engine, Turn], Iterator[str]]


def condense_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """A follow-up becomes a standalone question (the history's entities kept)."""
    engine.ensure_indexed()
    with turn.clock.time("condense"):
        turn.standalone = engine.condense(turn.question, turn.history)
    turn.answer.standalone_question = turn.standalone
    yield from ()


def retrieve_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """Hybrid search; refuses without calling the model when nothing is relevant enough."""
    with turn.clock.time("retrieve"):  # at least POOL passages: evidence is chosen from them
        turn.retrieval = hybrid_search(engine.store, turn.standalone, max(turn.k, POOL),
                                       sources=turn.sources,
                                       newer=asks_about_time(turn.standalone) == "latest")
    turn.answer.passages = turn.retrieval.passages[:turn.k]
    floor = engine.settings.min_relevance
    if turn.retrieval.best_dense < floor:
        turn.refuse(f"no passage is relevant enough (best cosine similarity "
                    f"{turn.retrieval.best_dense:.2f} < {floor})")
        yield turn.answer.answer


def evidence_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """The few numbered sentences the model is shown."""
    assert turn.retrieval is not None
    with turn.clock.time("evidence"):
        chosen = select_evidence(
            turn.standalone, turn.retrieval.passages, engine.sentence_vectors,
            engine.settings.max_evidence, query_vector=turn.retrieval.query_vector,
            idf=engine.store.keyword_snapshot().index.idf)
        # The prompt always fits the model's context with room for the answer (counted with
        # the model's tokenizer where it has one): the lowest-scored evidence goes first.
        turn.answer.evidence = fit_evidence(
            chosen, lambda ev: engine.answer_prompt.format(evidence=format_evidence(ev),
                                                           question=turn.standalone),
            token_counter(engine.llm), context_size(engine.llm), engine.settings.max_tokens)
    if not turn.answer.evidence:
        turn.refuse("no evidence sentences were found")
        yield turn.answer.answer


def generation_kwargs(engine: Engine, n_evidence: int) -> dict[str, str]:
    """What the answer format asks of the chat model for an answer over ``n_evidence``
    sentences: a grammar (cite-first), or, for free text, the refusal only when the model
    gives it most of the probability (embedded models: ``rag.llms.llamacpp.refusal_gate``)."""
    grammar = engine.format.grammar(n_evidence)
    if grammar:
        return {"grammar": grammar}
    if getattr(engine.llm, "supports_refusal_gate", False):
        return {"refusal": SENTINEL}
    return {}


def generate_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """Stream the model's answer in the engine's answer format (cite-first under a grammar
    for embedded models). Only the answer part is shown, never while it could still be a
    refusal, and links and images never reach the screen, even mid-stream."""
    sanitizer = StreamSanitizer()
    fmt = engine.format
    kwargs = generation_kwargs(engine, len(turn.answer.evidence))
    chain = engine.answer_prompt | (engine.llm.bind(**kwargs) if kwargs else engine.llm)
    shown_upto = 0
    with turn.clock.time("generate"):
        try:
            for chunk in chain.stream({"evidence": format_evidence(turn.answer.evidence),
                                       "question": turn.standalone}):
                turn.clock.mark("first_token")
                turn.finish_reason = (chunk.response_metadata.get("finish_reason")
                                      or turn.finish_reason)
                if not chunk.text:
                    continue
                turn.raw += chunk.text
                visible = fmt.visible(turn.raw)
                if len(visible) > shown_upto:
                    out = sanitizer.feed(visible[shown_upto:])
                    shown_upto = len(visible)
                    if out:
                        yield out
        except Exception as exc:  # a provider failure; partial text is kept, marked incomplete
            turn.error = exc if isinstance(exc, RagError) else provider_error(exc, engine.model_name)
            if not turn.raw:
                raise turn.error from exc
    turn.held = sanitizer.flush()
    turn.shown = sanitizer.shown


def cite_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """Evidence numbers -> verified quotes; "This is stated in [2]." folded into its sentence.
    Under cite-first, a marker the model did not declare first is dropped."""
    turn.declared, _text = engine.format.parse(turn.raw)
    shown = turn.shown
    if turn.declared:
        shown = citations.strip_invalid_markers(shown, set(turn.declared))
    shown = citations.drop_meta_sentences(shown)
    turn.answer.answer, turn.answer.citations = citations.resolve(
        shown, turn.answer.evidence, engine.original_text, turn.standalone)
    yield from ()


def support_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """Each sentence keeps only markers whose evidence supports it (:mod:`rag.entailment`,
    with the entailment judge of ``RAG_SUPPORT_JUDGE`` where one is set):
    a wrong one moves to the one sentence that clearly does, or goes; so does a sentence
    left with none. Citations follow the markers left in the text."""
    a = turn.answer
    with turn.clock.time("support"):
        usable = [ev for ev in a.evidence if any(c.n == ev.n for c in a.citations)
                  or citations.verify(ev, engine.original_text(ev.source))]
        turn.support = entailment.check(a.answer, usable, turn.standalone, engine.judge)
        if turn.support.changed:
            a.answer = entailment.apply(turn.support)
            keep = set(citations.cited_numbers(a.answer)) | {
                n for s in turn.support.kept if not s.marked for n in s.supported}
            by_n = {ev.n: ev for ev in usable}
            have = {c.n: c for c in a.citations}
            a.citations = [have.get(n) or citations.citation(
                               by_n[n], engine.original_text(by_n[n].source))
                           for n in [*have, *sorted(keep - set(have))] if n in keep]
    yield from ()


# -- checks: each returns None or the reason to refuse; adding one is adding an entry ------
Check = Callable[[Engine, Turn], str | None]


def no_answer_check(engine: Engine, turn: Turn) -> str | None:
    if turn.declared == []:  # NOT IN REPORTS, "Evidence: none", or nothing at all
        return "the model found no answer in the evidence"
    return None


def prompt_leak_check(engine: Engine, turn: Turn) -> str | None:
    if _leaks_system_prompt(turn.raw, engine.system_prompt):
        return "the answer repeated the instructions and was withdrawn"
    return None


def supported_check(engine: Engine, turn: Turn) -> str | None:
    """Nothing left once unsupported sentences went (an answer citing nothing at all is the
    next check's: no verified citation)."""
    s = turn.support
    if s is not None and any(x.cited for x in s.sentences) and not s.kept:
        return s.reason()
    return None


def verified_citation_check(engine: Engine, turn: Turn) -> str | None:
    if not turn.answer.citations:
        return "no cited evidence could be verified in the reports"
    return None


def figures_check(engine: Engine, turn: Turn) -> str | None:
    # The question's own years are given ("its March 1987 report"; other figures in it are
    # premises the evidence must state), and so is the year of a cited report's own date
    # (a Reuters story dated 1987 says it happened in 1987).
    given = sorted(years(turn.standalone) | {ev.date[:4] for ev in turn.answer.evidence
                                             if ev.date})
    made_up = support.unsupported(turn.answer.answer,
                                  [ev.text for ev in turn.answer.evidence] + given)
    if made_up:
        return f"the answer gave {', '.join(made_up)}, which no evidence sentence states"
    return None


def asked_year_check(engine: Engine, turn: Turn) -> str | None:
    """A question about 1985 answered with a 1986 figure is not answered: the reports do
    not give what was asked (a false premise, or a near miss), so it is a refusal."""
    return other_year(turn.standalone, turn.answer.answer, turn.answer.evidence)


CHECKS: list[tuple[str, Check]] = [
    ("no answer", no_answer_check),
    ("prompt leak", prompt_leak_check),
    ("supported", supported_check),
    ("verified citation", verified_citation_check),
    ("figures", figures_check),
    ("asked year", asked_year_check),
]


def verify_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """Run the checks in order; the first reason found refuses the answer."""
    for _name, check in CHECKS:
        reason = check(engine, turn)
        if reason:
            turn.refuse(reason)
            break
    yield from ()


def annotate_stage(engine: Engine, turn: Turn) -> Iterator[str]:
    """Release the held-back text; list disagreements; add notes (kept apart from the text)."""
    if turn.held:
        yield turn.held
    a = turn.answer
    a.conflicts = timeline.order_claims(  # by date: claim date, else report date; undated last
        conflicts.find_conflicts(turn.standalone, a.answer, a.evidence)
        + stances.find_stance_conflicts(turn.standalone, a.evidence), a.evidence)
    if a.conflicts:
        a.notes.append(conflicts.describe(a.conflicts))
        # the figures that answer the question as asked lead, if the text led with others
        a.lead = int(conflicts.leads(turn.standalone, a.answer, a.conflicts))
        by_n = {ev.n: ev for ev in a.evidence}
        known = {c.n for c in a.citations}
        for claim in (c for conflict in a.conflicts for c in conflict.claims):
            ev = by_n.get(claim.n)
            if ev is None or claim.n in known:
                continue
            original = engine.original_text(ev.source)
            if citations.verify(ev, original):
                a.citations.append(citations.citation(ev, original))
                known.add(claim.n)
    in_order = order_note(turn.standalone, a.answer, a.evidence)  # which was said later
    if in_order:
        a.notes.append(in_order)
    if turn.error is not None:
        a.complete = False
        a.notes.append(f"[Incomplete answer: {turn.error}]")
    elif turn.finish_reason == "length":
        a.complete = False
        a.notes.append("[Cut at the answer-length limit (RAG_MAX_TOKENS).]")
    for note in a.notes:
        yield "\n\n" + note


STAGES: list[tuple[str, Stage]] = [
    ("condense", condense_stage),
    ("retrieve", retrieve_stage),
    ("evidence", evidence_stage),
    ("generate", generate_stage),
    ("cite", cite_stage),
    ("support", support_stage),
    ("verify", verify_stage),
    ("annotate", annotate_stage),
]


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


__all__ = ["CHECKS", "STAGES", "AnswerStream", "Engine", "ModelError", "Turn", "build_engine"]
