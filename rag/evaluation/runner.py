"""Running question-set items through one or more engines, timing them and scoring each answer.

All models share one store (one index, one embedding model); each gets its own engine. Per
item the runner records what the user saw (streamed text, citations, refusal) and when:

- latency: from ``engine.stream()`` to the end of the stream, as the user waits for it;
- time to first token (TTFT): from ``engine.stream()`` to the first streamed text (to the
  end when nothing is streamed, as for a refusal shown only once the stream ends);
- tokens per second: chunks the chat model streamed for the answer (one token each for
  llama.cpp and OpenAI-style streams), counted by a LangChain callback, after the first,
  over the time from the first to the last (decoding speed; TTFT covers the prompt).

Retrieval is scored separately at k up to 10 with the engine's own search on the question
it actually searched for (the standalone rewrite of a follow-up).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel

from rag.config import Settings
from rag.errors import InputError, RagError
from rag.evaluation import metrics
from rag.evaluation.dataset import Item, check_gold
from rag.evaluation.judge import Judge
from rag.retrieve import hybrid_search
from rag.store import ReportStore
from rag.text import read_text
from rag.types import Citation, Evidence, Passage

RETRIEVAL_K = max(metrics.KS)


class TokenClock(BaseCallbackHandler):
    """Counts streamed chunks per chat-model run and times the first and last one."""

    def __init__(self) -> None:
        self.runs: dict[UUID, dict[str, Any]] = {}

    def reset(self) -> None:
        self.runs.clear()

    def on_chat_model_start(self, serialized: dict, messages: list, *, run_id: UUID,
                            **kwargs: Any) -> None:
        self.runs[run_id] = {"started": time.perf_counter(), "tokens": 0, "first": None,
                             "last": None}

    def on_llm_new_token(self, token: str, *, run_id: UUID, **kwargs: Any) -> None:
        run = self.runs.setdefault(run_id, {"started": None, "tokens": 0, "first": None,
                                            "last": None})
        if not token:
            return
        now = time.perf_counter()
        run["tokens"] += 1
        run["first"] = run["first"] or now
        run["last"] = now

    def last_run(self) -> dict[str, Any] | None:
        """The most recent run: the answer (the condense step, if any, runs before it)."""
        return list(self.runs.values())[-1] if self.runs else None


@dataclass
class Prediction:
    """One item answered by one model: what the user saw, and timings."""

    id: str
    category: str
    model: str
    question: str
    history: list[dict[str, str]]
    answer: str = ""
    refused: bool = False
    refusal_reason: str | None = None
    complete: bool = True
    standalone_question: str = ""
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    retrieved: list[Passage] = field(default_factory=list)  # top RETRIEVAL_K, for metrics
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens: int = 0
    tokens_per_s: float | None = None
    error: str | None = None
    faithfulness: float | None = None
    answer_relevance: float | None = None
    answer_text: str = ""  # the answer alone, without notes: what citation support reads

    def to_json(self) -> dict[str, Any]:
        """A row of ``predictions.jsonl``."""
        def loc(p: Passage, text: bool) -> dict[str, Any]:
            row = {"chunk_id": p.chunk_id, "source": p.source, "start": p.start, "end": p.end,
                   "score": round(p.score, 6),
                   "dense": None if p.dense is None else round(p.dense, 6)}
            return row | {"text": p.text} if text else row

        return {
            "id": self.id, "category": self.category, "model": self.model,
            "question": self.question, "history": self.history,
            "standalone_question": self.standalone_question,
            "answer": self.answer, "refused": self.refused,
            "refusal_reason": self.refusal_reason, "complete": self.complete,
            "citations": [asdict(c) for c in self.citations],
            "passages": [loc(p, True) for p in self.passages],
            "retrieved": [loc(p, False) for p in self.retrieved],
            "evidence": [{"n": e.n, "source": e.source, "start": e.start, "end": e.end,
                          "text": e.text} for e in self.evidence],
            "conflicts": self.conflicts,
            "timings_ms": {"latency": _round(self.latency_ms), "ttft": _round(self.ttft_ms),
                           **{f"engine_{k}": _round(v) for k, v in self.timings_ms.items()}},
            "tokens": self.tokens, "tokens_per_s": _round(self.tokens_per_s),
            "error": self.error,
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class ModelRun:
    """All predictions of one model and their per-item metric rows."""

    name: str
    predictions: list[Prediction] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EvalRun:
    """A whole evaluation: items, one :class:`ModelRun` per model, and the run's setup."""

    items: list[Item]
    models: list[ModelRun]
    settings: Settings
    question_file: str
    started: str
    seconds: float = 0.0
    judge: str | None = None
    judge_failures: int = 0
    interrupted: bool = False  # Ctrl-C: the items answered so far are kept


