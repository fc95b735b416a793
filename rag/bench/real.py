"""The real-collection phase of ``python -m rag bench --corpus DIR`` (e.g. 19,043 Reuters articles).

Three child processes, each with its own peak RSS (see :mod:`rag.bench`):

- ``corpus_ingest``: the whole DIR into a fresh data dir, timed; raw ``encode()`` of the same
  chunks (cleaned and chunked as ingest does) of every n-th file, just before and just after,
  with the same loaded model and the batches ingest uses, for chunks/s against chunks/s.
  A time limit stops the ingest between files and keeps the partial rate.
- ``corpus_query``: an unchanged re-ingest (of the files indexed, if the ingest was
  stopped); retrieval p50/p95 (hybrid as run, embedding the question) against brute force
  (numpy dot over the same vectors, fetched from Chroma) on the question sets' questions;
  ``store.sources()``.
- ``corpus_app``: ``streamlit run app.py`` headless on a free port with RAG_DATA_DIR at the
  built index, timed to ``/_stcore/health`` and to the page being served; then, since a page's
  script only runs for a connected browser, the app's first script run under Streamlit's
  ``AppTest`` (store opened, engine warmed up, sidebar listing the reports) in that process.
  The model is a remote spec pointed at a closed local port: it is built, never called.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from rag.bench.phases import log, measure_queries, settings_for, stats

NEVER_CALLED_LLM = {"RAG_LLM": "openai-compatible:bench-never-called",
                    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}  # port 9 (discard): closed


class _Stopped(Exception):
    """The ingest reached the phase's time limit (raised between two files)."""


