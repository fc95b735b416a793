"""``python -m rag bench --phases corpus --corpus DIR`` on a tiny real folder: every figure written.

Real files, the real embedding model, a real Chroma, a real ``streamlit run`` on a free
127.0.0.1 port; the app's step loads a real embedded model (``slow``). Speed is never
asserted: the bench measures it.
"""

from __future__ import annotations

import json

import pytest

from rag import cli

STORIES = [("OSLO", "Nordic Shipping ordered two crude oil tankers from a Korean yard."),
           ("DENVER", "Acme Mining said its Blue Ridge mine will produce 42,000 tonnes."),
           ("AMSTERDAM", "Bakker Brood NV will close three bread plants in the north."),
           ("TOKYO", "The Bank of Japan will sell 800 billion yen in bills tomorrow."),
           ("QUITO", "Ecuador said its crude oil exports will stop for four months.")]


def _corpus(tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    for i, (place, sentence) in enumerate(STORIES, start=1):
        (folder / f"wire-{i:03d}.txt").write_text(
            f"{place} STORY NUMBER {i}\nMarch 0{i}, 1987\n\n{place}, March {i} - {sentence}\n"
            f"    A spokesman confirmed the figures on {place} today.\n Reuter\n",
            encoding="utf-8")
    return folder


def _bench(tmp_path, *extra):
    out = tmp_path / "bench"
    code = cli.main(["bench", "--phases", "corpus", "--corpus", str(_corpus(tmp_path)),
                     "--out", str(out), "--samples", "6", "--corpus-encode-sample", "0",
                     "--data-dir", str(tmp_path / "data"), *extra])
    return code, out


def test_the_corpus_phase_writes_ingest_retrieval_and_sources_figures(tmp_path, capsys):
    code, out = _bench(tmp_path, "--corpus-steps", "ingest,reingest,retrieval,sources")
    markdown = capsys.readouterr().out
    assert code == 0, markdown
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(data["results"]) == {"corpus"}  # no synthetic phase when only corpus is asked
    corpus = data["results"]["corpus"]
    ing, query = corpus["ingest"], corpus["query"]
    assert ing["complete"] and ing["files"] == ing["files_indexed"] == 5
    assert ing["chunks"] >= 5 and ing["encode_sample_chunks"] == ing["chunks"]
    assert ing["ratio"] > 0 and ing["peak_rss_mb"] > 0 and len(ing["encode_s"]) == 2
    assert query["reingest_embedded"] == 0 and query["reingest_unchanged"] == 5
    ret = query["retrieval"]
    assert ret["n"] == ing["chunks"] and ret["queries"] == 50
    assert ret["ms"]["hybrid"]["n"] == 50 and ret["ms"]["brute"]["p95"] >= ret["ms"]["brute"]["p50"]
    assert ret["dense_recall_at_fetch_k"] is not None
    assert query["sources"]["reports"] == 5 and query["sources"]["ms"]["n"] == 4
    assert "app" not in corpus
    figures = " ".join(t["figure"] for t in data["targets"])
    for words in ("ingest / raw encode", "whole ingest", "brute-force p50", "store.sources()"):
        assert words in figures
    assert "## Real collection" in markdown and "Unchanged re-ingest" in markdown
    assert not (out / "work").exists()


def test_a_time_limit_stops_the_ingest_and_keeps_the_partial_rate(tmp_path, capsys):
    code, out = _bench(tmp_path, "--corpus-steps", "ingest,reingest,sources",
                       "--corpus-limit", "0")
    assert code == 0, capsys.readouterr().out
    corpus = json.loads((out / "report.json").read_text())["results"]["corpus"]
    assert corpus["ingest"]["complete"] is False and corpus["ingest"]["files_indexed"] < 5
    query = corpus["query"]  # re-ingest of the files that were indexed: nothing to embed
    assert not query["reingest_whole_corpus"] and query["reingest_embedded"] == 0
    assert query["reingest_files"] == query["reingest_unchanged"] == query["sources"]["reports"]
    assert "projected" in " ".join(t["shown"] for t in
                                   json.loads((out / "report.json").read_text())["targets"])


@pytest.mark.slow
def test_the_app_serves_its_page_on_the_built_index(tmp_path, capsys):
    """The app's start with a real embedded model: its own load, the usable page, ready."""
    code, out = _bench(tmp_path, "--corpus-steps", "ingest,app", "--llm", "local:smollm2-135m")
    assert code == 0, capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    app = report["results"]["corpus"]["app"]
    assert 0 < app["health_s"] <= app["page_served_s"]
    assert app["script_first_run_s"] > 0 and app["script_errors"] == []
    assert app["model_load_s"] > 0 and app["model_ready_s"] >= app["script_first_run_s"]
    assert app["server_peak_rss_mb"] > 0 and app["peak_rss_mb"] > 0
    (row,) = [t for t in report["targets"] if t["figure"].startswith("App usable")]
    assert row["value"] == app["script_first_run_s"] / app["model_load_s"]
