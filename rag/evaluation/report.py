"""Writing an evaluation run to a folder: JSONL rows, the summary table, charts, ragas input.

    predictions.jsonl   one row per (model, item): answer, citations, passages, timings
    per_item.jsonl      one row per (model, item): every metric
    summary.json        the aggregates per model (and per category), with the run's setup
    summary.md          the same as tables: one column per model
    metrics.png         rate metrics per model;  latency.png: latency and TTFT per model
    ragas.jsonl         user_input, retrieved_contexts, response, reference (and
                        reference_contexts), line by line as in predictions.jsonl; with
                        several models also ragas-<model>.jsonl, one per model
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.evaluation import metrics
from rag.evaluation.runner import EvalRun, ModelRun

# (key in summary, label in summary.md); all are shares from 0 to 1.
RATE_METRICS: tuple[tuple[str, str], ...] = (
    *((f"hit@{k}", f"Retrieval hit@{k}") for k in metrics.KS),
    *((f"recall@{k}", f"Retrieval recall@{k}") for k in metrics.KS),
    ("mrr", "Retrieval MRR"),
    ("key_fact_recall", "Key-fact recall (answerable)"),
    ("all_facts_hit", "All key facts (answerable)"),
    ("quote_exactness", "Quote exactness (must be 1.00)"),
    ("citation_coverage", "Citation coverage (answered)"),
    ("evidence_precision", "Evidence precision"),
    ("citation_support_gold", "Citation support, per sentence (against gold evidence)"),
    ("citation_support_check", "Citation support, per sentence (support check; no gold)"),
    ("evidence_recall", "Evidence recall (answerable)"),
    ("shown_recall", "Gold evidence shown to the model (answerable)"),
    ("conflict_attribution", "Conflict attribution"),
    ("comparable_grouping", "Comparable grouping (conflict items)"),
    ("correct_refusal", "Correct refusal (unanswerable)"),
    ("false_refusal", "False refusal (answerable, lower is better)"),
    ("condensation", "Follow-ups: condensed question keeps the conversation's entities"),
    ("faithfulness", "Faithfulness (judge)"),
    ("answer_relevance", "Answer relevance (judge)"),
)
TIME_METRICS: tuple[tuple[str, str], ...] = (
    ("latency_p50_s", "Latency p50 (s)"), ("latency_p95_s", "Latency p95 (s)"),
    ("ttft_p50_s", "Time to first token p50 (s)"), ("ttft_p95_s", "Time to first token p95 (s)"),
    ("tokens_per_s", "Tokens per second (median)"),
)
CHART_METRICS = ("hit@5", "mrr", "key_fact_recall", "all_facts_hit", "quote_exactness",
                 "citation_coverage", "evidence_precision", "evidence_recall",
                 "conflict_attribution", "correct_refusal", "false_refusal")
JUDGED = ("faithfulness", "answer_relevance")
SKIPPED = "skipped"


def _where(rows: Sequence[dict], key: str, when) -> list:
    return [r[key] for r in rows if when(r)]


def summarize_rows(rows: Sequence[dict[str, Any]], judged: bool) -> dict[str, Any]:
    """Aggregates of one model's per-item rows; see docs/evaluation.md for what each averages."""
    def answerable(row: dict[str, Any]) -> bool:
        return row["expected_answerable"]

    out: dict[str, Any] = {"items": len(rows), "errors": sum(bool(r["error"]) for r in rows),
                           "refused": sum(r["refused"] for r in rows)}
    for k in metrics.KS:
        out[f"hit@{k}"] = metrics.mean(r[f"hit@{k}"] for r in rows)
        out[f"recall@{k}"] = metrics.mean(r[f"recall@{k}"] for r in rows)
    out["mrr"] = metrics.mean(r["mrr"] for r in rows)
    out["key_fact_recall"] = metrics.mean(_where(rows, "key_fact_recall", answerable))
    out["all_facts_hit"] = metrics.mean(_where(rows, "all_facts_hit", answerable))
    cited = sum(r["citations"] for r in rows)
    out["citations"] = cited
    out["quote_exactness"] = sum(r["quotes_exact"] for r in rows) / cited if cited else None
    out["citation_coverage"] = metrics.mean(r["citation_coverage"] for r in rows)
    out["evidence_precision"] = metrics.mean(r["evidence_precision"] for r in rows)
    out["citation_support_gold"] = metrics.mean(r.get("citation_support_gold") for r in rows)
    out["citation_support_check"] = metrics.mean(r.get("citation_support_check") for r in rows)
    out["evidence_recall"] = metrics.mean(_where(rows, "evidence_recall", answerable))
    out["shown_recall"] = metrics.mean(_where(rows, "shown_recall", answerable))
    out["conflict_attribution"] = metrics.mean(r["conflict_attribution"] for r in rows)
    out["comparable_grouping"] = metrics.mean(r.get("comparable_grouping") for r in rows)
    out["correct_refusal"] = metrics.mean(r["correct_refusal"] for r in rows)
    out["false_refusal"] = metrics.mean(r["false_refusal"] for r in rows)
    out["condensation"] = metrics.mean(r.get("condensation") for r in rows)
    for key, values in (("latency", [r["latency_ms"] for r in rows]),
                        ("ttft", [r["ttft_ms"] for r in rows])):
        for q in (50, 95):
            value = metrics.percentile(values, q)
            out[f"{key}_p{q}_s"] = None if value is None else value / 1000
    out["tokens_per_s"] = metrics.percentile((r["tokens_per_s"] for r in rows), 50)
    for key in JUDGED:
        out[key] = metrics.mean(r[key] for r in rows) if judged else SKIPPED
    return out


