"""The Streamlit app, run by ``AppTest`` with a scripted chat model over a real Chroma store.

The app builds its model from the spec in ``RAG_LLM`` like any user's: these tests register a
:class:`~rag.llms.scripted.ScriptedChatModel` as ``scripted:app-test`` (nothing is patched),
with the real embedding model. Data (index, uploads, feedback) lives in ``tmp_path``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag import ui
from rag.errors import ModelFileError, ProviderError
from rag.llms.scripted import ScriptedChatModel, register_script
from tests.conftest import cite

APP = Path(__file__).resolve().parents[1] / "app.py"
FESTIVAL = (
    "Zorblax Festival Draws Record Crowd\n\n"
    "The Zorblax lantern festival in Tallinn drew 40,000 visitors this weekend, its "
    "organisers said on Sunday.\n\nThe city council thanked the volunteers.\n"
)
HOSTILE = (
    "Council Notes With Markup\n\n"
    "The council met on Tuesday to discuss the Zorblax bridge. "
    "The engineer wrote <script>alert('x')</script> and <img src=x onerror=alert(1)> "
    "in the Zorblax bridge inspection log, officials said.\n\n"
    "See ![pixel](http://example.com/p.png) and [a link](http://example.com) for more.\n"
)


@pytest.fixture
def app(tmp_path, monkeypatch):
    """``start(reply)`` runs the app with a scripted model; returns (AppTest, model)."""
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    model = ScriptedChatModel(model_name="scripted:app-test")
    monkeypatch.setenv("RAG_LLM", register_script("app-test", model))
    st.cache_resource.clear()

    def start(replies):
        model.replies = replies
        at = AppTest.from_file(str(APP), default_timeout=120).run()
        assert not at.exception, at.exception
        return at, model

    yield start
    st.cache_resource.clear()


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def last_answer(at: AppTest):
    msg = at.session_state.messages[-1]
    assert msg.role == "assistant" and msg.error is None, msg.content
    return msg


def open_report(at: AppTest, msg_id: str, n: int) -> AppTest:
    at.session_state[f"report-{msg_id}-{n}"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, text: str) -> AppTest:
    at.file_uploader(key="uploads").set_value((name, text.encode(), "text/plain"))
    at.button[[b.label for b in at.button].index("Index uploaded reports")].click().run()
    assert not at.exception, at.exception
    return at


def test_question_shows_the_answer_and_its_quoted_sources(app):
    at, _ = app(cite("Peskov", "Peskov cited contradictory information"))
    ask(at, "What did Peskov say about the reports?")

    msg = last_answer(at)
    answer = msg.answer
    assert answer.answerable and answer.citations
    c = answer.citations[0]
    shown = markdown(at)
    assert any("Peskov cited contradictory information" in v and f":blue-badge[{c.n}]" in v
               for v in shown)
    assert "> " + ui.escape_inline(c.quote) in shown  # the verbatim quote
    assert ui.source_label(c.n, c.title, c.publisher) in shown  # title and publisher
    assert any("Retrieved passages" in e.label for e in at.expander)

    open_report(at, msg.id, c.n)
    highlighted = [v for v in markdown(at) if ":orange-background[" in v]
    assert len(highlighted) == 1
    assert f":orange-background[{ui.escape_markdown(c.quote)}]" in highlighted[0]


def test_disagreeing_sources_are_shown_in_a_table(app):
    at, _ = app(cite("committed to sending 12,000", "North Korea committed to sending 12,000 troops"))
    ask(at, "How many North Korean troops has North Korea sent to Russia?")

    answer = last_answer(at).answer
    assert answer.conflicts
    table = next(d.value for d in at.main.table if "Said by" in d.value.columns)
    assert list(table.columns) == ["Figure", "What it counts", "Said by", "When", "Report"]
    assert {"12,000 troops", "1,500 troops"} <= set(table["Figure"])  # never cut short
    assert {"already there", "committed in total"} <= {w.split(",")[0]
                                                       for w in table["What it counts"]}
    assert any("The reports disagree" in v for v in markdown(at))


def test_follow_up_is_understood_through_the_history(app):
    rewrite = "What did Kremlin spokesperson Peskov say about North Korean troops in Russia?"
    at, model = app(cite("Peskov", "Peskov cited contradictory information", rewrite))
    ask(at, "What did South Korea's intelligence agency say about North Korean troops?")
    first = last_answer(at).answer
    calls_before = len(model.calls)

    ask(at, "What did the Kremlin say about that?")
    second = last_answer(at).answer
    assert second.answerable and second.standalone_question == rewrite
    condense_prompt = model.calls[calls_before][-1].text
    assert "South Korea's intelligence agency" in condense_prompt  # the earlier question
    assert first.answer.split("[")[0].strip() in condense_prompt  # and the earlier answer
    assert len(at.chat_message) == 4


def test_refusal_looks_different_and_lists_what_the_reports_cover(app):
    at, model = app(["Paris [1]."])
    ask(at, "What is the capital of France?")

    msg = last_answer(at)
    assert not msg.answer.answerable and model.calls == []
    assert [w.value for w in at.warning] == [ui.escape_markdown("The reports don't cover this.")]
    cover = next(v for v in markdown(at) if v.startswith("The reports cover:"))
    assert ui.escape_inline("South Korea Considers Military Response") in cover
    assert not any("Sources" in v for v in markdown(at))


def test_uploaded_report_is_indexed_and_answerable(app, tmp_path):
    at, _ = app(cite("40,000 visitors", "The festival drew 40,000 visitors"))
    upload(at, "../../festival notes (draft).txt", FESTIVAL)

    saved = tmp_path / "data" / "uploads" / "festival_notes_draft.txt"
    assert saved.read_text() == FESTIVAL
    listing = next(m.value for m in at.sidebar.markdown if m.value.startswith("- "))
    assert ui.escape_inline("Zorblax Festival Draws Record Crowd") in listing
    assert any("Indexed" in s.value for s in at.success)

    ask(at, "How many visitors came to the Zorblax lantern festival?")
    answer = last_answer(at).answer
    assert answer.answerable
    assert answer.citations[0].source == "festival_notes_draft.txt"
    assert "40,000 visitors" in answer.citations[0].quote

    at.selectbox(key="remove_choice").set_value("festival_notes_draft.txt").run()
    at.button[[b.label for b in at.button].index("Remove from the index")].click().run()
    assert not at.exception and not saved.exists()
    removed = ui.escape_markdown("Removed festival_notes_draft.txt")
    assert any(removed in s.value for s in at.success)
    listing = next(m.value for m in at.sidebar.markdown if m.value.startswith("- "))
    assert "Zorblax" not in listing


def test_feedback_is_appended_with_question_answer_and_citations(app, tmp_path):
    at, _ = app(cite("Peskov", "Peskov cited contradictory information"))
    ask(at, "What did Peskov say about the reports?")
    msg = last_answer(at)

    at.feedback(key=f"fb-{msg.id}").set_value(1).run()
    assert not at.exception
    lines = (tmp_path / "data" / "feedback.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["rating"] == "thumbs_up" and record["message_id"] == msg.id
    assert record["question"] == "What did Peskov say about the reports?"
    assert record["answer"] == msg.answer.answer
    assert record["citations"][0]["quote"] == msg.answer.citations[0].quote


def test_markup_in_reports_and_answers_is_shown_as_text(app):
    # the answer repeats the report's own markup (a figure no report states would be dropped)
    at, _ = app(cite("inspection log",
                     "The engineer wrote <img src=x onerror=alert(1)> <b>in the inspection log</b>"))
    upload(at, "hostile.txt", HOSTILE)
    ask(at, "What did the engineer write in the Zorblax bridge inspection log?")

    msg = last_answer(at)
    c = msg.answer.citations[0]
    assert c.source == "hostile.txt" and "<script>" in c.quote
    open_report(at, msg.id, c.n)
    shown = markdown(at)
    report = next(v for v in shown if ":orange-background[" in v)
    assert r"\<script\>alert\(\'x\'\)\<\/script\>" in report
    assert r"\<img src\=x onerror\=alert\(1\)\>" in report
    assert r"\!\[pixel\]\(http\:" in report and "http\\:\u2060" in report  # no image, no link
    for value in shown:  # nothing that Markdown could turn into a tag, an image or a link
        value = value.removeprefix("> ")  # the app's own blockquote around a quote
        assert not re.search(r"(?<!\\)[<>]|(?<!\\)!\[|(?<!\\)\]\(|://", value), value
    assert len(at.html) == 0


def test_errors_are_shown_in_the_chat_and_the_app_keeps_working(app):
    def failing_then_working(messages):
        if not failing_then_working.failed:
            failing_then_working.failed = True
            raise ProviderError("openai:gpt-4o-mini refused the API key (401). "
                                "Check OPENAI_API_KEY.")
        return cite("Peskov", "Peskov cited contradictory information")(messages)
    failing_then_working.failed = False

    at, _ = app(failing_then_working)
    ask(at, "What did Peskov say about the reports?")
    assert any("refused the API key" in e.value for e in at.error)
    assert at.session_state.messages[-1].error is not None

    ask(at, "What did Peskov say about the reports?")
    assert last_answer(at).answer.answerable
    assert len(at.chat_message) == 4


def test_a_model_that_cannot_be_built_is_reported_and_the_app_keeps_working(app, monkeypatch):
    monkeypatch.setenv("RAG_LLM", "openai:gpt-4o-mini")  # and no OPENAI_API_KEY
    at, _ = app([])
    assert any(ui.escape_markdown("OPENAI_API_KEY") in e.value for e in at.sidebar.error)
    ask(at, "What did Peskov say about the reports?")
    assert at.session_state.messages[-1].error is not None
    assert any(ui.escape_markdown("OPENAI_API_KEY") in e.value for e in at.main.error)


def test_new_chat_clears_the_conversation_and_download_has_the_quotes(app):
    at, _ = app(cite("Peskov", "Peskov cited contradictory information"))
    ask(at, "What did Peskov say about the reports?")
    quote = last_answer(at).answer.citations[0].quote

    exported = ui.to_markdown(at.session_state.messages)
    assert "## Question" in exported and ui.escape_inline(quote) in exported  # escaped as shown
    at.button[[b.label for b in at.button].index("New chat")].click().run()
    assert at.session_state.messages == [] and len(at.chat_message) == 0


def test_a_dated_report_shows_its_date_and_the_answer_a_timeline(app):
    at, _ = app(cite("40,000 visitors", "The festival drew 40,000 visitors"))
    dated = FESTIVAL.replace("Crowd\n\n", "Crowd\nOctober 28, 2024\n\n", 1)
    upload(at, "festival.txt", dated)
    listing = next(m.value for m in at.sidebar.markdown if m.value.startswith("- "))
    assert ui.escape_inline("2024-10-28") in listing

    ask(at, "How many visitors came to the Zorblax lantern festival?")
    c = last_answer(at).answer.citations[0]
    assert c.date == "2024-10-28"
    assert ui.source_label(c.n, c.title, c.publisher, c.date, c.page) in markdown(at)
    assert any(e.label.startswith("Timeline") for e in at.expander)
    table = next(d.value for d in at.main.table if "When" in d.value.columns)
    row = table[table["Quote"].str.contains("40,000 visitors")].iloc[0]
    assert row["When"] == "2024-10-27 (“Sunday”)"  # "on Sunday" in a report of Monday 28th


class SlowToWarm(ScriptedChatModel):
    """A scripted model whose warm-up (an embedded model's weights and system prompt) takes
    until ``go`` is set, or fails with ``failure``."""

    go: threading.Event
    failure: str | None = None

    def warm_up(self, system_prompt: str | None = None) -> None:
        self.go.wait(60)
        if self.failure:
            raise ModelFileError(self.failure)


def _until_ready(at: AppTest) -> AppTest:
    for _ in range(100):
        if not any("Loading the model" in c.value for c in at.sidebar.caption):
            return at
        time.sleep(0.05)
        at.run()
    raise AssertionError("the model never became ready")


def test_the_page_is_usable_while_the_model_loads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    go = threading.Event()
    model = SlowToWarm(model_name="scripted:slow-warm", go=go,
                       replies=cite("Peskov", "Peskov cited contradictory information"))
    monkeypatch.setenv("RAG_LLM", register_script("slow-warm", model))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(APP), default_timeout=120).run()
        assert not at.exception, at.exception
        assert any("Loading the model" in c.value for c in at.sidebar.caption)
        assert at.chat_input  # the question box, and the reports listed
        assert any(c.value == "5 reports indexed" for c in at.sidebar.caption)
        threading.Timer(0.3, go.set).start()  # the model gets ready while the question waits
        ask(at, "What did Peskov say about the reports?")
        assert last_answer(at).answer.answerable
        _until_ready(at)
        assert not at.sidebar.error
    finally:
        go.set()
        st.cache_resource.clear()


def test_a_model_that_fails_to_get_ready_is_reported_and_the_app_keeps_working(tmp_path,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    go = threading.Event()
    go.set()
    model = SlowToWarm(model_name="scripted:broken-warm", go=go,
                       failure="llama.cpp could not load /m.gguf. Check that it is a complete "
                               "GGUF file.",
                       replies=cite("Peskov", "Peskov cited contradictory information"))
    monkeypatch.setenv("RAG_LLM", register_script("broken-warm", model))
    st.cache_resource.clear()
    try:
        at = _until_ready(AppTest.from_file(str(APP), default_timeout=120).run())
        assert any("complete GGUF file" in e.value for e in at.sidebar.error)
        ask(at, "What did Peskov say about the reports?")  # still asked, and answered here
        assert last_answer(at).answer.answerable
    finally:
        st.cache_resource.clear()