class SourceTexts:
    """Report texts for checking quotes twice: as the engine reads them, and from the file."""

    def __init__(self, settings: Settings, store: ReportStore,
                 engine_text: Callable[[str], str | None]) -> None:
        self.settings = settings
        self.store = store
        self.engine_text = engine_text
        self.by_engine: dict[str, str | None] = {}
        self.by_file: dict[str, str | None] = {}

    def file_text(self, source: str) -> str | None:
        """``read_text`` of the report's file: the corpus copy, else the path the index holds."""
        if source not in self.by_file:
            path = self.settings.corpus_dir / source
            if not path.is_file():
                info = self.store.source_info(source)
                path = Path(info.path) if info and info.path else None
            try:
                self.by_file[source] = read_text(path) if path and path.is_file() else None
            except RagError:
                self.by_file[source] = None
        return self.by_file[source]

    def load(self, sources: set[str]) -> tuple[dict[str, str | None], dict[str, str | None]]:
        for source in sources:
            if source not in self.by_engine:
                self.by_engine[source] = self.engine_text(source)
            self.file_text(source)
        return self.by_engine, self.by_file


def run_item(engine, item: Item, clock: TokenClock | None = None,
             retrieval_k: int = RETRIEVAL_K) -> Prediction:
    """Ask one item (with its history), streaming as a user would; errors are recorded."""
    pred = Prediction(id=item.id, category=item.category, model=engine.model_name,
                      question=item.question, history=item.history_messages())
    if clock is not None:
        clock.reset()
    t0 = time.perf_counter()
    try:
        stream = engine.stream(item.question, pred.history or None)
        for piece in stream:
            if piece and pred.ttft_ms is None:
                pred.ttft_ms = (time.perf_counter() - t0) * 1000
        pred.latency_ms = (time.perf_counter() - t0) * 1000
        answer = stream.answer
        # Scored as the reader sees it: the text and the disagreements in words (notes), not
        # the "[Cut at ...]" / "[Incomplete answer ...]" notices (Answer.notes keeps them apart).
        pred.answer = "\n\n".join([answer.answer, *(n for n in answer.notes
                                                     if not n.startswith("["))])
        pred.answer_text = answer.answer
        pred.refused = not answer.answerable
        pred.refusal_reason = answer.refusal_reason
        pred.complete = answer.complete
        pred.standalone_question = answer.standalone_question
        pred.citations = list(answer.citations)
        pred.passages = list(answer.passages)
        pred.evidence = list(answer.evidence)
        pred.conflicts = [asdict(c) for c in answer.conflicts]
        pred.timings_ms = dict(answer.timings_ms)
        if pred.ttft_ms is None:  # nothing streamed (a withheld refusal): seen at the end
            pred.ttft_ms = pred.latency_ms
    except Exception as exc:  # one failing item must not end a long run; it is reported
        pred.latency_ms = (time.perf_counter() - t0) * 1000
        pred.error = f"{type(exc).__name__}: {exc}"
    run = clock.last_run() if clock is not None else None
    if run is not None and "generate" in pred.timings_ms:
        pred.tokens = run["tokens"]
        pred.tokens_per_s = metrics.tokens_per_second(run["tokens"], run["first"], run["last"])
    query = pred.standalone_question or item.question
    try:
        pred.retrieved = hybrid_search(engine.store, query, retrieval_k).passages
    except Exception as exc:
        pred.error = pred.error or f"retrieval: {type(exc).__name__}: {exc}"
    return pred


