"""Swapping in a model: the engine against a real OpenAI-compatible server.

The server is llama-cpp-python's own (``python -m llama_cpp.server``) running the smallest
embedded model on 127.0.0.1; the client is the real ``openai`` package, reached through
``--llm openai-compatible:MODEL`` and ``OPENAI_BASE_URL``. A 135M model is not wise, so the
assertions are about behaviour: answers arrive, streams come in pieces, follow-ups are
condensed by the server, and every quote that is shown matches its source at its offsets.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag import cli
from rag.engine import build_engine
from rag.llms.local_models import ensure_model
from rag.text import read_text
from rag.types import Answer
from tests.conftest import SEEDS, make_settings, stop_process
from tests.fake_openai_server import free_port

# A real llama.cpp server (a subprocess the in-process guard cannot see) loads a real model.
pytestmark = pytest.mark.slow

MODEL = "smollm2-135m"
QUESTION = "How many North Korean troops are in Russia?"
FOLLOW_UP = "And what did the Kremlin say about them?"


@dataclass
class LlamaServer:
    url: str  # for OPENAI_BASE_URL
    process: subprocess.Popen
    log: Path

    def completions(self) -> int:
        """Chat-completion requests the server has answered so far (from its access log)."""
        return self.log.read_text(errors="replace").count('"POST /v1/chat/completions')


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"llama_cpp.server did not start in {timeout:.0f}s")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("llama-server"))
    model_path = ensure_model(MODEL, settings.model_cache_dir)
    log = tmp_path_factory.mktemp("llama-server-log") / "server.log"
    port = free_port()
    with log.open("w") as out:  # one thread: llama.cpp's spinning pool crawls on busy cores
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
             "--model_alias", MODEL, "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1",
             "--verbose", "False"],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        wait_ready(url, process, log)
        yield LlamaServer(url, process, log)
    finally:
        stop_process(process, timeout=15)


@pytest.fixture
def engine(llama_server, tmp_path, seed_store):
    settings = make_settings(tmp_path, llm=f"openai-compatible:{MODEL}",
                             openai_base_url=llama_server.url, max_tokens=64)
    return build_engine(settings, store=seed_store)


def assert_grounded_or_refused(answer: Answer) -> None:
    """Either a refusal, or an answer whose every quote is the source text at its offsets."""
    if not answer.answerable:
        assert answer.refusal_reason and not answer.citations
        return
    assert answer.answer.strip() and answer.citations
    for c in answer.citations:
        assert read_text(SEEDS / c.source)[c.start:c.end] == c.quote
    # a finish_reason came back through the client: complete, or cut at RAG_MAX_TOKENS
    assert answer.complete or "RAG_MAX_TOKENS" in answer.answer


def test_ask_from_the_command_line_through_the_server(llama_server, tmp_path, monkeypatch,
                                                      capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server.url)
    monkeypatch.setenv("RAG_MAX_TOKENS", "64")
    before = llama_server.completions()
    code = cli.main(["ask", QUESTION, "--llm", f"openai-compatible:{MODEL}",
                     "--data-dir", str(tmp_path), "--json"])
    assert code == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["model"] == f"openai-compatible:{MODEL}"
    assert llama_server.completions() == before + 1  # the answer came from this server
    assert reply["answerable"] in (True, False) and reply["answer"].strip()
    for c in reply["citations"]:
        assert read_text(SEEDS / c["source"])[c["start"]:c["end"]] == c["quote"]


def test_a_streamed_answer_arrives_in_pieces(engine, llama_server):
    chunks = [c.text for c in engine.llm.stream("Count from one to ten in words.")]
    assert len([c for c in chunks if c]) >= 3  # the real client streams token by token

    stream = engine.stream(QUESTION)
    pieces = list(stream)
    answer = stream.answer
    assert answer is not None and answer.timings_ms["first_token"] <= answer.timings_ms["total"]
    if answer.answerable:
        assert len(pieces) >= 3
    assert_grounded_or_refused(answer)


def test_a_follow_up_is_condensed_by_the_server_then_answered(engine, llama_server):
    history = [{"role": "user", "content": QUESTION},
               {"role": "assistant", "content": "About 3,000 North Korean soldiers have been "
                                                "transported to Russia [1]."}]
    before = llama_server.completions()
    answer = engine.answer(FOLLOW_UP, history)
    assert llama_server.completions() == before + 2  # one call condenses, one answers
    assert answer.standalone_question and answer.standalone_question != FOLLOW_UP
    assert answer.passages  # retrieval ran on the condensed question
    assert_grounded_or_refused(answer)
