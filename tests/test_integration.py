"""End to end with the real default embedded model (no network, no key)."""

import json
import os
import subprocess
import sys

import pytest

from rag.engine import build_engine
from rag.text import read_text
from tests.conftest import SEEDS, make_settings

pytestmark = pytest.mark.slow

CASES = [
    ("What did Kremlin spokesperson Dmitry Peskov say about the reports?", ["Peskov"]),
    ("What did South Korea's defense minister warn could happen to North Korean soldiers?",
     ["cannon fodder"]),
    ("Where are the first North Korean troops expected to arrive?", ["Kursk"]),
    ("Who is Kim Jong Gyu?", ["Vice Foreign Minister", "rumors", "rumours"]),
    ("How many brigades did the NIS say North Korea deployed?", ["four", "4"]),
    ("What did the US State Department say about the reports?", ["confirm"]),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory, seed_store):
    return build_engine(make_settings(tmp_path_factory.mktemp("int")), store=seed_store)


def _assert_quotes_exact(answer):
    for c in answer.citations:
        original = read_text(SEEDS / c.source)
        assert original[c.start:c.end] == c.quote


@pytest.mark.parametrize("question,facts", CASES)
def test_real_model_answers_with_exact_quotes(engine, question, facts):
    answer = engine.answer(question)
    assert answer.answerable, (answer.refusal_reason, answer.answer)
    assert answer.citations
    _assert_quotes_exact(answer)
    assert any(f.lower() in answer.answer.lower() for f in facts), answer.answer


def test_disputed_troop_numbers_are_attributed(engine):
    answer = engine.answer("How many North Korean troops are in Russia?")
    assert answer.answerable and answer.conflicts
    _assert_quotes_exact(answer)
    # figures are grouped by what they count (already there, expected, committed in total):
    # across the groups, at least three figures from three reports, each attributed
    claims = [c for conflict in answer.conflicts if conflict.kind == "figure"
              for c in conflict.claims]
    assert len({c.number for c in claims}) >= 3 and len({c.source for c in claims}) >= 3
    assert answer.conflicts[0].label and all(c.attributed_to for c in claims)


def test_off_topic_question_is_refused(engine):
    answer = engine.answer("What is the capital of France?")
    assert not answer.answerable and "Paris" not in answer.answer


def test_cli_ask_json_contract(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_", "CHROMA_"))}
    env.update(RAG_DATA_DIR=str(tmp_path), HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "--json", "--llm", "local:qwen2.5-coder-0.5b",
         "Where are the first North Korean troops expected to arrive?"],
        capture_output=True, text=True, env=env, timeout=600, cwd=SEEDS.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert set(data) >= {"question", "answer", "answerable", "citations", "passages", "model",
                         "timings_ms"}
    assert data["model"] == "local:qwen2.5-coder-0.5b"
    for c in data["citations"]:
        assert read_text(SEEDS / c["source"])[c["start"]:c["end"]] == c["quote"]
    assert data["answerable"] and data["citations"]  # indexed seeds/ on first ask, then answered


def test_cli_reports_bad_input_clearly(tmp_path):
    env = dict(os.environ, RAG_DATA_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "rag", "ask", "   "], capture_output=True,
                          text=True, env=env, timeout=300, cwd=SEEDS.parent)
    assert proc.returncode == 2 and "question is empty" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "rag", "ask", "hi", "--llm", "gpt5"],
                          capture_output=True, text=True, env=env, timeout=300, cwd=SEEDS.parent)
    assert proc.returncode == 2 and "Valid forms" in proc.stderr


def test_terminal_chat_streams_answers_and_survives_bad_input(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_", "CHROMA_"))}
    env.update(RAG_DATA_DIR=str(tmp_path), HF_HUB_OFFLINE="1")
    script = "Who is Kim Jong Gyu?\n" + "x" * 1200 + "\nAnd what did he call the reports?\n/quit\n"
    proc = subprocess.run([sys.executable, "-m", "rag", "chat", "--llm", "local:qwen2.5-coder-0.5b"],
                          input=script, capture_output=True, text=True, env=env, timeout=600,
                          cwd=SEEDS.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert out.count("bot> ") == 2  # two answers; the over-long question got an error instead
    assert "[error]" in out and "RAG_MAX_QUESTION_CHARS" in out
    assert "Sources:" in out and "Kim Jong Gyu" in out
