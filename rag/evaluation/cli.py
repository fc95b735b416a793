"""``python -m rag eval``: run the question set against one or more models and write a report.

    python -m rag eval                                   # the configured model (RAG_LLM)
    python -m rag eval --llm local --llm local:qwen2.5-coder-0.5b --llm openai:gpt-4o-mini
    python -m rag eval --category conflict --limit 5 --out /tmp/eval-conflicts
    python -m rag eval --questions eval/reuters_questions.jsonl --corpus /tmp/reuters/reuters21578

``--corpus DIR`` indexes DIR (all of it, once) into its own folder under
``RAG_DATA_DIR/eval-corpora/`` and scores the questions there (:mod:`rag.evaluation.corpus`).

Exits 1 when a citation's quote is not exactly its source text (always a bug) or an item
failed with an error; the report is written either way (after Ctrl-C too, with the items
answered so far, exiting 130).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from rag.config import PROJECT_ROOT

REPORTS_DIR = PROJECT_ROOT / "reports" / "eval"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--llm", action="append", metavar="SPEC",
                        help="model to evaluate; repeat to compare models side by side "
                             "(default: RAG_LLM, else local)")
    parser.add_argument("--k", type=int, help="passages retrieved per question (RAG_K)")
    parser.add_argument("--data-dir", help="index folder (RAG_DATA_DIR); seeds/ is indexed "
                                           "there if it is empty")
    parser.add_argument("--embeddings", help="embedding spec (RAG_EMBEDDINGS)")
    parser.add_argument("--questions", default=None, metavar="FILE",
                        help="question set (default: eval/questions.jsonl)")
    parser.add_argument("--corpus", metavar="DIR",
                        help="the reports the question set is about: indexed whole, once, into "
                             "RAG_DATA_DIR/eval-corpora/<name>-<hash>/ (default: the index in "
                             "--data-dir, with seeds/ indexed there if it is empty)")
    parser.add_argument("--out", metavar="DIR",
                        help="output folder (default: reports/eval/<timestamp>/)")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N selected items")
    parser.add_argument("--ids", metavar="ID,ID", action="append",
                        help="only these item ids (comma-separated; repeatable)")
    parser.add_argument("--category", action="append", metavar="NAME",
                        help="only items of this category (repeatable)")
    parser.add_argument("--judge", metavar="SPEC",
                        help="a capable model to judge faithfulness and answer relevance "
                             "(e.g. openai:gpt-4o-mini); skipped when not given")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _out_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out, n = REPORTS_DIR / stamp, 1
    while out.exists():
        n += 1
        out = REPORTS_DIR / f"{stamp}-{n}"
    return out


def _unique_specs(specs: list[str]) -> list[str]:
    from rag.llms import canonical

    seen: dict[str, str] = {}
    for spec in specs:
        seen.setdefault(canonical(spec), spec)
    return list(seen)


def build_chat_model(spec: str, settings):
    """The chat model for ``spec`` (a seam: tests put a scripted model here)."""
    from rag.llms import build_chat_model as build

    return build(spec, settings)


def run(args: argparse.Namespace) -> int:
    from rag.cli import settings_from
    from rag.evaluation.dataset import DEFAULT_QUESTIONS, load_items, select
    from rag.evaluation.judge import Judge
    from rag.evaluation.report import markdown, summarize, write_report
    from rag.evaluation.runner import evaluate
    from rag.llms import canonical

    settings = settings_from(args)
    path = Path(args.questions) if args.questions else DEFAULT_QUESTIONS
    ids = [i.strip() for group in args.ids or [] for i in group.split(",") if i.strip()]
    items = select(load_items(path), ids=ids, categories=args.category, limit=args.limit)
    specs = _unique_specs(args.llm or [settings.llm])
    # Build every model (and the judge) before the first question: a missing key or model
    # file should fail now, not after an hour of answers.
    models = [(canonical(spec), build_chat_model(spec, settings)) for spec in specs]
    judge = None
    if args.judge:
        judge_spec = canonical(args.judge)
        if judge_spec.startswith("local:"):
            print(f"warning: {judge_spec} is a small embedded model; its ratings are a rough "
                  f"signal at best. A larger model (openai:..., ollama:...) judges better.",
                  file=sys.stderr)
        judge = Judge(build_chat_model(args.judge, settings), judge_spec)
    if args.corpus:
        from rag.evaluation.corpus import index_corpus

        indexed = index_corpus(settings, Path(args.corpus), progress=not args.no_progress)
        settings = indexed.settings
        print(f"Corpus {indexed.corpus}: {indexed.files} files, index {settings.data_dir}"
              + (" (cached)" if indexed.cached else
                 f" (built: {indexed.chunks_embedded} chunks in {indexed.seconds:.0f}s)"),
              file=sys.stderr)
    out = _out_dir(args.out)
    if (out / "summary.json").exists():
        print(f"note: overwriting the report in {out}", file=sys.stderr)
    try:
        shown = path.resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        shown = path
    print(f"Evaluating {len(items)} items with {', '.join(s for s, _ in models)} "
          f"-> {out}", file=sys.stderr)
    result = evaluate(items, models, settings, judge=judge, question_file=str(shown),
                      progress=not args.no_progress)
    if not result.models:
        print("Interrupted before any answer; nothing written.", file=sys.stderr)
        return 130
    files = write_report(result, out)
    summary = summarize(result)
    table = markdown(summary).split("\n## ")[0]
    print(table.rstrip())
    print(f"\nReport: {out} ({', '.join(sorted(p.name for p in files.values()))})")
    status = 0
    if result.interrupted:
        print("Interrupted: the report holds the items answered so far.", file=sys.stderr)
        status = 130
    for name, values in summary["metrics"].items():
        if values["quote_exactness"] not in (None, 1.0):
            ids_bad = summary["look_at"][name]["inexact quotes"]
            print(f"error: {name}: quote exactness {values['quote_exactness']:.3f} < 1.0 — a "
                  f"citation's quote is not its source text; this is a bug (items: "
                  f"{', '.join(ids_bad)}).", file=sys.stderr)
            status = status or 1
        if values["errors"]:
            print(f"error: {name}: {values['errors']} item(s) failed; see the error field in "
                  f"{files['predictions']}.", file=sys.stderr)
            status = status or 1
    return status

