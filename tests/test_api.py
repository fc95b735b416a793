"""The HTTP API: a real uvicorn server on a free 127.0.0.1 port, the real ``openai`` client
and httpx, an engine with a scripted chat model over the real seed store."""

from __future__ import annotations

import doctest
import os
import re
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest
import uvicorn

from rag.api import create_app
from rag.api.guards import check_bind
from rag.api.openai_format import citation_line
from rag.config import PROJECT_ROOT
from rag.engine import build_engine
from rag.errors import ConfigError, ProviderError
from rag.llms.scripted import ScriptedChatModel
from rag.store import ReportStore
from rag.types import Citation
from tests.conftest import cite, make_settings, stop_process
from tests.fake_openai_server import free_port

PESKOV = "What did Peskov say about the reports?"
REWRITE = "What did Kremlin spokesperson Peskov say about North Korean troops in Russia?"
TROOPS = "How many North Korean troops has North Korea sent to Russia?"
KYIV_POST = "003_ca6e3800ea5608bd.txt"
FESTIVAL = (b"Zorblax Festival Draws Record Crowd\n\nThe Zorblax lantern festival in Tallinn "
            b"drew 40,000 visitors this weekend, its organisers said on Sunday.\n")


class Server:
    """A uvicorn server in a thread, on a port the OS picked."""

    def __init__(self, app) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            self.thread.join(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


@pytest.fixture
def serve(tmp_path, seed_store):
    """``serve(replies, **settings)`` -> (url, model, engine); stopped after the test."""
    servers = []

    def start(replies, store=None, **overrides):
        model = ScriptedChatModel(replies=replies)
        engine = build_engine(make_settings(tmp_path, **overrides), llm=model,
                              store=store or seed_store, model_name="scripted")
        servers.append(Server(create_app(engine)))
        return servers[-1].url, model, engine

    yield start
    for server in servers:
        server.stop()


def client(url: str, key: str = "no-key-needed") -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=120)


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def without_timings(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


def test_the_openai_client_gets_an_answer_with_verified_quotes(serve):
    url, _, engine = serve(cite("Peskov", "Peskov cited contradictory information"))
    reply = client(url).chat.completions.create(model="rag", messages=user(PESKOV))

    content = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop" and reply.model == "rag"
    answer_text, sources = content.split("\n\nSources:\n")
    assert "Peskov cited contradictory information" in answer_text
    [c] = reply.citations  # the extra field, as data
    original = engine.original_text(c["source"])
    assert original[c["start"]:c["end"]] == c["quote"] and "Peskov" in c["quote"]
    quote = " ".join(c["quote"].split())
    who = f" ({c['publisher']})" if c["publisher"] else ""
    assert sources == f"[{c['n']}] “{quote}” — {c['title']}{who}"
    assert reply.rag["answerable"] and reply.rag["citations"] == reply.citations


def test_a_streamed_answer_ends_with_its_sources_and_citations(serve):
    url, _, _ = serve(cite("Peskov", "Peskov cited contradictory information"))
    chunks = list(client(url).chat.completions.create(model="scripted", messages=user(PESKOV),
                                                      stream=True))
    assert len(chunks) > 4 and chunks[0].choices[0].delta.role == "assistant"
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.citations
    assert text.split("\n\nSources:\n")[0].strip() == last.rag["answer"]
    assert text.endswith(f"” — {last.citations[0]['title']}"
                         + (f" ({last.citations[0]['publisher']})"
                            if last.citations[0]["publisher"] else ""))
    assert all(not ch.model_extra.get("citations") for ch in chunks[:-1])


def test_a_follow_up_uses_the_earlier_messages_without_their_sources(serve):
    url, model, _ = serve(cite("Peskov", "Peskov cited contradictory information", REWRITE))
    api = client(url)
    first = api.chat.completions.create(model="rag", messages=user(PESKOV))
    messages = [*user(PESKOV), {"role": "assistant",
                                "content": first.choices[0].message.content},
                {"role": "system", "content": "You are a helpful assistant."},
                *user("What did the Kremlin say about that?")]
    calls = len(model.calls)
    second = api.chat.completions.create(model="rag", messages=messages)
    assert second.rag["standalone_question"] == REWRITE and second.citations
    condense = model.calls[calls][-1].text
    assert PESKOV in condense and "Sources:" not in condense


def test_a_scope_limits_the_answer_to_the_chosen_reports(serve):
    url, _, _ = serve(cite("12,000", "Up to 12,000 troops"))  # as the Kyiv Post says
    api = client(url)
    reply = api.chat.completions.create(model="rag", messages=user(TROOPS),
                                        extra_body={"sources": [KYIV_POST]})
    assert {c["source"] for c in reply.citations} == {KYIV_POST}
    assert {p["source"] for p in reply.rag["passages"]} == {KYIV_POST}
    with pytest.raises(openai.UnprocessableEntityError, match="nope.txt"):
        api.chat.completions.create(model="rag", messages=user(TROOPS),
                                    extra_body={"sources": [KYIV_POST, "nope.txt"]})
    asked = httpx.post(url + "/ask", json={"question": TROOPS, "sources": [KYIV_POST]},
                       timeout=120).json()
    assert {c["source"] for c in asked["citations"]} == {KYIV_POST}


def test_ask_returns_exactly_the_ask_json_object(serve):
    url, _, engine = serve(cite("committed to sending 12,000",
                                "North Korea committed to sending 12,000 troops"))
    got = httpx.post(url + "/ask", json={"question": TROOPS}, timeout=120)
    assert got.status_code == 200
    expected = engine.answer(TROOPS).to_json()
    assert list(got.json()) == list(expected)
    assert without_timings(got.json()) == without_timings(expected) and expected["conflicts"]


def test_four_concurrent_clients_are_all_answered(serve):
    url, _, engine = serve(lambda messages: (
        cite("Peskov", "Peskov cited contradictory information")(messages)
        if "Peskov" in messages[-1].text else
        cite("committed to sending 12,000", "North Korea committed to sending 12,000 troops")(messages)))
    questions = [PESKOV, TROOPS, PESKOV, TROOPS]
    alone = {q: without_timings(engine.answer(q).to_json()) for q in set(questions)}

    def ask(question: str):
        return client(url).chat.completions.create(model="rag", messages=user(question))

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(ask, questions))
    for question, reply in zip(questions, replies, strict=True):
        assert without_timings(reply.rag) == alone[question]


