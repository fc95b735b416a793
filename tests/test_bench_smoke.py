"""``python -m rag bench --quick``: every phase runs and the report has every figure.

Speed is never asserted here (the bench measures it, as ratios, on demand); this only proves
that the benchmark code paths work and write what the issue asks for.
"""

from __future__ import annotations

import json

import pytest

from rag import cli
from rag.bench.corpus import Writer
from rag.bench.phases import stats, synthetic_vectors
from tests.conftest import SEEDS


def test_synthetic_reports_are_deterministic_and_use_the_seed_vocabulary():
    one, two = Writer.from_folder(SEEDS, seed=3), Writer.from_folder(SEEDS, seed=3)
    report = one.report()
    assert report == two.report()
    assert len(report) > 1000 and "\n\n" in report
    seed_text = " ".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    assert {w.strip(".,;:") for w in report.split()} <= {w.strip(".,;:") for w in seed_text.split()}
    assert all(len(one.passage()) <= 700 for _ in range(50))


def test_synthetic_vectors_keep_the_real_ones_and_are_unit_length():
    import numpy as np

    base = np.eye(4, 8, dtype=np.float32)
    vectors = synthetic_vectors(10, base, seed=1)
    assert np.array_equal(vectors[:4], base)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors, synthetic_vectors(10, base, seed=1))
    assert stats([3.0, 1.0, 2.0])["p50"] == 2.0


@pytest.mark.slow
def test_quick_bench_writes_every_figure(tmp_path, monkeypatch, capsys):
    out = tmp_path / "bench"
    code = cli.main(["bench", "--quick", "--out", str(out), "--sizes", "100,300", "--samples",
                     "6", "--threads", "1", "--data-dir", str(tmp_path / "data")])
    markdown = capsys.readouterr().out
    assert code == 0, markdown

    assert (out / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "report.md").read_text(encoding="utf-8") + "\n" == markdown
    assert not (out / "work").exists()  # temporary indexes are cleaned up
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    meta, res = data["meta"], data["results"]
    assert meta["quick"] and meta["command"].startswith("python -m rag bench --quick")

    ingest = res["ingest"]
    assert ingest["chunks"] > 0 and ingest["ratio"] > 0 and ingest["reingest_embedded"] == 0
    assert ingest["peak_rss_mb"] > 0

    sizes = res["retrieval"]["sizes"]
    assert [s["n"] for s in sizes] == [100, 300]
    for s in sizes:
        assert set(s["ms"]) >= {"hybrid", "search", "dense", "bm25", "brute", "embed", "stamp"}
        assert s["ms"]["hybrid"]["n"] == 6 and s["ms"]["hybrid"]["p95"] >= s["ms"]["hybrid"]["p50"]
        assert s["keyword_index_builds_during_queries"] == 0 and s["keyword_index_reused"]
        assert 0 <= s["dense_recall_at_fetch_k"] <= 1

    (answer,) = res["answer"]
    assert answer["llm"] == "local:smollm2-135m" and "error" not in answer
    for timed in (answer, answer["cold"]):  # ready (system prompt read at start-up) and cold
        for side in ("engine", "llama_cpp"):
            assert timed[side]["first_token_s"]["p50"] <= timed[side]["total_s"]["p50"]
    assert 0 < answer["prompt"]["system_tokens"] < answer["prompt"]["tokens"]
    assert answer["prompt"]["tokens"] > 0 and answer["prompt"]["evidence_sentences"] > 0
    assert isinstance(answer["overhead_total"], float) and answer["peak_rss_mb"] > 0

    cold = res["coldstart"]
    assert cold["first_token_s"] is not None and cold["peak_rss_mb_at_first_token"] > 0
    assert {"python_s", "import_app_s", "import_onnxruntime_s", "load_embedding_model_s",
            "load_llm_s", "question_to_first_token_s"} <= set(cold["breakdown"])
    assert res["app"]["peak_rss_mb"] > 0 and not res["app"].get("errors")
    threads = res["threads"]
    assert set(threads["embed_query_ms_p50"]) == set(threads["llama_8_tokens_s"]) >= {"1"}

    figures = " ".join(t["figure"] for t in data["targets"])
    for words in ("Ingest speed", "re-ingest", "brute-force", "Keyword index", "llama.cpp alone",
                  "First token", "Whole answer"):
        assert words in figures
    for heading in ("## Targets", "## Ingest", "## Retrieval", "## Answer", "## Memory",
                    "## Cold start", "## Threads", "Biggest remaining cost"):
        assert heading in markdown