def score(item: Item, pred: Prediction,
          originals: Sequence[dict[str, str | None]]) -> dict[str, Any]:
    """Every deterministic metric for one prediction (a row of ``per_item.jsonl``)."""
    gold = list(item.gold_evidence)
    retrieval = metrics.retrieval_at_k(pred.retrieved, gold) or {}
    precision, recall = metrics.evidence_precision_recall(pred.citations, gold)
    correct_refusal, false_refusal = (metrics.refusal_outcome(item.answerable, pred.refused)
                                      if not pred.error else (None, None))
    exact = [metrics.quote_is_exact(c, *originals) for c in pred.citations]
    answered = not pred.refused and not pred.error
    row: dict[str, Any] = {
        "id": item.id, "category": item.category, "model": pred.model,
        "expected_answerable": item.answerable, "refused": pred.refused,
        "error": pred.error, "citations": len(pred.citations),
        **{f"{m}@{k}": retrieval.get(f"{m}@{k}") for m in ("hit", "recall") for k in metrics.KS},
        "mrr": retrieval.get("mrr"),
        "key_fact_recall": metrics.key_fact_recall(pred.answer, item.key_facts),
        "all_facts_hit": metrics.all_facts_hit(pred.answer, item.key_facts),
        "quotes_exact": sum(exact),
        "quote_exactness": metrics.mean(exact),
        "citation_coverage": (metrics.citation_coverage(pred.answer, {c.n for c in pred.citations})
                              if answered else None),
        "evidence_precision": precision,
        "citation_support_gold": (metrics.citation_support_gold(pred.answer_text, pred.citations,
                                                                gold) if answered else None),
        "citation_support_check": (metrics.citation_support_check(
            pred.answer_text, pred.evidence, pred.standalone_question or item.question)
            if answered and not gold else None),
        "evidence_recall": recall,
        # of the gold evidence, the share among the sentences the model was shown: what the
        # answer could at best cite (evidence_recall is what it did cite)
        "shown_recall": (metrics.evidence_precision_recall(pred.evidence, gold)[1]
                         if gold and pred.evidence else (0.0 if gold else None)),
        "conflict_attribution": metrics.conflict_attribution(pred.answer, pred.citations,
                                                             item.claims),
        "comparable_grouping": metrics.comparable_grouping(
            pred.conflicts, [g.as_dict() for g in item.gold_groups]),
        "correct_refusal": correct_refusal,
        "false_refusal": false_refusal,
        # a follow-up's condensed question names what the conversation was about (measured
        # apart from the answer: a right rewrite can still get a wrong answer, and back)
        "condensation": (metrics.all_facts_hit(pred.standalone_question or "",
                                               item.standalone_keeps)
                         if item.standalone_keeps and not pred.error else None),
        "latency_ms": _round(pred.latency_ms),
        "ttft_ms": _round(pred.ttft_ms),
        "tokens": pred.tokens,
        "tokens_per_s": _round(pred.tokens_per_s, 2),
        "faithfulness": pred.faithfulness,
        "answer_relevance": pred.answer_relevance,
    }
    return row


def evaluate(items: Sequence[Item], models: Sequence[tuple[str, BaseChatModel]],
             settings: Settings, store: ReportStore | None = None, judge: Judge | None = None,
             question_file: str = "", progress: bool = True) -> EvalRun:
    """Answer every item with every model (model by model) and score each answer."""
    from tqdm import tqdm

    from rag.embeddings import build_embeddings
    from rag.engine import build_engine

    if not models:
        raise InputError("No model to evaluate; pass --llm SPEC.")
    store = store or ReportStore.open(settings, build_embeddings(settings))
    started = time.perf_counter()
    run = EvalRun(items=list(items), models=[], settings=settings, question_file=question_file,
                  started=datetime.now().astimezone().isoformat(timespec="seconds"),
                  judge=judge.name if judge else None)
    engines = [build_engine(settings, llm=llm, store=store, model_name=name)
               for name, llm in models]
    engines[0].ensure_indexed()
    texts = SourceTexts(settings, store, engines[0].original_text)
    problems = check_gold(items, texts.file_text)
    if problems:
        raise InputError("The question set does not match the reports in RAG_CORPUS_DIR "
                         f"({settings.corpus_dir}): " + "; ".join(problems[:5])
                         + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    indexed = {s.source for s in store.sources()}
    missing = sorted({ev.source for it in items for ev in it.gold_evidence} - indexed)
    if missing:
        raise InputError(f"The index lacks {', '.join(missing)}; run python -m rag ingest "
                         f"(with the same --data-dir) and evaluate again.")

    bar = tqdm(total=len(items) * len(engines), unit="q", file=sys.stderr, dynamic_ncols=True,
               disable=not progress)
    try:
        for engine, (_name, llm) in zip(engines, models, strict=True):
            model_run = ModelRun(engine.model_name)
            run.models.append(model_run)
            clock = TokenClock()
            previous = llm.callbacks
            llm.callbacks = [*(previous or []), clock]
            try:
                for item in items:
                    bar.set_description(engine.model_name[:28])
                    bar.set_postfix_str(item.id)
                    pred = run_item(engine, item, clock)
                    if judge is not None and not pred.refused and not pred.error:
                        pred.faithfulness = judge.faithfulness(pred.answer, pred.evidence)
                        pred.answer_relevance = judge.relevance(
                            pred.standalone_question or item.question, pred.answer)
                    originals = texts.load({c.source for c in pred.citations})
                    model_run.predictions.append(pred)
                    model_run.rows.append(score(item, pred, originals))
                    bar.update()
            finally:
                llm.callbacks = previous
    except KeyboardInterrupt:
        run.interrupted = True
        run.models = [m for m in run.models if m.rows]
    finally:
        bar.close()
    run.seconds = time.perf_counter() - started
    run.judge_failures = judge.failures if judge else 0
    return run
