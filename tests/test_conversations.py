"""Saved conversations: a real SQLite file, real processes, and the terminal chat saving and
resuming with a scripted model over the real seed store."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from dataclasses import asdict

import pytest

from rag import cli
from rag.config import PROJECT_ROOT
from rag.conversations import ConversationStore, Message, answer_from_json, export_markdown
from rag.engine import check_history
from rag.errors import InputError
from rag.types import Answer, Citation
from tests.conftest import cite, make_settings

TROOPS = "How many North Korean troops has North Korea sent to Russia?"


@pytest.fixture
def saved(tmp_path):
    return ConversationStore(tmp_path / "conversations.sqlite3")


def small_answer(question: str, text: str) -> Answer:
    return Answer(question, text, True, model="scripted", timings_ms={"total": 1.5},
                  citations=[Citation(1, "a.txt", "A title", None, "a quote", 0, 7)])


def run_python(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_full_answer_round_trips_through_json(engine_with):
    engine, _ = engine_with(cite("committed to sending 12,000",
                                 "North Korea committed to sending 12,000 troops"))
    answer = engine.answer(TROOPS)
    assert answer.conflicts and answer.citations and answer.evidence  # a rich answer

    assert answer_from_json(json.loads(json.dumps(asdict(answer)))) == answer
    shown = answer.to_json()
    assert answer_from_json(shown).to_json() == shown  # `ask --json` output, as exported
    assert answer_from_json(shown | {"a_field_from_the_future": 1}).to_json() == shown
    noted = {"question": "q", "answerable": True, "notes": ["The reports give other figures."],
             "answer": "About 12,000 [1].\n\nThe reports give other figures."}
    assert answer_from_json(noted).to_json()["answer"] == noted["answer"]  # notes once
    older = {"question": "q", "answer": "a", "answerable": False}
    assert answer_from_json(older) == Answer("q", "a", False)


def test_a_conversation_survives_a_process_restart(tmp_path):
    path = tmp_path / "conversations.sqlite3"
    write = (
        "import sys\n"
        "from rag.conversations import ConversationStore, Message\n"
        "from rag.types import Answer, Citation\n"
        "s = ConversationStore(sys.argv[1])\n"
        "cid = s.create()\n"
        "s.append(cid, Message('user', 'How many troops?'))\n"
        "a = Answer('How many troops?', 'About 12,000 [1].', True, model='scripted',\n"
        "           citations=[Citation(1, 'a.txt', 'T', 'Pub', 'about 12,000', 3, 15)])\n"
        "s.append(cid, Message('assistant', a.answer, answer=a))\n"
        "print(cid)\n")
    cid = run_python(write, str(path)).strip()
    read = ("import json, sys\n"
            "from rag.conversations import ConversationStore\n"
            "s = ConversationStore(sys.argv[1])\n"
            "print(json.dumps([[i.id, i.title, i.messages] for i in s.list()]))\n"
            "print(json.dumps(s.export_json(sys.argv[2])))\n")
    listed, exported = run_python(read, str(path), cid).splitlines()
    assert json.loads(listed) == [[cid, "How many troops?", 2]]
    messages = json.loads(exported)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["answer"]["citations"][0]["quote"] == "about 12,000"
    assert messages[1]["answer"]["citations"][0]["publisher"] == "Pub"


def test_concurrent_writers_in_threads_and_processes_lose_nothing(saved):
    cid = saved.create("busy")
    per_writer = 15
    code = ("import sys\n"
            "from rag.conversations import ConversationStore, Message\n"
            "s = ConversationStore(sys.argv[1])\n"
            "for i in range(int(sys.argv[3])):\n"
            "    s.append(sys.argv[2], Message('user', f'{sys.argv[4]}-{i}'))\n")
    processes = [subprocess.Popen([sys.executable, "-c", code, str(saved.path), cid,
                                   str(per_writer), f"p{n}"], cwd=PROJECT_ROOT)
                 for n in range(2)]
    errors: list[Exception] = []

    def writer(name: str) -> None:
        try:
            for i in range(per_writer):
                saved.append(cid, Message("user", f"{name}-{i}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in processes:
        assert p.wait(timeout=120) == 0
    assert errors == []
    contents = [m.content for m in saved.get(cid).messages]
    expected = {f"{w}-{i}" for w in ("t0", "t1", "t2", "t3", "p0", "p1")
                for i in range(per_writer)}
    assert len(contents) == len(expected) and set(contents) == expected
    for w in ("t0", "p1"):  # each writer's messages stay in its order
        mine = [c for c in contents if c.startswith(w + "-")]
        assert mine == [f"{w}-{i}" for i in range(per_writer)]


def test_list_search_rename_and_delete(saved):
    first = saved.create()
    saved.append(first, Message("user", "What did Peskov say?"))
    second = saved.create()
    saved.append(second, Message("user", "How   many\ntroops?"))
    saved.append(second, Message("assistant", "About 12,000 [1] (100% sure_ish)."))

    assert [i.id for i in saved.list()] == [second, first]  # newest first
    assert saved.list()[0].title == "How many troops?" and saved.list()[0].messages == 2
    assert [i.id for i in saved.list("peskov")] == [first]  # titles, case-insensitive
    assert [i.id for i in saved.list("12,000")] == [second]  # and message text
    assert saved.list("100%") and not saved.list("1000%")  # % and _ are plain text
    assert not saved.list("sure%ish") and saved.list("sure_ish")

    saved.append(first, Message("user", "And the Kremlin?"))
    assert [i.id for i in saved.list()] == [first, second]  # a new message moves it up
    saved.rename(first, "  Peskov\nand the Kremlin ")
    assert saved.get(first).title == "Peskov and the Kremlin"
    with pytest.raises(InputError, match="cannot be empty"):
        saved.rename(first, "  ")

    saved.delete(first)
    assert [i.id for i in saved.list()] == [second] and saved.count() == 1
    with pytest.raises(InputError, match="No conversation"):
        saved.get(first)
    with pytest.raises(InputError, match="deleted"):
        saved.append(first, Message("user", "hello?"))
    with pytest.raises(InputError, match="12 hex digits"):
        saved.get("../../etc/passwd")


def test_export_and_import_round_trip_and_the_export_is_a_history_file(saved, tmp_path):
    cid = saved.create()
    saved.append(cid, Message("user", "A question that failed"))
    saved.append(cid, Message("assistant", "boom", error="boom"))
    saved.append_turn(cid, "How many troops?", small_answer("How many troops?", "12,000 [1]."))
    saved.append_turn(cid, "And brigades?", small_answer("And brigades?", "Four [1]."))

    exported = saved.export_json(cid)
    assert [(m["role"], m["content"]) for m in exported] == [
        ("user", "How many troops?"), ("assistant", "12,000 [1]."),
        ("user", "And brigades?"), ("assistant", "Four [1].")]  # the failed one left out
    assert exported[1]["answer"] == small_answer("How many troops?", "12,000 [1].").to_json()
    assert check_history(exported, make_settings(tmp_path)) == [
        {"role": m["role"], "content": m["content"]} for m in exported]

    copy = saved.import_json(json.loads(json.dumps(exported)))
    assert copy != cid and saved.export_json(copy) == exported
    assert saved.get(copy).title == "How many troops?"
    markdown = export_markdown(saved.get(copy))
    # untrusted text is escaped as the page escapes it (rag.ui.render)
    assert "## Question" in markdown and "> a quote" in markdown and "\\[1\\] A title" in markdown
    for bad in ({"role": "user"}, [{"role": "system", "content": "x"}], []):
        with pytest.raises(InputError):
            saved.import_json(bad)


def test_the_terminal_chat_saves_each_turn_and_resumes_with_its_history(
        engine_with, tmp_path, monkeypatch, capsys):
    rewrite = "What did Kremlin spokesperson Peskov say about North Korean troops in Russia?"
    engine, model = engine_with(cite("Peskov", "Peskov cited contradictory information",
                                     rewrite))
    monkeypatch.setattr(cli, "_engine", lambda args: engine)
    data = ["--data-dir", str(tmp_path)]

    monkeypatch.setattr(sys, "stdin", io.StringIO("What did Peskov say about the reports?\n"))
    assert cli.main(["chat", *data]) == 0
    saved = ConversationStore(tmp_path / "conversations.sqlite3")
    [info] = saved.list()
    assert info.title == "What did Peskov say about the reports?" and info.messages == 2
    assert f"--resume {info.id}" in capsys.readouterr().err

    assert cli.main(["conversations", *data]) == 0
    assert info.id in capsys.readouterr().out

    calls = len(model.calls)
    monkeypatch.setattr(sys, "stdin", io.StringIO("What did the Kremlin say about that?\n"))
    assert cli.main(["chat", *data, "--resume", info.id]) == 0
    assert "Peskov cited contradictory information" in capsys.readouterr().out
    condense = model.calls[calls][-1].text
    assert "What did Peskov say about the reports?" in condense  # the saved history
    messages = saved.get(info.id).messages
    assert len(messages) == 4 and messages[3].answer.standalone_question == rewrite

    exported = tmp_path / "export.json"
    assert cli.main(["conversations", *data, "--export", info.id]) == 0
    exported.write_text(capsys.readouterr().out)
    assert cli.main(["conversations", *data, "--import", str(exported)]) == 0
    assert len(saved.list()) == 2
    assert cli.main(["chat", *data, "--resume", "0123456789ab"]) == 2
    assert "No conversation" in capsys.readouterr().err