def test_bad_requests_get_a_status_and_a_message_that_says_what_to_fix(serve):
    url, _, _ = serve(cite("Peskov"))
    post = lambda path, **kw: httpx.post(url + path, timeout=60, **kw)  # noqa: E731

    bad_json = post("/v1/chat/completions", content=b'{"messages": [',
                    headers={"content-type": "application/json"})
    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.json()["error"]["message"]
    missing = post("/v1/chat/completions", json={"model": "rag"})
    assert missing.status_code == 422 and "messages" in missing.json()["error"]["message"]
    not_last = post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})
    assert not_last.status_code == 422 and "last message" in not_last.json()["error"]["message"]
    empty = post("/ask", json={"question": "  "})
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]
    long = post("/ask", json={"question": "why? " * 400})
    assert long.status_code == 422 and "RAG_MAX_QUESTION_CHARS" in long.json()["error"]["message"]
    huge = post("/v1/chat/completions", json={"messages": user("x" * 3_000_000)})
    assert huge.status_code == 413 and "limit" in huge.json()["error"]["message"]

    def chunked():  # no Content-Length: the cap holds while the body is read
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(30):
            yield b"y" * 100_000
        yield b'"}]}'
    streamed = post("/v1/chat/completions", content=chunked(),
                    headers={"content-type": "application/json"})
    assert streamed.status_code == 413

    with pytest.raises(openai.NotFoundError, match="GET /v1/models"):
        client(url).chat.completions.create(model="gpt-5", messages=user(PESKOV))
    models = [m.id for m in client(url).models.list()]
    assert models == ["rag", "scripted"]
    health = httpx.get(url + "/health").json()
    assert health["status"] == "ok" and health["reports"] == 5


