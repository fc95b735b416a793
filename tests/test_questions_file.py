"""Structural and grounding checks for the hand-made RAG evaluation set.

Reports are read exactly as ``open(path, encoding="utf-8", newline="").read()``;
gold ``start``/``end`` are Python str offsets into that string.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
SEEDS = ROOT / "seeds"

CATEGORIES = {"fact", "multi", "conflict", "unanswerable", "false_premise", "followup", "injection"}
REQUIRED = {
    "id": str,
    "category": str,
    "question": str,
    "answerable": bool,
    "reference_answer": str,
    "key_facts": list,
    "gold_evidence": list,
}
_NORMALIZE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\xa0": " "})


def _norm(s: str) -> str:
    return s.translate(_NORMALIZE).casefold()


def _read_report(name: str) -> str:
    with open(SEEDS / name, encoding="utf-8", newline="") as fh:
        return fh.read()


def _load_lines() -> list[str]:
    with open(QUESTIONS, encoding="utf-8") as fh:
        return [line for line in fh.read().split("\n") if line.strip()]


@pytest.fixture(scope="module")
def reports() -> dict[str, str]:
    names = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert len(names) == 5, names
    return {n: _read_report(n) for n in names}


@pytest.fixture(scope="module")
def items() -> list[dict]:
    out = []
    for i, line in enumerate(_load_lines(), 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
            pytest.fail(f"line {i} is not valid JSON: {exc}")
        assert isinstance(obj, dict), f"line {i} is not a JSON object"
        out.append(obj)
    return out


def test_file_exists_and_every_line_is_json():
    assert QUESTIONS.is_file()
    for i, line in enumerate(_load_lines(), 1):
        assert isinstance(json.loads(line), dict), f"line {i}"


def test_required_fields_and_types(items):
    for it in items:
        for field, typ in REQUIRED.items():
            assert field in it, f"{it.get('id')}: missing {field}"
            assert isinstance(it[field], typ), f"{it.get('id')}: {field} should be {typ.__name__}"
        assert it["id"].strip() and it["question"].strip() and it["reference_answer"].strip(), it["id"]
        for fact in it["key_facts"]:
            assert isinstance(fact, list) and fact, f"{it['id']}: each key fact is a non-empty list"
            assert all(isinstance(f, str) and f.strip() for f in fact), it["id"]
        for ev in it["gold_evidence"]:
            assert set(ev) >= {"source", "quote", "start", "end"}, it["id"]
            assert isinstance(ev["source"], str) and isinstance(ev["quote"], str), it["id"]
            assert type(ev["start"]) is int and type(ev["end"]) is int, it["id"]
        if "history" in it:
            assert isinstance(it["history"], list), it["id"]


def test_ids_unique(items):
    ids = [it["id"] for it in items]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_categories_and_size(items):
    assert len(items) >= 60
    cats = [it["category"] for it in items]
    assert set(cats) <= CATEGORIES, set(cats) - CATEGORIES
    assert set(cats) == CATEGORIES, CATEGORIES - set(cats)


def test_gold_quotes_match_offsets(items, reports):
    for it in items:
        for ev in it["gold_evidence"]:
            assert ev["source"] in reports, f"{it['id']}: unknown source {ev['source']}"
            text = reports[ev["source"]]
            assert 0 <= ev["start"] < ev["end"] <= len(text), it["id"]
            assert ev["quote"].strip(), it["id"]
            assert text[ev["start"]:ev["end"]] == ev["quote"], f"{it['id']}: quote/offset mismatch"


def test_answerable_items_are_grounded(items):
    for it in items:
        if not it["answerable"]:
            continue
        assert it["key_facts"], f"{it['id']}: answerable item needs key facts"
        assert it["gold_evidence"], f"{it['id']}: answerable item needs gold evidence"
        joined = _norm("\n".join(ev["quote"] for ev in it["gold_evidence"]))
        for fact in it["key_facts"]:
            assert any(_norm(f) in joined for f in fact), f"{it['id']}: key fact {fact} not in its evidence"


def test_followups_have_history(items):
    followups = [it for it in items if it["category"] == "followup"]
    assert followups
    for it in items:
        if it["category"] == "followup":
            assert it.get("history"), f"{it['id']}: followup needs a non-empty history"
        for turn in it.get("history") or []:
            assert isinstance(turn, dict) and set(turn) == {"role", "content"}, it["id"]
            assert turn["role"] in {"user", "assistant"}, it["id"]
            assert isinstance(turn["content"], str) and turn["content"].strip(), it["id"]


def test_unanswerable_items(items):
    for it in items:
        if it["category"] == "unanswerable":
            assert it["answerable"] is False, it["id"]
            assert it["key_facts"] == [], it["id"]
            assert it["gold_evidence"] == [], it["id"]
        if it["category"] == "false_premise":
            assert it["answerable"] is False, it["id"]


def test_conflict_claims(items, reports):
    conflicts = [it for it in items if it["category"] == "conflict"]
    assert conflicts
    for it in conflicts:
        claims = it.get("claims")
        assert isinstance(claims, list) and len(claims) >= 2, f"{it['id']}: needs >= 2 claims"
        assert len({c["source"] for c in claims}) >= 2, f"{it['id']}: claims from >= 2 sources"
        for c in claims:
            assert {"source", "value", "forms", "attributed_to"} <= set(c), it["id"]
            assert isinstance(c["value"], str) and c["value"].strip(), it["id"]
            assert isinstance(c["forms"], list) and all(isinstance(f, str) for f in c["forms"]), it["id"]
            assert isinstance(c["attributed_to"], str) and c["attributed_to"].strip(), it["id"]
            assert c["source"] in reports, f"{it['id']}: unknown source {c['source']}"
            text = _norm(reports[c["source"]])
            assert any(_norm(f) in text for f in [c["value"], *c["forms"]]), (
                f"{it['id']}: claim {c['value']!r} not found in {c['source']}")


def test_the_file_is_what_its_builder_writes(tmp_path):
    """eval/questions.jsonl is generated by eval/make_gold.py; an edit by hand that the
    builder does not know (a new field) would be lost at the next rebuild."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", (
        "import sys, json; sys.path.insert(0, 'eval'); import make_gold, gold; "
        "recs = gold.build(make_gold.ITEMS, make_gold.text_of, make_gold.locate, make_gold.has); "
        "print(''.join(json.dumps(r, ensure_ascii=False) + chr(10) for r in recs), end='')")],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == QUESTIONS.read_text(encoding="utf-8")
