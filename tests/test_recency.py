"""Questions about time: newer reports preferred for "latest", and the answer saying which
came later; over a real store of dated newswire reports and the real embedding model."""

from __future__ import annotations

import re

import pytest

from rag.engine import build_engine
from rag.ingest import ingest
from rag.llms.scripted import ScriptedChatModel
from rag.recency import asks_about_time, order_note, prefer_newer
from rag.retrieve import hybrid_search
from rag.store import ReportStore
from rag.types import Evidence, Passage
from tests.conftest import make_settings

# Three reports on one story, two weeks apart, in the Reuters collection's format. The
# oldest repeats the question's words most, so by relevance alone it ranks first.
REPORTS = {
    "wire-early.txt": ("ECUADOR PIPELINE REPAIR TO TAKE FIVE MONTHS\nMarch 6, 1987\n\n"
                       "QUITO, March 6 - Ecuador's oil pipeline repair will take five months, "
                       "the energy minister said of the pipeline repair after the earthquake.\n"
                       " Reuter\n"),
    "wire-middle.txt": ("ECUADOR SEES PIPELINE REPAIR IN FOUR MONTHS\nMarch 13, 1987\n\n"
                        "QUITO, March 13 - Ecuador now expects the pipeline repair to take "
                        "four months, the state oil company said.\n Reuter\n"),
    "wire-late.txt": ("ECUADOR CUTS PIPELINE ESTIMATE\nMarch 20, 1987\n\n"
                      "QUITO, March 20 - Ecuador said the pipeline would be repaired in "
                      "three months, sooner than first thought.\n Reuter\n"),
}
LATEST = "What is the latest estimate of how long Ecuador's oil pipeline repair will take?"


@pytest.fixture(scope="module")
def wire_store(tmp_path_factory, embeddings):
    folder = tmp_path_factory.mktemp("wire")
    for name, text in REPORTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = ReportStore.open(make_settings(tmp_path_factory.mktemp("wire-data")), embeddings)
    assert len(ingest(store, [folder]).added) == 3
    return store


def test_what_a_question_asks_about_time():
    assert [asks_about_time(q) for q in (
        LATEST, "How many troops are in Russia now?", "Has the U.S. confirmed it yet?",
        "When did Austin confirm it?", "What did Seoul say at first?",
        "What did Peskov say about the treaty?")] == ["latest", "latest", "latest", "when",
                                                      "first", None]


def test_a_latest_question_ranks_the_newest_report_first_and_keeps_the_older_ones(wire_store):
    plain = hybrid_search(wire_store, LATEST, 5)
    newer = hybrid_search(wire_store, LATEST, 5, newer=True)
    assert plain.passages[0].source == "wire-early.txt"  # relevance alone
    first_seen = list(dict.fromkeys(p.source for p in newer.passages))
    assert first_seen == ["wire-late.txt", "wire-middle.txt", "wire-early.txt"]  # all stay
    assert newer.passages[0].date == "1987-03-20"


def test_prefer_newer_leaves_undated_and_single_date_passages_alone():
    undated = Passage("u", "u.txt", "", None, "", 0, 1, 0.5)
    a = Passage("a", "a.txt", "", None, "", 0, 1, 1.0, date="1987-03-01")
    assert prefer_newer([a, undated]) == [a, undated]  # one date: nothing to compare
    b = Passage("b", "b.txt", "", None, "", 0, 1, 0.8, date="1987-03-31")
    got = prefer_newer([a, b, undated])
    assert [p.source for p in got] == ["b.txt", "a.txt", "u.txt"]
    assert got[0].score == pytest.approx(0.8 * 1.3) and got[2].score == 0.5


def _cite_all(messages):
    """Each evidence line about the pipeline, in its own words, with its number."""
    prompt = messages[-1].text
    lines = [(m.group(1), m.group(2).rstrip(".")) for m in re.finditer(r"^\[(\d+)\] (.*)$",
                                                                        prompt, re.M)]
    said = [f"{text} [{n}]." for n, text in lines if "months" in text]
    return " ".join(said) or "NOT IN REPORTS"


def test_the_answer_to_a_latest_question_says_which_report_came_later(tmp_path, wire_store):
    engine = build_engine(make_settings(tmp_path), llm=ScriptedChatModel(replies=_cite_all),
                          store=wire_store, model_name="scripted")
    answer = engine.answer(LATEST)
    assert answer.answerable, answer.refusal_reason
    note = next(n for n in answer.notes if n.startswith("In time order:"))
    by_date = {ev.date: ev.n for ev in answer.evidence if "months" in ev.text}
    assert set(by_date) == {"1987-03-06", "1987-03-13", "1987-03-20"}
    assert note == ("In time order: "
                    f"1987-03-06 (“March 6”) [{by_date['1987-03-06']}], then "
                    f"1987-03-13 (“March 13”) [{by_date['1987-03-13']}], then "
                    f"1987-03-20 (“March 20”) [{by_date['1987-03-20']}]; "
                    f"the latest is [{by_date['1987-03-20']}].")
    assert note in answer.to_json()["answer"] and note in answer.to_json()["notes"]


def test_no_order_note_without_a_time_question_or_without_two_dates():
    ev = [Evidence(1, "a", "a", None, "Kim left.", 0, 9, 1.0, "1987-03-01"),
          Evidence(2, "b", "b", None, "Kim came back.", 0, 14, 1.0, "1987-03-09"),
          Evidence(3, "c", "c", None, "Kim stayed.", 0, 11, 1.0)]
    assert order_note("Where is Kim?", "Kim left [1]. Kim came back [2].", ev) is None
    assert order_note("Where is Kim now?", "Kim left [1]. Kim stayed [3].", ev) is None
    assert order_note("What did Kim do first?", "Kim came back [2]. Kim left [1].", ev) == (
        "In time order: 1987-03-01 (report date) [1], then 1987-03-09 (report date) [2]; "
        "the earliest is [1].")


def test_an_answer_about_another_year_than_the_one_asked_is_a_refusal(tmp_path, wire_store):
    """Asked about 1986, the reports (all from 1987) give 1987: not an answer to what was
    asked, so the engine refuses and says why."""
    def reply(messages):
        prompt = messages[-1].text
        n = next(m.group(1) for m in re.finditer(r"^\[(\d+)\] (.*)$", prompt, re.M)
                 if "five months" in m.group(2))
        return f"In 1987 Ecuador said the oil pipeline repair will take five months [{n}]."

    engine = build_engine(make_settings(tmp_path), llm=ScriptedChatModel(replies=reply),
                          store=wire_store, model_name="scripted")
    asked_1986 = engine.answer("How long did Ecuador say in 1986 the pipeline repair would take?")
    assert not asked_1986.answerable
    assert asked_1986.refusal_reason == ("the question asks about 1986; the reports it cites "
                                         "give 1987")
    asked_1987 = engine.answer("How long did Ecuador say in 1987 the pipeline repair would take?")
    assert asked_1987.answerable, asked_1987.refusal_reason
