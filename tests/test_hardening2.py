"""Hardening II (issue 15): many processes on one index, names that never collide, hostile
text that stays data, bounded prompts, nothing lost silently. Real files, real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.ingest import ingest
from rag.store import ReportStore
from tests.conftest import SEEDS, make_settings

REPORT = ("Kursk Briefing\nNorth Korean troops are training near Kursk, a Ukrainian official "
          "said on Tuesday. The soldiers were issued Russian uniforms, officials said.\n")


def rag_cli(*args: str, data_dir: Path, cwd: Path | None = None, stdin: str | None = None,
            extra_env: dict[str, str] | None = None, timeout: float = 300):
    """Run ``python -m rag ARGS`` in a subprocess with a clean environment."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RAG_", "OPENAI_", "CHROMA_", "OLLAMA_")) or k == "RAG_MODEL_CACHE"}
    env.update(RAG_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               PYTHONPATH=str(SEEDS.parent), **(extra_env or {}))
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=cwd or SEEDS.parent, input=stdin)


# -- 5: files stay inside their folder ------------------------------------------------------
def test_symlink_out_of_the_folder_is_skipped_with_its_reason(tmp_path):
    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash is the root account of this machine.\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kursk.txt").write_text(REPORT)
    (corpus / "x.txt").symlink_to(secret)
    (corpus / "inside.txt").symlink_to(corpus / "kursk.txt")  # inside the folder: allowed
    proc = rag_cli("ingest", str(corpus), data_dir=tmp_path / "data")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "x.txt: a symlink to" in proc.stdout and "outside" in proc.stdout
    listed = rag_cli("sources", data_dir=tmp_path / "data").stdout
    assert listed.count("Kursk Briefing") == 1 and "x.txt" not in listed  # link inside: one file
    proc = rag_cli("ingest", str(corpus / "x.txt"), data_dir=tmp_path / "data2")
    assert "a symlink to" in proc.stdout and "added 0" in proc.stdout


def test_full_report_reads_only_the_indexed_file(tmp_path, embeddings):
    from rag import ui

    settings = make_settings(tmp_path / "data")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kursk.txt").write_text(REPORT)
    store = ReportStore.open(settings, embeddings)
    ingest(store, [corpus])
    assert ui.report_text(store, "kursk.txt") == REPORT
    secret = tmp_path / "secret.txt"
    secret.write_text(REPORT)  # even with the same text: the file is no longer the indexed one
    (corpus / "kursk.txt").unlink()
    (corpus / "kursk.txt").symlink_to(secret)
    assert ui.report_text(store, "kursk.txt") is None
    (corpus / "kursk.txt").unlink()
    (corpus / "kursk.txt").write_text(REPORT.replace("Tuesday", "Friday"))
    assert ui.report_text(store, "kursk.txt") is None  # changed since indexed: offsets invalid


# -- 2: report ids that never collide ---------------------------------------------------------
def test_two_folders_with_one_file_name_keep_both_reports(tmp_path):
    for folder, town in (("dirA", "Kursk"), ("dirB", "Rostov")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(REPORT.replace("Kursk", town))
    data = tmp_path / "data"
    first = rag_cli("ingest", str(tmp_path / "dirA"), data_dir=data)
    second = rag_cli("ingest", str(tmp_path / "dirB"), data_dir=data)
    assert "added 1" in first.stdout and "added 1, updated 0" in second.stdout, second.stdout
    listed = rag_cli("sources", data_dir=data).stdout.splitlines()
    rows = {line.split("\t")[0]: line for line in listed}
    assert len(rows) == 2 and "Kursk" in rows.pop("report.txt"), listed  # A's report kept
    assert next(iter(rows)).startswith("report-") and "Rostov" in next(iter(rows.values()))
    again = rag_cli("ingest", str(tmp_path / "dirA"), str(tmp_path / "dirB"), data_dir=data)
    assert "unchanged 2" in again.stdout  # ids stay what they are: nothing moves


def test_uploads_with_one_name_or_non_latin_names_keep_both(tmp_path, embeddings):
    from rag import ui

    settings = make_settings(tmp_path)
    store = ReportStore.open(settings, embeddings)
    kursk, rostov = REPORT, REPORT.replace("Kursk", "Rostov")
    summary = ui.index_uploads(store, settings, [("보고서.txt", kursk.encode()),
                                                 ("отчёт.txt", rostov.encode()),
                                                 ("report.txt", kursk.encode()),
                                                 ("report.txt", rostov.encode())])
    assert len(summary.added) == 4 and not summary.skipped, summary.lines()
    assert {"보고서.txt", "отчёт.txt", "report.txt"} <= set(summary.added)
    later = ui.index_uploads(store, settings, [("report.txt", REPORT.replace("Kursk", "Sumy")
                                                .encode())])
    assert later.added and later.added[0].startswith("report-")  # a later batch: kept apart
    sources = {info.source for info in store.sources()}
    assert len(sources) == 5
    for source in sources:  # every report can still be shown and cited
        assert ui.report_text(store, source) is not None
    same = ui.index_uploads(store, settings, [("report.txt", kursk.encode())])
    assert same.unchanged == ["report.txt"]  # the same bytes again: the same report


# -- 9: legacy encodings ---------------------------------------------------------------------
ARTICLE_2005 = ("Rates Rise Again\nLONDON, 4 August 2005 - The Bank of England cut rates to "
                "4.5 per cent, saving a typical borrower £300 a year, economists said.\n"
                "Caf\u00e9 owners in Soho welcomed the move.\n")


@pytest.mark.parametrize("encoding, text, expected", [
    ("latin-1", ARTICLE_2005, "cp1252"),
    ("cp1252", ARTICLE_2005.replace("economists said", "\u201ceconomists\u201d said \u2014 "
                                    "\u20ac5 too"), "cp1252"),
    ("cp1251", "Войска в Курской области\nМосква заявила, что войска находятся в Курской "
               "области, сообщили официальные лица во вторник.\n", "cp1251"),
])
def test_legacy_encoded_reports_are_indexed_with_their_encoding(tmp_path, encoding, text,
                                                                 expected):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "old.txt").write_bytes(text.encode(encoding))
    (corpus / "binary.txt").write_bytes(b"Seoul said so. " * 1000 + b"\x00tail")
    data = tmp_path / "data"
    proc = rag_cli("ingest", str(corpus), data_dir=data)
    assert "added 1" in proc.stdout and "binary.txt: binary file" in proc.stdout, proc.stdout
    from rag.embeddings import build_embeddings

    settings = make_settings(data)
    store = ReportStore.open(settings, build_embeddings(settings))
    meta = store.collection.get(where={"source": "old.txt"}, include=["metadatas"])["metadatas"]
    assert meta and meta[0]["encoding"] == expected
    assert store.original_text("old.txt") == text  # offsets and quotes refer to the decoded text
