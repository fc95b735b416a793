"""The API server's own overhead: ``POST /ask`` over HTTP against ``engine.answer`` in-process.

Both sides use one engine (a scripted chat model that cites the first evidence sentence, the
real embedding model, a real Chroma index of seeds/ in a temporary folder), so the difference
is the server's: HTTP, JSON, the thread hop and the queue. Each of the first 20 questions of
``eval/questions.jsonl`` is asked ``--rounds`` times each way, alternating, after one warm-up;
the p50 of the per-question medians is printed, with ``/v1/chat/completions`` for comparison.

    .venv/bin/python scripts/bench_api.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cite_first(messages) -> str:
    prompt = messages[-1].text
    if "Follow-up question:" in prompt:
        return ""
    return "The reports say so [1]." if "[1] " in prompt else "NOT IN REPORTS"


def main() -> int:
    import httpx
    import uvicorn

    from rag.api import create_app
    from rag.config import Settings
    from rag.embeddings import build_embeddings
    from rag.engine import build_engine
    from rag.ingest import ingest
    from rag.llms.scripted import ScriptedChatModel
    from rag.store import ReportStore

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    lines = (ROOT / "eval" / "questions.jsonl").read_text().splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][:20]

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.resolve(env={}, data_dir=tmp)
        store = ReportStore.open(settings, build_embeddings(settings))
        ingest(store, [ROOT / "seeds"])
        engine = build_engine(settings, llm=ScriptedChatModel(replies=cite_first), store=store,
                              model_name="scripted")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(create_app(engine), log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            thread.join(0.05)

        http = httpx.Client(base_url=url, timeout=60)
        ways = {
            "engine.answer (in-process)": lambda q: engine.answer(q),
            "POST /ask": lambda q: http.post("/ask", json={"question": q}).raise_for_status(),
            "POST /v1/chat/completions": lambda q: http.post("/v1/chat/completions", json={
                "model": "rag", "messages": [{"role": "user", "content": q}]}
            ).raise_for_status(),
        }
        for run in ways.values():  # warm up: embedding session, BM25 snapshot, connections
            run(questions[0])
        times: dict[str, list[list[float]]] = {name: [[] for _ in questions] for name in ways}
        for _ in range(args.rounds):
            for i, question in enumerate(questions):
                for name, run in ways.items():
                    t = time.perf_counter()
                    run(question)
                    times[name][i].append((time.perf_counter() - t) * 1000)
        server.should_exit = True
        thread.join(30)

    base = statistics.median(statistics.median(t) for t in times["engine.answer (in-process)"])
    print(f"{len(questions)} questions x {args.rounds} rounds, scripted model, seeds index\n")
    print("| way | p50 ms | p95 ms | overhead p50 ms |\n|---|---:|---:|---:|")
    for name, per_question in times.items():
        medians = sorted(statistics.median(t) for t in per_question)
        p50 = statistics.median(medians)
        p95 = medians[min(len(medians) - 1, round(0.95 * (len(medians) - 1)))]
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {p50 - base:+.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
