"""The evaluation runner end to end: real store and embeddings, scripted chat models."""

from __future__ import annotations

import json
import re

import pytest

from rag.evaluation.dataset import load_items, select
from rag.evaluation.judge import Judge
from rag.evaluation.report import write_report
from rag.evaluation.runner import evaluate
from rag.llms.scripted import ScriptedChatModel
from tests.conftest import make_settings

IDS = ["fact-01", "conflict-02", "unans-01", "fp-03", "followup-02"]  # in file order
PNG = b"\x89PNG\r\n\x1a\n"


def copy_evidence(messages):
    """A scripted 'model' that restates the two first evidence lines, each with its number.

    Follow-ups are rewritten by naming the person from the conversation.
    """
    prompt = messages[-1].text
    if "Follow-up question:" in prompt:
        question = prompt.split("Follow-up question:")[1].split("\n")[0].strip()
        return question.replace("he ", "Kyrylo Budanov ")
    lines = re.findall(r"^\[(\d+)\] (.*)$", prompt, re.MULTILINE)
    if not lines:
        return "NOT IN REPORTS"
    return " ".join(f"{text.rstrip('.')} [{n}]." for n, text in lines[:2])


def refuse(_messages):
    return "NOT IN REPORTS"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, seed_store):
    tmp = tmp_path_factory.mktemp("eval-run")
    items = select(load_items(), ids=IDS)
    models = [("scripted:copy", ScriptedChatModel(replies=copy_evidence)),
              ("scripted:refuse", ScriptedChatModel(replies=refuse))]
    judge = Judge(ScriptedChatModel(replies=["4"]), "scripted:judge")
    run = evaluate(items, models, make_settings(tmp / "data"), store=seed_store, judge=judge,
                   question_file="eval/questions.jsonl", progress=False)
    out = tmp / "report"
    write_report(run, out)
    return out


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_report_folder_has_every_file(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert names >= {"predictions.jsonl", "per_item.jsonl", "summary.json", "summary.md",
                     "metrics.png", "latency.png", "ragas.jsonl",
                     "ragas-scripted-copy.jsonl", "ragas-scripted-refuse.jsonl"}
    for png in ("metrics.png", "latency.png"):
        assert (run_dir / png).read_bytes()[:8] == PNG


def test_predictions_hold_answer_citations_passages_and_timings(run_dir):
    rows = read_jsonl(run_dir / "predictions.jsonl")
    models = ("scripted:copy", "scripted:refuse")
    assert [(r["model"], r["id"]) for r in rows] == [(m, i) for m in models for i in IDS]
    fact = rows[0]
    assert fact["answer"] and not fact["refused"] and fact["citations"] and fact["passages"]
    assert len(fact["retrieved"]) == 10 and fact["passages"][0]["text"]
    assert {"n", "source", "quote", "start", "end"} <= set(fact["citations"][0])
    assert fact["timings_ms"]["latency"] > 0 and fact["timings_ms"]["ttft"] > 0
    assert fact["tokens"] > 0 and fact["tokens_per_s"] > 0
    follow = next(r for r in rows if r["id"] == "followup-02")
    assert "Budanov" in follow["standalone_question"] and follow["history"]
    unans = next(r for r in rows if r["id"] == "unans-01")
    assert unans["refused"] and "relevant" in unans["refusal_reason"]


def test_per_item_metrics(run_dir):
    rows = {(r["model"], r["id"]): r for r in read_jsonl(run_dir / "per_item.jsonl")}
    copy_fact = rows["scripted:copy", "fact-01"]
    assert copy_fact["quote_exactness"] == 1.0 and copy_fact["citation_coverage"] == 1.0
    assert copy_fact["false_refusal"] is False and copy_fact["correct_refusal"] is None
    assert copy_fact["hit@10"] == 1.0 and 0 < copy_fact["mrr"] <= 1
    assert copy_fact["faithfulness"] == 0.75 and copy_fact["answer_relevance"] == 0.75
    assert rows["scripted:copy", "conflict-02"]["conflict_attribution"] is not None
    grouping = rows["scripted:copy", "conflict-02"]["comparable_grouping"]  # gold_groups item
    assert grouping is None or 0 <= grouping <= 1
    assert rows["scripted:copy", "fact-01"]["comparable_grouping"] is None  # no gold_groups
    assert rows["scripted:copy", "unans-01"]["correct_refusal"] is True
    assert rows["scripted:copy", "unans-01"]["hit@1"] is None       # no gold evidence
    refused = rows["scripted:refuse", "fact-01"]
    assert refused["false_refusal"] is True and refused["key_fact_recall"] == 0.0
    assert refused["citations"] == 0 and refused["quote_exactness"] is None
    assert refused["evidence_recall"] == 0.0 and refused["faithfulness"] is None
    # fp-03 is unanswerable as asked although it carries a correction's key facts
    assert rows["scripted:refuse", "fp-03"]["correct_refusal"] is True
    # the condensed follow-up names Budanov: rewritten by the model, or (when the rewrite
    # fails) the last question joined to the follow-up
    assert rows["scripted:copy", "followup-02"]["condensation"] is True
    assert rows["scripted:refuse", "followup-02"]["condensation"] is True
    assert rows["scripted:copy", "fact-01"]["condensation"] is None


def test_condensation_fails_when_the_standalone_question_drops_the_entity():
    from rag.evaluation.runner import Prediction, score

    item = select(load_items(), ids=["followup-02"])[0]
    pred = Prediction(item.id, item.category, "m", item.question, item.history_messages(),
                      answer="NOT IN REPORTS", refused=True,
                      standalone_question="Where does he expect the first troops to arrive?")
    assert score(item, pred, [])["condensation"] is False
    pred.standalone_question = "Where does Kyrylo Budanov expect the first troops to arrive?"
    assert score(item, pred, [])["condensation"] is True


def test_summary_has_one_column_per_model(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["run"]["models"] == ["scripted:copy", "scripted:refuse"]
    assert summary["run"]["judge"] == "scripted:judge" and summary["run"]["item_ids"] == IDS
    copy, refuse = summary["metrics"]["scripted:copy"], summary["metrics"]["scripted:refuse"]
    assert "comparable_grouping" in copy
    assert copy["quote_exactness"] == 1.0 and copy["citations"] > 0
    assert copy["false_refusal"] == 0.0 and refuse["false_refusal"] == 1.0
    assert refuse["correct_refusal"] == 1.0 and refuse["quote_exactness"] is None
    assert copy["latency_p50_s"] > 0 and copy["faithfulness"] == 0.75
    assert set(summary["by_category"]["scripted:copy"]) == {"fact", "conflict", "followup",
                                                            "unanswerable", "false_premise"}
    md = (run_dir / "summary.md").read_text()
    header = next(line for line in md.splitlines() if line.startswith("| Metric"))
    assert header == "| Metric | `scripted:copy` | `scripted:refuse` |"
    assert "| Quote exactness (must be 1.00) | 1.00 (" in md
    assert "judge: scripted:judge" in md


def test_ragas_rows_use_ragas_field_names(run_dir):
    rows = read_jsonl(run_dir / "ragas.jsonl")
    assert len(rows) == 2 * len(IDS)
    for row in rows:
        assert set(row) == {"user_input", "retrieved_contexts", "response", "reference",
                            "reference_contexts"}
        assert isinstance(row["retrieved_contexts"], list) and row["reference"]
    follow = rows[IDS.index("followup-02")]
    assert follow["user_input"].startswith("user: Who is Kyrylo Budanov?")
    assert len(read_jsonl(run_dir / "ragas-scripted-copy.jsonl")) == len(IDS)


def test_cli_eval_writes_the_folder_and_prints_the_table(tmp_path, monkeypatch, capsys):
    from rag import cli
    from rag.llms.scripted import register_script

    copy = register_script("copy-evidence", copy_evidence)
    other = register_script("copy-evidence-2", copy_evidence)
    out = tmp_path / "out"
    code = cli.main(["eval", "--llm", copy, "--llm", copy,  # one model, named twice
                     "--llm", other, "--data-dir", str(tmp_path / "data"),
                     "--ids", "fact-08,unans-01", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"| Metric | `{copy}` | `{other}` |" in printed
    assert f"Report: {out}" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["item_ids"] == ["fact-08", "unans-01"]
    assert summary["run"]["judge"] == "skipped"
    assert summary["metrics"][other]["faithfulness"] == "skipped"


def test_cli_eval_rejects_an_unknown_item_id(tmp_path, capsys):
    from rag import cli

    assert cli.main(["eval", "--ids", "nope", "--data-dir", str(tmp_path)]) == 2
    assert "Unknown item id(s): nope" in capsys.readouterr().err


def test_ctrl_c_keeps_the_items_answered_so_far(tmp_path, seed_store):
    calls = []

    def reply_then_interrupt(messages):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return copy_evidence(messages)

    items = select(load_items(), ids=["fact-01", "fact-02", "fact-03"])
    run = evaluate(items, [("scripted:once", ScriptedChatModel(replies=reply_then_interrupt))],
                   make_settings(tmp_path), store=seed_store, progress=False)
    assert run.interrupted and [r["id"] for r in run.models[0].rows] == ["fact-01"]
    write_report(run, tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["run"]["interrupted"] is True
    assert "Interrupted: partial results." in (tmp_path / "out" / "summary.md").read_text()


def test_default_output_folder_is_timestamped_under_reports_eval():
    from rag.evaluation import cli as eval_cli

    out = eval_cli._out_dir(None)
    assert out.parent == eval_cli.REPORTS_DIR
    assert eval_cli.REPORTS_DIR.parts[-2:] == ("reports", "eval")
    assert re.fullmatch(r"\d{8}-\d{6}(-\d+)?", out.name)
