"""Shared fixtures: a clean environment, no network, real embeddings and a real Chroma."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"
_ENV_PREFIXES = ("RAG_", "OPENAI_", "CHROMA_", "OLLAMA_")
_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    """Only loopback and Unix sockets: tests must never reach the network."""
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise OSError(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)


_SLOW_TEST = {"now": False}  # whether the test being set up (or run) is marked slow


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture of a test is built: may it load a llama.cpp model?"""
    _SLOW_TEST["now"] = item.get_closest_marker("slow") is not None


@pytest.fixture(autouse=True, scope="session")
def _llama_only_in_slow_tests():
    """Loading a real llama.cpp model fails in any test not marked ``slow``, so that
    ``pytest -m "not slow"`` is the fast loop it claims to be (fixtures of any scope included:
    the check runs when the model is constructed). Subprocesses are not covered."""
    import llama_cpp

    real = llama_cpp.Llama

    class GuardedLlama(real):
        def __init__(self, *args, **kwargs):
            if not _SLOW_TEST["now"]:
                raise RuntimeError("This test loads a real llama.cpp model but is not marked "
                                   "@pytest.mark.slow; mark it, or use a scripted:NAME model.")
            super().__init__(*args, **kwargs)

        def __del__(self):  # a refused construction has nothing to free
            if hasattr(self, "_stack"):
                super().__del__()

    from rag.llms import llamacpp

    real_load = llamacpp.load_llama

    def guarded_load(*args, **kwargs):  # a model loaded by an earlier slow test is cached
        if not _SLOW_TEST["now"]:
            raise RuntimeError("This test uses a real llama.cpp model but is not marked "
                               "@pytest.mark.slow; mark it, or use a scripted:NAME model.")
        return real_load(*args, **kwargs)

    llama_cpp.Llama = GuardedLlama
    llamacpp.load_llama = guarded_load
    yield
    llama_cpp.Llama = real
    llamacpp.load_llama = real_load


@pytest.fixture(autouse=True)
def _no_network_and_clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(_ENV_PREFIXES) and key != "RAG_MODEL_CACHE":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


def make_settings(tmp: Path, **overrides) -> Settings:
    """Settings that ignore the environment and .env, with data in ``tmp``."""
    env = {"RAG_MODEL_CACHE": os.environ["RAG_MODEL_CACHE"]} if "RAG_MODEL_CACHE" in os.environ else {}
    return Settings.resolve(env=env, data_dir=tmp, **overrides)


@pytest.fixture(scope="session")
def embeddings():
    from rag.config import Settings
    from rag.embeddings import build_embeddings

    return build_embeddings(Settings.resolve(env={}))


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory, embeddings):
    """A real Chroma store in a temporary folder with the five seed reports indexed."""
    from rag.ingest import ingest
    from rag.store import ReportStore

    settings = make_settings(tmp_path_factory.mktemp("seed-store"))
    store = ReportStore.open(settings, embeddings)
    summary = ingest(store, [SEEDS])
    assert len(summary.added) == 5, summary.lines()
    return store


@pytest.fixture
def engine_with(tmp_path, seed_store):
    """``make(replies, **settings)`` -> (engine over the seed store, its scripted model)."""
    from rag.engine import build_engine
    from rag.llms.scripted import ScriptedChatModel

    def make(replies, **overrides):
        model = ScriptedChatModel(replies=replies)
        engine = build_engine(make_settings(tmp_path, **overrides), llm=model, store=seed_store,
                              model_name="scripted")
        return engine, model
    return make


@pytest.fixture
def tmp_settings(tmp_path):
    return make_settings(tmp_path)


def cite(keyword: str, sentence: str | None = None, rewrite: str = ""):
    """A scripted reply function: a follow-up's condense prompt gets ``rewrite``; an answer
    prompt gets ``sentence`` (default: that line's own words) citing the evidence line that
    mentions ``keyword`` (or, if none does, the refusal sentinel)."""
    def reply(messages):
        prompt = messages[-1].text
        if "Follow-up question:" in prompt:
            return rewrite
        for line in prompt.splitlines():
            m = re.match(r"\[(\d+)\] (.*)", line)
            if m and keyword in m.group(2):
                return f"{sentence or m.group(2).rstrip('.')} [{m.group(1)}]."
        return "NOT IN REPORTS"
    return reply


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a server a test started: terminate, then kill if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
