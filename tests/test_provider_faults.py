"""Provider faults, through the real ``openai`` client against a local fault-injecting server.

Rate limits and server errors are retried a bounded number of times with growing pauses; a
refused key names the setting to fix; a hanging server fails within RAG_LLM_TIMEOUT; a stream
cut part-way is an incomplete answer, never a complete one; and the next question works.
"""

from __future__ import annotations

import json
import time
from itertools import pairwise

import pytest

from rag import cli
from rag.engine import build_engine
from rag.errors import ProviderError
from tests.conftest import make_settings
from tests.fake_openai_server import FakeOpenAI

QUESTION = "How many North Korean troops are in Russia?"
REPLY = ("North Korea has sent troops to Russia [1]. South Korea's intelligence agency gave "
         "a figure for them [2]. The Kremlin answered questions about it [3].")


@pytest.fixture
def server():
    fake = FakeOpenAI(reply=REPLY)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def engine_for(server, tmp_path, seed_store):
    def make(retries: int = 2, timeout: float = 5.0):
        settings = make_settings(tmp_path, llm="openai-compatible:fake-model",
                                 openai_base_url=server.url, llm_retries=retries,
                                 llm_timeout=timeout)
        return build_engine(settings, store=seed_store)
    return make


def assert_next_question_works(engine, server):
    server.set_script("ok")
    answer = engine.answer(QUESTION)
    assert answer.complete and answer.answerable, answer.refusal_reason
    assert answer.citations and answer.answer.startswith("North Korea has sent troops")


def gaps(server) -> list[float]:
    times = [r.at for r in server.requests]
    return [b - a for a, b in pairwise(times)]


def test_a_normal_answer_goes_through_the_real_openai_client(server, engine_for):
    engine = engine_for()
    assert_next_question_works(engine, server)
    request = server.requests[0]
    assert request.path == "/v1/chat/completions" and request.body["stream"] is True
    assert request.body["model"] == "fake-model"
    assert request.headers["user-agent"].startswith("OpenAI/Python")
    assert request.headers["x-stainless-read-timeout"] == "5.0"  # RAG_LLM_TIMEOUT reaches it


@pytest.mark.parametrize("status", ["429", "500"])
def test_rate_limits_and_server_errors_are_retried_with_backoff(server, engine_for, status):
    engine = engine_for(retries=2)
    server.set_script(status, status, "ok")
    answer = engine.answer(QUESTION)
    assert answer.complete and answer.answerable
    assert [r.mode for r in server.requests] == [status, status, "ok"]
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1", "2"]
    first, second = gaps(server)
    assert first >= 0.3 and second > first  # exponential backoff (0.5 s, then 1 s, less jitter)


@pytest.mark.parametrize("status,words", [("429", "RAG_LLM_RETRIES"), ("500", "server error")])
def test_retries_are_bounded_and_the_message_says_what_to_do(server, engine_for, status, words):
    engine = engine_for(retries=2)
    server.set_script(status)
    with pytest.raises(ProviderError, match=words):
        engine.answer(QUESTION)
    assert len(server.requests) == 3  # the first try and two retries, no more
    assert_next_question_works(engine, server)


def test_a_refused_key_names_the_setting_and_is_not_retried(server, engine_for):
    engine = engine_for(retries=2)
    server.set_script("401")
    with pytest.raises(ProviderError, match="OPENAI_API_KEY") as info:
        engine.answer(QUESTION)
    assert "401" in str(info.value)
    assert len(server.requests) == 1
    assert_next_question_works(engine, server)


def test_a_hanging_server_fails_within_the_timeout(server, engine_for):
    engine = engine_for(retries=1, timeout=1.0)
    server.set_script("hang")
    with pytest.raises(ProviderError, match="RAG_LLM_TIMEOUT"):
        engine.answer(QUESTION)
    given_up = time.monotonic()
    assert len(server.requests) == 2  # one try and one retry, each cut at the timeout
    (gap,) = gaps(server)
    assert 1.0 <= gap < 1.0 + 0.5 + 2.0  # a full timeout, a pause of at most 0.5 s, slack
    waited = given_up - server.requests[-1].at  # from the last try's arrival to the error
    assert 0.9 <= waited < 3.0, waited
    assert_next_question_works(engine, server)


@pytest.mark.parametrize("mode", ["cut", "cut-clean", "hang-mid"])
def test_a_stream_cut_part_way_is_an_incomplete_answer(server, engine_for, mode):
    engine = engine_for(retries=0, timeout=1.0)
    server.set_script(mode)
    stream = engine.stream(QUESTION)
    pieces = list(stream)
    answer = stream.answer
    shown = "".join(pieces)
    half = "".join(server.pieces()[:len(server.pieces()) // 2])
    assert len(pieces) >= 2 and shown.startswith(half.strip())  # half the reply, no more
    assert "Kremlin answered" not in shown and "Kremlin answered" not in answer.answer
    assert answer.complete is False
    assert answer.answerable and answer.citations  # what did arrive is still verified
    assert "[Incomplete answer:" not in answer.answer  # a note, kept apart from the text
    assert any(n.startswith("[Incomplete answer:") for n in answer.notes)
    assert "[Incomplete answer:" in shown and "[Incomplete answer:" in answer.to_json()["answer"]
    assert_next_question_works(engine, server)


def test_a_stream_cut_before_any_citation_is_refused_and_marked_incomplete(server, engine_for):
    server.reply = "The reports describe several different accounts of the deployment [1]."
    engine = engine_for(retries=0)
    server.set_script("cut-clean")
    answer = engine.answer(QUESTION)
    assert not answer.answerable and answer.complete is False
    assert "cut off" in answer.refusal_reason
    server.reply = REPLY
    assert_next_question_works(engine, server)


def test_the_command_line_reports_faults_without_a_traceback(server, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("RAG_LLM_RETRIES", "0")
    argv = ["ask", QUESTION, "--llm", "openai-compatible:fake-model",
            "--data-dir", str(tmp_path), "--json"]
    server.set_script("401")
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert err[0].startswith("Model: openai-compatible:fake-model at ")  # said first
    assert err[-1].startswith("error: ") and "OPENAI_API_KEY" in err[-1]
    assert "Traceback" not in captured.err
    assert json.loads(captured.out)["error"]["type"] == "ProviderError"  # --json: one object

    server.set_script("cut-clean")
    assert cli.main(argv) == 0
    cut = json.loads(capsys.readouterr().out)
    assert cut["complete"] is False

    server.set_script("ok")
    assert cli.main(argv) == 0
    whole = json.loads(capsys.readouterr().out)
    assert whole["complete"] is True and whole["citations"]
