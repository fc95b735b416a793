"""How long the per-sentence support check (the engine's "support" stage) takes per answer.

Runs the seed question set through the engine with two scripted chat models (no LLM):
``extractive`` (cites the first evidence sentence with its own words) and ``reference``
(answers with the item's reference answer, each sentence cited to evidence [1], so the check
has markers to move and sentences to drop) and ``gold`` (the reference answer cited to the
evidence sentence that overlaps the item's gold evidence, where one was shown: a correct,
paraphrased answer, so every refusal there is a false one). Prints the stage's time per
answer, p50/p95/max, and how many answers the check refused.

    .venv/bin/python scripts/support_timing.py [--questions eval/questions.jsonl]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.config import PROJECT_ROOT, Settings  # noqa: E402
from rag.embeddings import build_embeddings  # noqa: E402
from rag.engine import build_engine  # noqa: E402
from rag.evaluation.dataset import load_items  # noqa: E402
from rag.evaluation.metrics import percentile  # noqa: E402
from rag.ingest import ingest  # noqa: E402
from rag.llms.scripted import ScriptedChatModel, extractive  # noqa: E402
from rag.store import ReportStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=PROJECT_ROOT / "eval/questions.jsonl")
    args = parser.parse_args()
    items = [it for it in load_items(args.questions) if not it.history]
    references = {it.question: it.reference_answer or "" for it in items}
    gold = {it.question: it.gold_evidence for it in items}

    def reference(messages) -> str:
        prompt = messages[-1].text
        question = next((q for q in references if q in prompt), "")
        text = re.sub(r"\s+", " ", references.get(question, "")).strip()
        if not text:
            return "NOT IN REPORTS"
        return re.sub(r"([.!?])(\s|$)", r" [1]\1\2", text if text[-1] in ".!?" else text + ".")

    def gold_cited(messages) -> str:
        prompt = messages[-1].text
        question = next((q for q in references if q in prompt), "")
        text = re.sub(r"\s+", " ", references.get(question, "")).strip()
        lines = dict(re.findall(r"^\[(\d+)\] (.*)$", prompt, re.M))
        hit = next((n for n, line in lines.items()
                    if any(g.quote[:40] in line or line[:40] in g.quote
                           for g in gold.get(question, ()))), None)
        if not text or hit is None:
            return "NOT IN REPORTS"
        text = text if text[-1] in ".!?" else text + "."
        return re.sub(r"([.!?])(\s|$)", rf" [{hit}]\1\2", text)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.resolve(env={}, data_dir=Path(tmp))
        store = ReportStore.open(settings, build_embeddings(settings))
        ingest(store, [PROJECT_ROOT / "seeds"])
        for name, reply in (("extractive", extractive), ("reference", reference),
                            ("gold", gold_cited)):
            engine = build_engine(settings, llm=ScriptedChatModel(replies=reply), store=store,
                                  model_name=f"scripted:{name}")
            engine.answer(items[0].question)  # warm
            ms, changed, refused = [], 0, 0
            for it in items:
                answer = engine.answer(it.question)
                if "support" in answer.timings_ms:
                    ms.append(answer.timings_ms["support"])
                    total = answer.timings_ms["total"]
                    changed += answer.answerable and bool(answer.answer)
                    refused += (answer.refusal_reason or "").startswith("no answer sentence")
            print(f"{name:<10} support stage per answer: p50 {percentile(ms, 50):.2f} ms, "
                  f"p95 {percentile(ms, 95):.2f} ms, max {max(ms):.2f} ms over {len(ms)} answers "
                  f"(last answer total {total:.0f} ms); {refused} refused by the check")


if __name__ == "__main__":
    main()
