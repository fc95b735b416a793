# ruff: noqa: F811 - the tests take the `app` fixture imported from tests/test_app.py
"""The app's saved conversations, scope and report list, with ``AppTest``: a scripted chat
model over a real Chroma store and a real conversation file in ``tmp_path``.

A restart is a new ``AppTest`` after clearing Streamlit's resource cache (the store, the
engine and the conversation store are rebuilt from disk); a reload is the same URL
(``?c=ID``) in a new session.
"""

from __future__ import annotations

import json

import streamlit as st
from streamlit.testing.v1 import AppTest

from rag import ui
from rag.conversations import ConversationStore
from tests.conftest import cite, make_settings
from tests.test_app import APP, app, ask, last_answer, markdown  # noqa: F401 - app: fixture

REWRITE = "What did Kremlin spokesperson Peskov say about North Korean troops in Russia?"
KYIV_POST = "003_ca6e3800ea5608bd.txt"


def restart(query_params: dict | None = None) -> AppTest:
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(query_params or {})
    at.run()
    assert not at.exception, at.exception
    return at


def buttons(at: AppTest) -> dict[str, object]:
    return {b.label: b for b in at.sidebar.button}


def test_a_conversation_survives_a_restart_and_its_follow_up_uses_the_history(app, tmp_path):
    at, model = app(cite("Peskov", "Peskov cited contradictory information", REWRITE))
    ask(at, "What did Peskov say about the reports of North Korean troops?")
    first = last_answer(at).answer
    assert first.answerable
    cid = at.query_params["c"]
    assert len(cid) == 12

    at = restart({"c": cid})  # the same URL after the app process restarted
    assert len(at.chat_message) == 2
    assert at.session_state.messages[1].answer == first  # citations, conflicts, timings
    assert "> " + ui.escape_inline(first.citations[0].quote) in markdown(at)
    calls = len(model.calls)
    ask(at, "What did the Kremlin say about that?")
    second = last_answer(at).answer
    assert second.standalone_question == REWRITE
    assert "What did Peskov say about the reports" in model.calls[calls][-1].text
    assert at.query_params["c"] == cid and len(at.chat_message) == 4

    at = restart()  # a new tab, no ?c=: the conversation is listed, and opens on a click
    assert len(at.chat_message) == 0
    label = ui.escape_inline("What did Peskov say about the reports of North Korean troops?")
    buttons(at)[label].click().run()
    assert at.query_params["c"] == cid and len(at.chat_message) == 4
    saved = ConversationStore(tmp_path / "data" / "conversations.sqlite3")
    assert [m.role for m in saved.get(cid).messages] == ["user", "assistant"] * 2


def test_rename_delete_new_chat_and_an_unknown_id(app):
    at, _ = app(cite("Peskov", "Peskov cited contradictory information"))
    ask(at, "What did Peskov say about the reports?")
    cid = at.query_params["c"]

    at.text_input(key=f"title-{cid}").set_value("Peskov <b>denials</b>").run()
    buttons(at)["Rename"].click().run()
    assert ui.escape_inline("Peskov <b>denials</b>") in buttons(at)  # escaped, never HTML

    buttons(at)["New chat"].click().run()
    assert "c" not in at.query_params and at.session_state.messages == []
    ask(at, "What did Peskov say about the reports?")
    assert at.query_params["c"] != cid
    assert len([b for b in at.sidebar.button if b.key and b.key.startswith("open-")]) == 2

    buttons(at)["Delete"].click().run()
    assert "c" not in at.query_params and len(at.chat_message) == 0
    assert [b.key for b in at.sidebar.button if b.key and b.key.startswith("open-")] == [
        f"open-{cid}"]

    at = restart({"c": "0123456789ab"})  # a stale link
    assert any("No conversation" in w.value for w in at.sidebar.warning)
    assert "c" not in at.query_params and len(at.chat_message) == 0


def test_an_exported_conversation_imports_as_a_new_one(app, tmp_path):
    at, _ = app(cite("Peskov", "Peskov cited contradictory information"))
    ask(at, "What did Peskov say about the reports?")
    saved = ConversationStore(tmp_path / "data" / "conversations.sqlite3")
    exported = ui.to_json_file(saved.export_json(at.query_params["c"]))

    at.file_uploader(key="import_file").set_value(
        ("chat.json", exported.encode(), "application/json")).run()
    assert not at.exception
    assert len(saved.list()) == 2 and at.query_params["c"] == saved.list()[0].id
    assert at.session_state.messages[1].answer.citations  # the answer came with it

    at.file_uploader(key="import_file").set_value(("bad.json", b"{not json", "text/plain")).run()
    assert any("not JSON" in w.value for w in at.sidebar.warning)
    assert json.loads(exported)[0]["role"] == "user"


def test_asking_only_chosen_reports(app):
    at, _ = app(cite("12,000", "Up to 12,000 troops"))  # as the Kyiv Post says
    at.multiselect(key="scope").set_value([KYIV_POST]).run()
    assert any("Asking only 1 chosen report" in c.value for c in at.main.caption)
    ask(at, "How many North Korean troops has North Korea sent to Russia?")
    answer = last_answer(at).answer
    assert answer.answerable and {c.source for c in answer.citations} == {KYIV_POST}
    assert {p.source for p in answer.passages} == {KYIV_POST}


def test_a_large_collection_is_listed_one_page_at_a_time(app, tmp_path, embeddings):
    from rag.ingest import ingest
    from rag.store import ReportStore

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(64):
        (folder / f"r{i:03d}.txt").write_text(
            f"Harbour Bulletin {i:03d}\n\nThe harbour of Port Quill{i:03d} logged {i} "
            f"arrivals on Monday, the harbour master said.\n")
    store = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    assert len(ingest(store, [folder]).added) == 64

    at, _ = app(["unused"])
    assert "64 reports indexed" in [c.value for c in at.sidebar.caption]
    listing = next(m.value for m in at.sidebar.markdown if m.value.startswith("- "))
    assert listing.count("\n- ") + 1 == 50
    assert any("The first 50 of 64" in c.value for c in at.sidebar.caption)
    assert len(at.selectbox(key="remove_choice").options) == 50

    at.text_input(key="report_search").set_value("bulletin 063").run()
    listing = next(m.value for m in at.sidebar.markdown if m.value.startswith("- "))
    assert "Harbour Bulletin 063" in listing and listing.count("\n- ") == 0
    at.selectbox(key="remove_choice").set_value("r063.txt").run()
    at.sidebar.button[[b.label for b in at.sidebar.button].index(
        "Remove from the index")].click().run()
    assert "63 reports indexed" in [c.value for c in at.sidebar.caption]
