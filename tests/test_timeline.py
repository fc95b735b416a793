"""The timeline of a question, and disagreements in date order, over real stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag import stances
from rag.config import PROJECT_ROOT
from rag.conflicts import describe as describe_conflicts
from rag.ingest import ingest
from rag.store import ReportStore
from rag.timeline import build_timeline, order_claims, place, timeline_for
from rag.types import Evidence
from tests.conftest import SEEDS, make_settings

QUESTION = "Has the United States confirmed that North Korean soldiers are in Russia?"
NOT_YET = "could not yet confirm"
CONFIRMED = "Lloyd Austin confirmed evidence"


def _index(entries, words: str) -> int:
    return next(i for i, e in enumerate(entries) if words in e.quote)


def test_the_seeds_timeline_lists_could_not_yet_confirm_before_the_confirmation(seed_store):
    entries = timeline_for(seed_store, QUESTION, 18, 6, 0.25)
    not_yet, confirmed = entries[_index(entries, NOT_YET)], entries[_index(entries, CONFIRMED)]
    assert _index(entries, NOT_YET) < _index(entries, CONFIRMED)
    # what the seeds state: "on Oct. 19" without a year, in a report with no date of its own;
    # the confirmation is in a report that states no date at all
    assert (not_yet.said, not_yet.date, not_yet.basis) == ("Oct. 19", None, "unresolved")
    assert (confirmed.said, confirmed.date, confirmed.basis) == (None, None, "undated")
    for e in entries:
        assert seed_store.original_text(e.source)[e.start:e.end] == e.quote
    assert [e.sort_key() for e in entries] == sorted(e.sort_key() for e in entries)


def test_an_off_topic_question_has_no_timeline(seed_store):
    assert timeline_for(seed_store, "What is the capital of France?", 18, 6, 0.25) == []


@pytest.fixture(scope="module")
def dated_seeds(tmp_path_factory, embeddings):
    """Seeds 003 and 004 as if each stated its date under the headline."""
    folder = tmp_path_factory.mktemp("dated-seeds")
    for name, date in (("003_ca6e3800ea5608bd.txt", "October 21, 2024"),
                       ("004_968b073979ff03d3.txt", "October 24, 2024")):
        head, rest = (SEEDS / name).read_text(encoding="utf-8").split("\n", 1)
        (folder / name).write_text(f"{head}\n{date}\n{rest}", encoding="utf-8")
    data = tmp_path_factory.mktemp("dated-seeds-data")
    store = ReportStore.open(make_settings(data), embeddings)
    assert len(ingest(store, [folder]).added) == 2
    return store, data


def test_with_dated_reports_the_claims_get_calendar_dates(dated_seeds):
    store, _ = dated_seeds
    entries = timeline_for(store, QUESTION, 18, 6, 0.25)
    not_yet, confirmed = entries[_index(entries, NOT_YET)], entries[_index(entries, CONFIRMED)]
    assert (not_yet.date, not_yet.basis, not_yet.said) == ("2024-10-19", "stated", "Oct. 19")
    assert (confirmed.date, confirmed.basis) == ("2024-10-24", "report date")
    assert _index(entries, NOT_YET) < _index(entries, CONFIRMED)
    dates = [e.date for e in entries]
    assert dates == sorted(dates)  # every sentence here is dated


def test_cli_timeline_json(dated_seeds):
    _store, data = dated_seeds
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_", "CHROMA_"))}
    out = subprocess.run([sys.executable, "-m", "rag", "timeline", QUESTION, "--json",
                          "--data-dir", str(data)], capture_output=True, text=True, timeout=120,
                         cwd=PROJECT_ROOT, env=env | {"HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["question"] == QUESTION
    quotes = [e["quote"] for e in result["entries"]]
    first = next(i for i, q in enumerate(quotes) if NOT_YET in q)
    assert first < next(i for i, q in enumerate(quotes) if CONFIRMED in q)
    row = result["entries"][first]
    assert {"quote", "source", "title", "start", "end", "date", "basis", "said", "n"} <= set(row)
    assert row["date"] == "2024-10-19" and row["source"] == "003_ca6e3800ea5608bd.txt"


def _ev(n, source, text, date=None, start=0):
    return Evidence(n, source, source, None, text, start, start + len(text), 1.0, date)


def test_stance_claims_are_ordered_by_date_undated_last():
    evidence = [
        _ev(1, "b.txt", "U.S. Defense Secretary Lloyd Austin confirmed evidence of North Korean "
                        "soldiers in Russia.", "2024-10-24"),
        _ev(2, "c.txt", "NATO officials said they had no concrete evidence of the troops."),
        _ev(3, "a.txt", "Austin stated on Oct. 19 that the Pentagon could not yet confirm the "
                        "reports.", "2024-10-21"),
    ]
    conflicts = stances.find_stance_conflicts("Did Austin confirm the reports?", evidence)
    assert conflicts
    ordered = order_claims(conflicts, evidence)
    claims = ordered[0].claims
    assert [c.n for c in claims] == [3, 1, 2]
    assert [(c.date, c.date_text) for c in claims] == [("2024-10-19", "Oct. 19"),
                                                       ("2024-10-24", None), (None, None)]
    assert sorted(c.n for c in conflicts[0].claims) == [1, 2, 3]  # the input is not changed
    line = describe_conflicts(ordered)
    assert line.index("could not yet confirm (Austin, 2024-10-19 [3])") < line.index(
        "confirmed (U.S. Defense Secretary Lloyd Austin, 2024-10-24 [1])")


def test_a_quote_no_longer_in_its_report_is_left_out():
    text = "Seoul said on Oct. 19 that troops moved."
    kept = build_timeline([_ev(1, "a.txt", text)], [], lambda s: text)
    assert [e.quote for e in kept] == [text]
    assert build_timeline([_ev(1, "a.txt", text)], [], lambda s: "changed") == []
    assert build_timeline([_ev(1, "a.txt", text)], [], lambda s: None) == []


def test_place_reads_the_sentence_date_else_the_report_date():
    assert place("It rose today.", "r", "R", None, 5, "1987-02-26").date == "1987-02-26"
    e = place("It rose.", "r", "R", None, 5, "1987-02-26")
    assert (e.date, e.basis, e.end) == ("1987-02-26", "report date", 13)
    assert place("It rose.", "r", "R", None, 0, None).basis == "undated"


def test_the_timeline_under_an_answer_places_what_its_own_passages_missed(engine_with):
    """The answer cites only the confirmation; its timeline still lists Austin's "could not
    yet confirm" (stated "on Oct. 19") before it, found by a wider search for the question,
    and keeps the answer's own evidence numbers."""
    from rag.timeline import answer_timeline
    from tests.conftest import cite

    engine, _ = engine_with(cite(CONFIRMED), k=2)
    answer = engine.answer(QUESTION)
    assert answer.answerable, answer.refusal_reason
    assert not any(NOT_YET in p.text for p in answer.passages)  # its own passages lack it
    entries = answer_timeline(engine.store, answer, 6, 0.25)
    assert _index(entries, NOT_YET) < _index(entries, CONFIRMED)
    cited = answer.citations[0]
    assert entries[_index(entries, CONFIRMED)].n == cited.n
    for e in entries:
        assert engine.store.original_text(e.source)[e.start:e.end] == e.quote