def test_a_model_failure_is_503_streaming_or_not(serve):
    def broken(messages):
        raise ProviderError("openai:gpt-4o-mini refused the API key (401). Check OPENAI_API_KEY.")
    url, _, _ = serve(broken)
    for stream in (False, True):
        with pytest.raises(openai.InternalServerError, match="OPENAI_API_KEY") as err:
            client(url).chat.completions.create(model="rag", messages=user(PESKOV),
                                                stream=stream)
        assert err.value.status_code == 503


def test_beyond_the_queue_requests_get_429_and_then_are_served_again(serve):
    entered, release = threading.Event(), threading.Event()

    def slow(messages):
        entered.set()
        assert release.wait(60)
        return cite("Peskov", "Peskov cited contradictory information")(messages)

    url, _, _ = serve(slow, api_max_queue=1)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(lambda: client(url).chat.completions.create(
            model="rag", messages=user(PESKOV)))
        assert entered.wait(60)
        with pytest.raises(openai.RateLimitError, match="RAG_API_MAX_QUEUE") as err:
            client(url).chat.completions.create(model="rag", messages=user(PESKOV))
        assert err.value.response.headers["retry-after"]
        busy = httpx.post(url + "/ask", json={"question": PESKOV})
        assert busy.status_code == 429
        release.set()
        assert first.result().citations
    assert client(url).chat.completions.create(model="rag", messages=user(PESKOV)).citations


