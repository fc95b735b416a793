"""Outgrowing one machine: the same ingest and answers through a real Chroma server.

The server is the ``chroma`` command of the installed ``chromadb`` package
(``chroma run --path DIR --host 127.0.0.1 --port PORT``), reached through CHROMA_HOST and
CHROMA_PORT. Its results must match the embedded store's, chunk for chunk.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rag import cli
from rag.engine import build_engine
from rag.errors import StoreUnavailableError
from rag.ingest import ingest
from rag.llms.scripted import ScriptedChatModel
from rag.retrieve import hybrid_search
from rag.store import ReportStore
from tests.conftest import SEEDS, make_settings, stop_process
from tests.fake_openai_server import FakeOpenAI, free_port

QUESTIONS = [json.loads(line)["question"] for line in
             (SEEDS.parent / "eval" / "questions.jsonl").read_text().splitlines()[:8]]


def chroma_command() -> str:
    local = Path(sys.executable).parent / "chroma"
    found = str(local) if local.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the chroma command is missing: pip install chromadb (requirements.txt)")
    return found


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """(host, port) of a Chroma server on loopback, stopped at the end."""
    root = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = root / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([chroma_command(), "run", "--path", str(root / "db"),
                                    "--host", "127.0.0.1", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"chroma run exited:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat",
                                            timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the Chroma server did not start in 60s") from None
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        stop_process(process, timeout=15)


@pytest.fixture(scope="module")
def server_store(chroma_server, tmp_path_factory, embeddings):
    host, port = chroma_server
    settings = make_settings(tmp_path_factory.mktemp("server-client"), chroma_host=host,
                             chroma_port=port, collection="reports-server-test")
    store = ReportStore.open(settings, embeddings)
    summary = ingest(store, [SEEDS])
    assert len(summary.added) == 5, summary.lines()
    return store


def cite_first(messages) -> str:
    """A scripted reply: cite the first two evidence sentences."""
    numbers = re.findall(r"^\[(\d+)\]", messages[-1].text, re.MULTILINE)[:2]
    return "The reports state this " + "".join(f"[{n}]" for n in numbers) + "."


def test_ingest_through_the_server_matches_the_embedded_store(server_store, seed_store):
    assert "fastapi" in server_store.client.get_settings().chroma_api_impl  # over HTTP
    assert "fastapi" not in seed_store.client.get_settings().chroma_api_impl
    key = [(s.source, s.title, s.chunks, s.file_sha256) for s in seed_store.sources()]
    assert [(s.source, s.title, s.chunks, s.file_sha256) for s in server_store.sources()] == key
    again = ingest(server_store, [SEEDS])
    assert len(again.unchanged) == 5 and again.chunks_embedded == 0  # idempotent there too


@pytest.mark.parametrize("question", QUESTIONS)
def test_retrieval_through_the_server_matches_the_embedded_store(server_store, seed_store,
                                                                 question):
    local = hybrid_search(seed_store, question, 6)
    remote = hybrid_search(server_store, question, 6)
    assert [p.chunk_id for p in remote.passages] == [p.chunk_id for p in local.passages]
    assert remote.best_dense == pytest.approx(local.best_dense, abs=1e-4)
    for r, p in zip(remote.passages, local.passages, strict=True):
        assert (r.source, r.start, r.end, r.text) == (p.source, p.start, p.end, p.text)


def test_answers_through_the_server_match_the_embedded_store(server_store, seed_store, tmp_path):
    def answers(store):
        engine = build_engine(make_settings(tmp_path), llm=ScriptedChatModel(replies=cite_first),
                              store=store, model_name="scripted")
        return [engine.answer(q).to_json() for q in QUESTIONS[:4]]

    local, remote = answers(seed_store), answers(server_store)
    for a in local + remote:
        a.pop("timings_ms")
    for a in local + remote:  # the server's distance kernels may differ in the 6th decimal
        for p in a["passages"]:
            p["dense"] = None if p["dense"] is None else round(p["dense"], 4)
    for a, b in zip(remote, local, strict=True):
        diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
        assert not diff, diff
    assert any(a["citations"] for a in remote)


def test_ingest_and_ask_from_the_command_line_with_chroma_host(chroma_server, tmp_path,
                                                               monkeypatch, capsys):
    host, port = chroma_server
    with FakeOpenAI(reply="North Korean troops are in Russia [1].") as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        monkeypatch.setenv("RAG_LLM", "openai-compatible:fake-model")
        question = "How many North Korean troops are in Russia?"

        def ask(data_dir: Path) -> dict:
            assert cli.main(["ingest", "--data-dir", str(data_dir)]) == 0
            assert "added 5" in capsys.readouterr().out
            assert cli.main(["ask", question, "--json", "--data-dir", str(data_dir)]) == 0
            reply = json.loads(capsys.readouterr().out)
            reply.pop("timings_ms")
            for p in reply["passages"]:  # a server's distance kernels differ in the 6th decimal
                p["dense"] = None if p["dense"] is None else round(p["dense"], 4)
            return reply

        embedded = ask(tmp_path / "embedded")
        monkeypatch.setenv("CHROMA_HOST", host)
        monkeypatch.setenv("CHROMA_PORT", str(port))
        monkeypatch.setenv("RAG_COLLECTION", "reports-cli-test")
        served = ask(tmp_path / "served")
    assert not (tmp_path / "served" / "chroma").exists()  # nothing was stored locally
    assert served == embedded and served["citations"]


def test_an_unreachable_server_says_what_to_do(tmp_path, embeddings):
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreUnavailableError, match="CHROMA_HOST"):
        ReportStore.open(settings, embeddings)