def _sample_texts(files: list[Path], target: int) -> tuple[list[str], int]:
    """Chunk texts of every n-th file, about ``target`` chunks in all (0: every file)."""
    from rag.bench.phases import chunk_texts

    if target <= 0:
        return chunk_texts(files), 1
    probe = files[::max(1, len(files) // 200)]
    per_file = len(chunk_texts(probe)) / len(probe)
    step = max(1, round(len(files) * per_file / target))
    return chunk_texts(files[::step]), step


def _encode_like_ingest(embeddings, texts: list[str]) -> float:
    """Seconds to encode ``texts`` in the groups ingest embeds at once (BATCH_CHUNKS)."""
    from rag.ingest import BATCH_CHUNKS

    t = time.perf_counter()
    for i in range(0, len(texts), BATCH_CHUNKS):
        embeddings.embed_documents(texts[i:i + BATCH_CHUNKS])
    return time.perf_counter() - t


def phase_corpus_ingest(cfg: dict[str, Any]) -> dict[str, Any]:
    """The whole corpus into a fresh index, bracketed by raw encoding of a sample of it."""
    from rag.embeddings import build_embeddings
    from rag.evaluation.corpus import corpus_files
    from rag.ingest import ingest
    from rag.store import ReportStore

    corpus, index = Path(cfg["corpus"]), Path(cfg["index"])
    shutil.rmtree(index, ignore_errors=True)
    settings = settings_for(data_dir=index)
    files = corpus_files(corpus)
    embeddings = build_embeddings(settings)
    t = time.perf_counter()
    embeddings.encode(["warm up"])
    load_s = time.perf_counter() - t
    sample, step = _sample_texts(files, cfg["encode_sample"])
    log(f"corpus: {len(files)} files; raw encode of {len(sample)} chunks (every {step}. file)")
    encode_s = [_encode_like_ingest(embeddings, sample)]
    store = ReportStore.open(settings, embeddings)
    progress_file = Path(cfg["progress"])
    started = time.perf_counter()
    deadline = started + cfg["limit_s"]

    def progress(done: int, total: int, name: str) -> None:
        if done % 500 == 0 and done:
            now = time.perf_counter() - started
            chunks = store.count()
            progress_file.write_text(json.dumps({"files_done": done, "chunks": chunks,
                                                 "seconds": now}))
            log(f"corpus ingest: {done}/{total} files, {chunks} chunks, {now:.0f}s, "
                f"{chunks / now:.1f} chunks/s")
        if time.perf_counter() > deadline and done < total:
            raise _Stopped

    complete, files_done = True, len(files)
    try:
        summary = ingest(store, [corpus], lock_path=index / "ingest.lock", progress=progress)
        skipped = summary.skipped
    except _Stopped:  # the files stored so far (the batch in hand was not written)
        complete, skipped = False, []
        files_done = len(store.sources())
    ingest_s = time.perf_counter() - started
    chunks = store.count()  # stopped early: what is stored (the batch in hand is lost)
    encode_s.append(_encode_like_ingest(embeddings, sample))
    encode_rate = len(sample) / stats(encode_s)["mean"]
    return {"files": len(files), "complete": complete, "files_indexed": files_done,
            "skipped": [f"{Path(p).name}: {why}" for p, why in skipped][:20],
            "chunks": chunks, "ingest_s": ingest_s, "ingest_chunks_per_s": chunks / ingest_s,
            "encode_sample_chunks": len(sample), "encode_sample_every_nth_file": step,
            "encode_s": encode_s, "encode_chunks_per_s": encode_rate,
            "ratio": chunks / ingest_s / encode_rate, "model_load_s": load_s,
            "limit_s": cfg["limit_s"], "threads": settings.n_threads}


def phase_corpus_query(cfg: dict[str, Any]) -> dict[str, Any]:
    """Re-ingest unchanged, retrieval against brute force, and ``sources()``, on the index."""
    import numpy as np

    from rag.embeddings import build_embeddings
    from rag.ingest import ingest
    from rag.store import ReportStore

    index = Path(cfg["index"])
    settings = settings_for(data_dir=index)
    embeddings = build_embeddings(settings)
    store = ReportStore.open(settings, embeddings)
    out: dict[str, Any] = {"chunks": store.count()}
    if "reingest" in cfg["steps"]:
        # stopped early: the files that were indexed, each named (nothing else is removed)
        paths = ([Path(cfg["corpus"])] if cfg["complete"] else
                 [Path(info.path) for info in store.sources() if info.path])
        t = time.perf_counter()
        again = ingest(store, paths, lock_path=index / "ingest.lock")
        out |= {"reingest_s": time.perf_counter() - t, "reingest_files": len(again.unchanged)
                + len(again.updated) + len(again.added), "reingest_embedded":
                again.chunks_embedded, "reingest_unchanged": len(again.unchanged),
                "reingest_whole_corpus": cfg["complete"]}
        log(f"corpus re-ingest: {out['reingest_s']:.1f}s, {again.chunks_embedded} embedded")
    if "retrieval" in cfg["steps"]:
        t = time.perf_counter()
        ids: list[str] = []
        rows = []
        for offset in range(0, out["chunks"], 5000):
            page = store.collection.get(include=["embeddings"], limit=5000, offset=offset)
            ids += page["ids"]
            rows.append(np.asarray(page["embeddings"], dtype=np.float32))
        matrix = np.concatenate(rows)
        fetch_s = time.perf_counter() - t
        queries = cfg["queries"]
        query_vectors = embeddings.encode(queries)
        log(f"corpus retrieval: {len(ids)} vectors fetched in {fetch_s:.1f}s; "
            f"{cfg['samples']} queries")
        out["retrieval"] = {"n": len(ids), "vectors_fetch_s": fetch_s, "queries": len(queries),
                            "k": cfg["k"], "fetch_k": max(20, 4 * cfg["k"])}
        out["retrieval"] |= measure_queries(store, matrix, queries, query_vectors, cfg, ids=ids)
    if "sources" in cfg["steps"]:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            listed = store.sources()
            times.append((time.perf_counter() - t) * 1000)
        out["sources"] = {"reports": len(listed), "first_ms": times[0],
                          "ms": stats(times[1:])}
        log(f"corpus sources(): {len(listed)} reports, first {times[0]:.0f} ms, "
            f"then p50 {out['sources']['ms']['p50']:.0f} ms")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - 127.0.0.1 only
            return response.read()
    except OSError:
        return None


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def phase_corpus_app(cfg: dict[str, Any]) -> dict[str, Any]:
    """Seconds from ``streamlit run`` to health and to the served page (no model: a browser
    would start the script); then the app with the model (``_app_with_model``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMA_", "RAG_"))}
    env |= NEVER_CALLED_LLM | {"RAG_DATA_DIR": cfg["index"]}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", cfg["app"], "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, Any] = {"server": "streamlit run app.py (headless)", "port": port}
    try:
        deadline = started + cfg["timeout"]
        while time.perf_counter() < deadline and proc.poll() is None:
            if _get(f"{base}/_stcore/health") == b"ok":
                out["health_s"] = time.perf_counter() - started
                break
            time.sleep(0.1)
        page = _get(f"{base}/") if "health_s" in out else None
        if page and b"<html" in page.lower():
            out["page_served_s"] = time.perf_counter() - started
        out["server_peak_rss_mb"] = _peak_rss_mb(proc.pid)
        if "page_served_s" not in out:
            out["error"] = (f"streamlit exited with {proc.returncode}" if proc.poll() is not None
                            else f"no page within {cfg['timeout']}s")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    out |= _app_with_model(cfg)
    return out


def _app_with_model(cfg: dict[str, Any]) -> dict[str, Any]:
    """The app's first script run with the model ``cfg["llm"]`` (the page usable: reports
    listed, question box drawn; its imports are part of it, as at a real start), the time
    until the model is ready (it loads in the background: ``rag.ui.WarmingEngine``), then the
    model's own load time alone, from the same warm file cache."""
    from streamlit.testing.v1 import AppTest

    os.environ.update({"RAG_DATA_DIR": cfg["index"], "RAG_LLM": cfg["llm"]})
    for var in ("CHROMA_HOST", "CHROMA_PORT", "RAG_COLLECTION"):
        os.environ.pop(var, None)
    out: dict[str, Any] = {"llm": cfg["llm"]}
    t = time.perf_counter()
    app = AppTest.from_file(cfg["app"], default_timeout=cfg["timeout"]).run()
    out["script_first_run_s"] = time.perf_counter() - t
    while any("Loading the model" in c.value for c in app.sidebar.caption):
        if time.perf_counter() - t > cfg["timeout"]:
            break
        time.sleep(0.05)
        app.run()
    else:
        out["model_ready_s"] = time.perf_counter() - t
    out["script_errors"] = [str(e.value)[:200] for e in app.exception]

    from rag.config import Settings
    from rag.llms import build_chat_model, llamacpp

    model = build_chat_model(cfg["llm"], Settings.resolve())
    if isinstance(model, llamacpp.LlamaCppChatModel):
        with llamacpp._LOADING:
            llamacpp.evict(0)  # the app's copy: load it again, alone
        t = time.perf_counter()
        llamacpp.load_llama(model.model_path, model.n_ctx, model.n_threads)
        out["model_load_s"] = time.perf_counter() - t
    return out


PHASES = {"corpus_ingest": phase_corpus_ingest, "corpus_query": phase_corpus_query,
          "corpus_app": phase_corpus_app}