def test_an_api_key_is_required_when_set_and_to_listen_beyond_loopback(serve, tmp_path):
    url, _, _ = serve(cite("Peskov", "Peskov cited contradictory information"),
                      api_key="s3cret-token")
    assert httpx.get(url + "/health").status_code == 401
    wrong = httpx.get(url + "/health", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "RAG_API_KEY" in wrong.json()["error"]["message"]
    with pytest.raises(openai.AuthenticationError):
        client(url, "nope").chat.completions.create(model="rag", messages=user(PESKOV))
    assert client(url, "s3cret-token").chat.completions.create(
        model="rag", messages=user(PESKOV)).citations

    for host in ("0.0.0.0", "192.168.1.5", "example.org", "::"):
        with pytest.raises(ConfigError, match="RAG_API_KEY"):
            check_bind(host, None)
    for host in ("127.0.0.1", "localhost", "::1"):
        check_bind(host, None)
    check_bind("0.0.0.0", "s3cret-token")
    done = subprocess.run([sys.executable, "-m", "rag", "serve", "--host", "0.0.0.0",
                           "--port", "1"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                            "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 2 and "RAG_API_KEY" in done.stderr


def test_reports_are_listed_uploaded_and_removed(serve, tmp_path, embeddings):
    store = ReportStore.open(make_settings(tmp_path / "own"), embeddings)
    url, _, _ = serve(["unused"], store=store)

    sent = httpx.post(url + "/reports", timeout=120, files=[
        ("files", ("../../festival notes.txt", FESTIVAL, "text/plain")),
        ("files", ("tool.exe", b"MZ\x00", "application/octet-stream"))])
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["added"] == ["festival_notes.txt"]
    assert body["skipped"][0]["file"] == "tool.exe" and "unsupported" in body["skipped"][0]["reason"]
    assert (tmp_path / "uploads" / "festival_notes.txt").read_bytes() == FESTIVAL

    listed = httpx.get(url + "/reports", params={"search": "zorblax"}).json()
    assert listed == {"total": 1, "reports": [{"source": "festival_notes.txt",
                                               "title": "Zorblax Festival Draws Record Crowd",
                                               "publisher": None, "chunks": 1}]}
    big = httpx.post(url + "/reports", timeout=120,
                     files=[("files", ("big.txt", b"a" * (21 * 1024 * 1024), "text/plain"))])
    assert big.status_code == 413 and "big.txt" in big.json()["error"]["message"]

    gone = httpx.delete(url + "/reports/festival_notes.txt")
    assert gone.json() == {"removed": "festival_notes.txt", "chunks": 1}
    assert not (tmp_path / "uploads" / "festival_notes.txt").exists()
    again = httpx.delete(url + "/reports/festival_notes.txt")
    assert again.status_code == 404 and "GET /reports" in again.json()["error"]["message"]
    assert httpx.get(url + "/reports").json() == {"total": 0, "reports": []}


HOSTILE = (b"Council Notes With Markup\n\nThe council met on Tuesday to discuss the Zorblax bridge. "
           b"The engineer wrote <script>alert('x')</script> and <img src=x onerror=alert(1)> "
           b"in the Zorblax bridge inspection log, officials said.\n")


def test_report_markup_reaches_clients_as_text_that_fetches_nothing(serve, tmp_path, embeddings):
    store = ReportStore.open(make_settings(tmp_path / "own"), embeddings)
    url, _, _ = serve(cite("inspection log", "The engineer wrote <b>alert</b> in the inspection log"),
                      store=store)
    assert httpx.post(url + "/reports", timeout=120, files=[
        ("files", ("hostile.txt", HOSTILE, "text/plain"))]).json()["added"] == ["hostile.txt"]
    question = user("What did the engineer write in the Zorblax bridge inspection log?")
    api = client(url)
    whole = api.chat.completions.create(model="rag", messages=question)
    streamed = "".join(ch.choices[0].delta.content or "" for ch in api.chat.completions.create(
        model="rag", messages=question, stream=True))
    [c] = whole.citations
    assert "<script>" in c["quote"] and "<img src=x onerror=alert(1)>" in c["quote"]  # exact
    for content in (whole.choices[0].message.content, streamed):
        # raw HTML never reaches a client: tags are removed (rag.safety), what is left escaped
        assert "Sources:" in content and "<script" not in content and "<img" not in content
        assert not re.search(r"(?<!\\)[<>]", content), content
    link = Citation(1, "x.txt", "Title [site](http://e.invalid)", None,
                    "See ![p](http://e.invalid/p.png?q=1) at http://e.invalid now", 0, 9)
    assert citation_line(link) == "[1] “See at now” — Title site"


def test_doctests():
    from rag import conversations
    from rag.api import openai_format

    for module in (openai_format, conversations):
        assert doctest.testmod(module).failed == 0


def test_python_m_rag_serve_answers_the_openai_client(tmp_path):
    """The real command in its own process, with a ``scripted:NAME`` model spec."""
    from rag.llms import scripted

    if not hasattr(scripted, "SCRIPTS"):
        pytest.skip("needs the scripted:NAME model specs (rag.llms.scripted.SCRIPTS)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(PYTHONPATH=str(PROJECT_ROOT), RAG_DATA_DIR=str(tmp_path / "data"))
    if "RAG_MODEL_CACHE" in os.environ:
        env["RAG_MODEL_CACHE"] = os.environ["RAG_MODEL_CACHE"]
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port),
                                "--llm", "scripted:extractive"], cwd=tmp_path, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):  # until it listens (it indexes seeds/ first), or it exits
            if process.poll() is not None:
                raise AssertionError((tmp_path / "serve.log").read_text())
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                threading.Event().wait(0.2)
        reply = client(url).chat.completions.create(model="rag", messages=user(TROOPS))
        assert reply.citations and reply.rag["model"] == "scripted:extractive"
        assert "\n\nSources:\n[" in reply.choices[0].message.content
        streamed = list(client(url).chat.completions.create(
            model="scripted:extractive", messages=user(TROOPS), stream=True))
        assert streamed[-1].citations == reply.citations
    finally:
        stop_process(process)
        log.close()
