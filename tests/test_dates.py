"""Report dates (stated, never guessed) and the dates sentences mention (resolved when certain)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from rag.config import PROJECT_ROOT
from rag.dates import mentions, parse_date, report_date
from rag.ingest import ingest
from rag.retrieve import hybrid_search
from rag.store import ReportStore
from tests.conftest import SEEDS, make_settings

REUTERS_LIKE = ("BAHIA COCOA REVIEW\nFebruary 26, 1987\n\nSALVADOR, Feb 26 - Showers continued "
                "throughout the week in the Bahia cocoa zone, Comissaria Smith said in its weekly "
                "review.\n    Arrivals for the week ended February 22 were 155,221 bags.\nReuter\n")


def test_a_date_line_under_the_headline_is_the_reports_date():
    found = report_date(REUTERS_LIKE)
    assert (found.date, found.how) == ("1987-02-26", "date line")
    found = report_date("Headline\nThursday, October 24, 2024, 08:10 AM\nBody text here.")
    assert (found.date, found.how) == ("2024-10-24", "date line")


def test_published_beats_updated_and_both_beat_metadata():
    text = ("Troops reach Kursk\nBy Jane Roe\nUpdated: Oct. 24, 2024 at 5:00 p.m. ET\n"
            "Published October 23, 2024\nSeoul said on Wednesday ...\n")
    found = report_date(text, "2024-10-01", "html meta")
    assert (found.date, found.how) == ("2024-10-23", "published line")
    only_updated = report_date("Headline\nLast updated 24 October 2024\nText.")
    assert (only_updated.date, only_updated.how) == ("2024-10-24", "updated line")
    meta = report_date("Headline\nSeoul said on Wednesday that troops moved.", "2024-10-23T09:00Z",
                       "html meta")
    assert (meta.date, meta.how) == ("2024-10-23", "html meta")


def test_no_date_is_invented():
    # a date deep in the page (a teaser list) or mentioned in a sentence is not the report's
    teasers = "Headline\n" + "A paragraph of the report.\n" * 30 + "Thursday, October 13, 2022\n"
    assert report_date(teasers) is None
    assert report_date("Headline\nAustin said on Oct. 19, 2024 he could not confirm it.") is None
    # a weekday that does not match the date is not certain (Oct. 23, 2024 was a Wednesday)
    assert report_date("Headline\nMonday, October 23, 2024\nText.") is None
    assert report_date("Headline\nText.", "not a date") is None


def test_none_of_the_seeds_states_its_date_but_their_mentions_are_found():
    for path in sorted(SEEDS.glob("*.txt")):
        assert report_date(path.read_text(encoding="utf-8")) is None, path.name
    text = (SEEDS / "003_ca6e3800ea5608bd.txt").read_text(encoding="utf-8")
    found = {m.text: m for m in mentions(text)}
    assert {"Oct. 19", "Friday, Oct. 18", "Oct. 21", "Monday"} <= set(found)
    assert all(found[k].date is None for k in ("Oct. 19", "Friday, Oct. 18", "Oct. 21", "Monday"))
    for m in found.values():
        assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("sentence, report, expected", [
    ("Austin said on Oct. 19 he could not confirm it.", "2024-10-23", "2024-10-19"),
    ("Austin said on Oct. 19 he could not confirm it.", None, None),  # no year: kept as written
    ("Videos appeared Friday, Oct. 18.", "2024-10-23", "2024-10-18"),
    ("Videos appeared Thursday, Oct. 18.", "2024-10-23", None),  # Oct. 18, 2024 was a Friday
    ("Trade closed on Dec. 30.", "2025-01-03", "2024-12-30"),  # across the new year
    ("The vote is set for June 30.", "2024-01-10", None),  # half a year away: which year?
    ("It was signed on 19 October.", "2024-10-23", "2024-10-19"),
    ("It was signed Oct. 19, 2021.", None, "2021-10-19"),  # a full date needs no report date
    ("The State Department said Monday it could not confirm.", "2024-10-23", "2024-10-21"),
    ("The State Department said Monday it could not confirm.", None, None),
    ("He said on Wednesday it was true.", "2024-10-23", "2024-10-23"),  # the same day
    ("South Korea will brief NATO on Monday.", "2024-10-23", "2024-10-28"),  # the future
    ("They met last Wednesday.", "2024-10-23", "2024-10-16"),
    ("They meet next Monday.", "2024-10-23", None),  # "next Monday": two readings
    ("Shares fell yesterday.", "1987-02-26", "1987-02-25"),
    ("Shares fell today.", "1987-02-26", "1987-02-26"),
    ("Turner last week appealed to Biden.", "2024-10-23", "2024-10-14"),  # Monday of that week
    ("Turner last week appealed to Biden.", None, None),
    ("Output rose last month.", "2024-01-15", "2023-12-01"),
    ("Output rose last year.", "1987-02-26", "1986-01-01"),
])
def test_mentions_resolve_only_when_the_reports_date_makes_them_certain(sentence, report,
                                                                         expected):
    found = mentions(sentence, report)
    assert len(found) == 1, found
    assert found[0].date == expected
    assert sentence[found[0].start:found[0].end] == found[0].text


def test_words_that_only_look_like_dates_are_not_dates():
    assert mentions("North Korea may be sending troops; they march 5 km a day.", "2024-10-23") == []
    assert mentions("It cost 3,000 dollars on Feb 30 a.m.", "2024-10-23") == []
    assert parse_date("Oct. 13") is None and parse_date("2024-02-30") is None


@pytest.fixture(scope="module")
def dated_store(tmp_path_factory, embeddings):
    folder = tmp_path_factory.mktemp("dated-corpus")
    (folder / "reuters-00001.txt").write_text(REUTERS_LIKE, encoding="utf-8")
    shutil.copy(SEEDS / "003_ca6e3800ea5608bd.txt", folder)
    data = tmp_path_factory.mktemp("dated-data")
    store = ReportStore.open(make_settings(data), embeddings)
    summary = ingest(store, [folder])
    assert len(summary.added) == 2, summary.lines()
    return store, data


def test_the_reports_date_reaches_sources_passages_and_citations(dated_store):
    store, _data = dated_store
    info = {s.source: s for s in store.sources()}
    assert (info["reuters-00001.txt"].date, info["reuters-00001.txt"].date_source) == \
        ("1987-02-26", "date line")
    assert info["003_ca6e3800ea5608bd.txt"].date is None
    assert store.source_info("reuters-00001.txt").date == "1987-02-26"
    passages = hybrid_search(store, "Bahia cocoa arrivals", 4).passages
    dates = {p.source: p.date for p in passages}
    assert dates["reuters-00001.txt"] == "1987-02-26"
    assert dates.get("003_ca6e3800ea5608bd.txt") is None


@pytest.mark.parametrize("prefetch", [200, 1], ids=["per-file", "one-pass"])
def test_an_index_without_dates_gets_them_on_the_next_ingest(tmp_path, embeddings, prefetch,
                                                             monkeypatch):
    """Whether ingest asks Chroma per file or reads every chunk's metadata in one pass."""
    import rag.ingest

    monkeypatch.setattr(rag.ingest, "PREFETCH_FILES", prefetch)
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "r.txt").write_text(REUTERS_LIKE, encoding="utf-8")
    store = ReportStore.open(make_settings(tmp_path / "d"), embeddings)
    ingest(store, [folder])
    ids = list(store.ids_for_source("r.txt"))
    metas = store.collection.get(ids=ids, include=["metadatas"])["metadatas"]
    store.collection.update(ids=ids, metadatas=[{**m, "date": "", "date_source": ""}
                                                for m in metas])  # as an older version wrote
    assert store.chunk_info("r.txt").date is None
    summary = ingest(store, [folder])
    assert summary.unchanged == ["r.txt"] and summary.chunks_embedded == 0
    assert store.chunk_info("r.txt").date == "1987-02-26"
    assert store.source_info("r.txt").date == "1987-02-26"