def by_category(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per category, over all its items: refusals, facts, evidence, citations, retrieval."""
    out = {}
    for category in dict.fromkeys(r["category"] for r in rows):
        group = [r for r in rows if r["category"] == category]
        out[category] = {
            "items": len(group),
            "refused": metrics.mean(r["refused"] for r in group),
            "key_fact_recall": metrics.mean(r["key_fact_recall"] for r in group),
            "all_facts_hit": metrics.mean(r["all_facts_hit"] for r in group),
            "evidence_recall": metrics.mean(r["evidence_recall"] for r in group),
            "citation_coverage": metrics.mean(r["citation_coverage"] for r in group),
            "hit@5": metrics.mean(r["hit@5"] for r in group),
            "latency_p50_s": (metrics.percentile((r["latency_ms"] for r in group), 50) or 0) / 1000,
        }
    return out


def look_at(rows: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Item ids worth reading, by failure kind."""
    return {
        "errors": [r["id"] for r in rows if r["error"]],
        "inexact quotes": [r["id"] for r in rows if r["quote_exactness"] not in (None, 1.0)],
        "false refusals (answerable, refused)": [r["id"] for r in rows if r["false_refusal"]],
        "answered though unanswerable": [r["id"] for r in rows if r["correct_refusal"] is False
                                         and not r["all_facts_hit"]],
        "answered with the correction (unanswerable as asked)": [
            r["id"] for r in rows if r["correct_refusal"] is False and r["all_facts_hit"]],
        "missed key facts (answerable, answered)": [
            r["id"] for r in rows if r["expected_answerable"] and not r["refused"]
            and r["all_facts_hit"] is False],
        "conflict values not attributed": [
            r["id"] for r in rows if r["conflict_attribution"] not in (None, 1.0)],
        "figures grouped unlike the gold": [
            r["id"] for r in rows if r.get("comparable_grouping") not in (None, 1.0)],
        "gold evidence not in top 10": [r["id"] for r in rows if r["hit@10"] == 0.0],
    }


def summarize(run: EvalRun) -> dict[str, Any]:
    """``summary.json``: the run's setup, and per model its aggregates, categories and ids."""
    s = run.settings
    return {
        "run": {
            "started": run.started, "seconds": round(run.seconds, 1),
            "question_file": run.question_file, "items": len(run.items),
            "item_ids": [it.id for it in run.items],
            "categories": dict(Counter(it.category for it in run.items)),
            "models": [m.name for m in run.models],
            "judge": run.judge or SKIPPED, "judge_failures": run.judge_failures,
            "interrupted": run.interrupted,
            "settings": {"embeddings": s.embeddings, "k": s.k, "max_evidence": s.max_evidence,
                         "min_relevance": s.min_relevance, "max_tokens": s.max_tokens,
                         "n_threads": s.n_threads, "corpus_dir": str(s.corpus_dir)},
            "commit": _commit(),
        },
        "metrics": {m.name: summarize_rows(m.rows, run.judge is not None) for m in run.models},
        "by_category": {m.name: by_category(m.rows) for m in run.models},
        "look_at": {m.name: look_at(m.rows) for m in run.models},
    }


def _commit() -> str | None:
    """The checked-out commit, read from .git without running git (None if unknown)."""
    from rag.config import PROJECT_ROOT

    try:
        head = (PROJECT_ROOT / ".git" / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = PROJECT_ROOT / ".git" / head[5:]
            if ref.is_file():
                return ref.read_text().strip()
            packed = (PROJECT_ROOT / ".git" / "packed-refs").read_text()
            return next((line.split()[0] for line in packed.splitlines()
                         if line.endswith(" " + head[5:])), None)
        return head
    except OSError:
        return None


def _fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if key.endswith("_s"):
        return f"{value:.2f}" if key != "tokens_per_s" else f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def markdown(summary: dict[str, Any]) -> str:
    """``summary.md``: one column per model, then per-category tables and ids to look at."""
    run, per_model = summary["run"], summary["metrics"]
    names = list(per_model)
    cats = ", ".join(f"{c} {n}" for c, n in run["categories"].items())
    judge = run["judge"] + (f" ({run['judge_failures']} unusable ratings)"
                            if run["judge_failures"] else "")
    setup = (f"{run['items']} items from `{run['question_file']}` ({cats}); "
             f"embeddings `{run['settings']['embeddings']}`, k={run['settings']['k']}, "
             f"judge: {judge}; {run['seconds']:.0f} s."
             + (" **Interrupted: partial results.**" if run["interrupted"] else ""))
    lines = [f"# Evaluation {run['started']}", "", setup, "",
             "| Metric | " + " | ".join(f"`{n}`" for n in names) + " |",
             "|---|" + "---:|" * len(names)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("Items (errors)", [f"{per_model[n]['items']} ({per_model[n]['errors']})" for n in names])
    for key, label in RATE_METRICS:
        cells = [_fmt(per_model[n][key], key) for n in names]
        if key == "quote_exactness":
            cells = [f"{c} ({per_model[n]['citations']} quotes)"
                     for c, n in zip(cells, names, strict=True)]
        row(label, cells)
    for key, label in TIME_METRICS:
        row(label, [_fmt(per_model[n][key], key) for n in names])

    columns = (("items", "n"), ("refused", "refused"), ("key_fact_recall", "key facts"),
               ("all_facts_hit", "all facts"), ("evidence_recall", "evidence recall"),
               ("citation_coverage", "citation coverage"), ("hit@5", "hit@5"),
               ("latency_p50_s", "latency p50 (s)"))
    for name in names:
        lines += ["", f"## By category: `{name}`", "",
                  "| Category | " + " | ".join(label for _, label in columns[1:]) + " |",
                  "|---|" + "---:|" * (len(columns) - 1)]
        for cat, values in summary["by_category"][name].items():
            row(f"{cat} ({values['items']})", [_fmt(values[k], k) for k, _ in columns[1:]])
    lines += ["", "## Items to look at", ""]
    for name in names:
        found = [(kind, ids) for kind, ids in summary["look_at"][name].items() if ids]
        lines.append(f"- `{name}`: " + ("nothing" if not found else "; ".join(
            f"{kind}: {', '.join(ids)}" for kind, ids in found)))
    lines += ["", ("Definitions: docs/evaluation.md. Rates average the items a metric applies "
                   "to (n/a: none did); quote exactness counts every citation.")]
    return "\n".join(lines) + "\n"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "model"


def ragas_rows(model_run: ModelRun, run: EvalRun) -> list[dict[str, Any]]:
    """Rows with ragas' field names; a follow-up's user_input carries its conversation."""
    items = {it.id: it for it in run.items}
    rows = []
    for pred in model_run.predictions:
        item = items[pred.id]
        user_input = item.question
        if item.history:
            convo = "\n".join(f"{m['role']}: {m['content']}" for m in item.history)
            user_input = f"{convo}\nuser: {item.question}"
        rows.append({"user_input": user_input,
                     "retrieved_contexts": [p.text for p in pred.passages],
                     "response": pred.answer,
                     "reference": item.reference_answer,
                     "reference_contexts": [ev.quote for ev in item.gold_evidence]})
    return rows


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def charts(summary: dict[str, Any], run: EvalRun, out: Path) -> list[Path]:
    """metrics.png (rate metrics per model) and latency.png (latency and TTFT per model)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [m.name for m in run.models]
    labels = dict(RATE_METRICS)
    keys = list(CHART_METRICS)
    fig = Figure(figsize=(9, 0.45 * len(keys) * max(1, len(names)) ** 0.5 + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    height = 0.8 / len(names)
    y = np.arange(len(keys))
    for i, name in enumerate(names):
        values = [summary["metrics"][name][k] for k in keys]
        bars = ax.barh(y + i * height, [v or 0 for v in values], height, label=name)
        for bar, v in zip(bars, values, strict=True):
            ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2,
                    "n/a" if v is None else f"{v:.2f}", va="center", fontsize=7)
    ax.set_yticks(y + height * (len(names) - 1) / 2, [labels[k] for k in keys], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("share (0-1)")
    ax.set_title(f"Metrics per model ({len(run.items)} items)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    paths = [out / "metrics.png"]
    fig.savefig(paths[0], dpi=110)

    fig = Figure(figsize=(9, 3.2 + 0.3 * len(names)))
    FigureCanvasAgg(fig)
    for pos, (key, title) in enumerate((("latency_ms", "Latency per item (s)"),
                                        ("ttft_ms", "Time to first token (s)")), start=1):
        ax = fig.add_subplot(1, 2, pos)
        data = [[r[key] / 1000 for r in m.rows if r[key] is not None] or [0.0]
                for m in run.models]
        ax.boxplot(data, vert=False, showmeans=True)
        for i, values in enumerate(data, start=1):
            jitter = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else [0.0]
            ax.scatter(values, i + np.asarray(jitter), s=6, alpha=0.5)
        ax.set_yticks(range(1, len(names) + 1), names if pos == 1 else [""] * len(names),
                      fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("seconds")
    fig.tight_layout()
    paths.append(out / "latency.png")
    fig.savefig(paths[1], dpi=110)
    return paths


def write_report(run: EvalRun, out: Path) -> dict[str, Path]:
    """Write every output file of ``run`` into ``out`` (created); returns them by name."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    summary = summarize(run)
    files["predictions"] = out / "predictions.jsonl"
    _write_jsonl(files["predictions"], [p.to_json() for m in run.models for p in m.predictions])
    files["per_item"] = out / "per_item.jsonl"
    _write_jsonl(files["per_item"], [r for m in run.models for r in m.rows])
    files["summary_json"] = out / "summary.json"
    files["summary_json"].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    files["summary_md"] = out / "summary.md"
    files["summary_md"].write_text(markdown(summary), encoding="utf-8")
    files["ragas"] = out / "ragas.jsonl"
    _write_jsonl(files["ragas"], [r for m in run.models for r in ragas_rows(m, run)])
    if len(run.models) > 1:
        for m in run.models:
            path = out / f"ragas-{_slug(m.name)}.jsonl"
            _write_jsonl(path, ragas_rows(m, run))
            files[f"ragas:{m.name}"] = path
    metrics_png, latency_png = charts(summary, run, out)
    files["metrics_png"], files["latency_png"] = metrics_png, latency_png
    return files