def test_sources_json_lists_every_report_with_its_date(dated_store):
    _store, data = dated_store
    out = subprocess.run([sys.executable, "-m", "rag", "sources", "--json", "--data-dir", str(data)],
                         capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
                         env={k: v for k, v in os.environ.items()
                              if not k.startswith(("RAG_", "OPENAI_", "CHROMA_"))}
                         | {"HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    rows = {r["source"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"reuters-00001.txt", "003_ca6e3800ea5608bd.txt"}
    assert rows["reuters-00001.txt"]["date"] == "1987-02-26"
    assert rows["reuters-00001.txt"]["title"] == "BAHIA COCOA REVIEW"
    assert rows["003_ca6e3800ea5608bd.txt"]["date"] is None


def test_docstring_examples_hold():
    import doctest

    from rag import dates, formats, timeline

    for module in (dates, formats, timeline):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_citations_carry_the_date_and_page_in_json_and_in_the_label():
    from rag import ui
    from rag.types import Answer, Citation

    dated = Citation(2, "r.pdf", "Troops", "Kyiv Post", "q", 0, 1, date="2024-10-23", page=3)
    undated = Citation(3, "s.txt", "Other", None, "q", 0, 1)
    rows = Answer("q", "a [2][3]", True, citations=[dated, undated]).to_json()["citations"]
    assert (rows[0]["date"], rows[0]["page"]) == ("2024-10-23", 3)
    assert (rows[1]["date"], rows[1]["page"]) == (None, None)
    assert ui.source_label(2, "Troops", "Kyiv Post", "2024-10-23", 3) == \
        ":blue-badge[2] **Troops** · *Kyiv Post* · 2024\\-10\\-23 · p\\. 3"
    assert ui.source_label(3, "Other", None) == ":blue-badge[3] **Other**"
