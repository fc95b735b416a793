"""``rag.ui``: escaping and highlighting, safe uploads, feedback, export, model choices."""

from __future__ import annotations

import hashlib
import json
import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag import ui
from rag.errors import InputError
from rag.ingest import MAX_FILE_BYTES, ingest
from rag.store import ReportStore
from rag.types import Answer, Citation, Claim, Conflict, Passage
from rag.ui.render import WORD_JOINER
from tests.conftest import SEEDS, make_settings

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape(markdown: str) -> str:
    return _ESCAPED.sub(r"\1", markdown).replace(WORD_JOINER, "")


# -- escaping and highlighting -------------------------------------------------------------
@given(st.text())
def test_escaping_round_trips_and_leaves_no_markup(text):
    out = ui.escape_markdown(text)
    assert unescape(out) == text
    bare = _ESCAPED.sub("", out)  # what is left once escaped characters are removed
    assert not re.search(r"[!-/:-@\[-`{-~]", bare)


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "![x](http://e.com/p.png)",
    "[click](javascript:alert(1))", ":red[red] :material/home: $x^2$", "see http://e.com",
    "www.e.com and a@b.org", "# heading", "| a | b |",
])
def test_markup_and_links_are_escaped(text):
    out = ui.escape_markdown(text)
    assert not re.search(r"(?<!\\)[<>\[\]()!:$#|]", out), out
    assert "://" not in out and "www." not in out.lower().replace("\\", "")


def test_highlight_marks_exactly_the_span_on_one_line():
    text = "Title\n\nPeskov cited [contradictory] information. Seoul disagreed.\n"
    start = text.index("Peskov")
    end = text.index(".", start) + 1
    assert ui.highlight_markdown(text, start, end) == (
        "Title  \n  \n:orange-background[Peskov cited \\[contradictory\\] information\\.] "
        "Seoul disagreed\\.  \n")
    assert ":orange-background[" not in ui.highlight_markdown(text, 3, 3)


def test_highlight_across_lines_marks_each_line_and_drops_code_indents():
    text = "one two\n    three four\nfive"
    out = ui.highlight_markdown(text, text.index("two"), text.index("four") + 4)
    assert out == ("one :orange-background[two]  \n"
                   ":orange-background[three four]  \nfive")


def test_highlight_of_a_long_report_is_cut_around_the_span():
    text = "a" * 50_000 + "QUOTE" + "b" * 50_000
    start = text.index("QUOTE")
    out = ui.highlight_markdown(text, start, start + 5, context=100)
    assert out.startswith("… ") and out.endswith(" …")
    assert ":orange-background[QUOTE]" in out and len(out) < 300


def test_answer_markers_become_badges_and_html_stays_text():
    out = ui.answer_markdown("Peskov <b>denied</b> it [2][5].\n\nSeoul disagreed [1].")
    assert ":blue-badge[2]:blue-badge[5]" in out and ":blue-badge[1]" in out
    assert "\\<b\\>denied\\<\\/b\\>" in out and "  \n  \n" in out


def test_source_label_and_rows():
    assert ui.source_label(3, "A [title]", "Kyiv *Post*") == \
        ":blue-badge[3] **A \\[title\\]** · *Kyiv \\*Post\\**"
    answer = Answer("q", "a", True, passages=[
        Passage("c1", "r.txt", "T", None, "some\n text", 0, 9, 0.0312, 0.61, None)],
        conflicts=[Conflict("troops", [Claim("1,500", 1500, "troops", "NIS", "r.txt", "T", 2)])])
    assert ui.passage_rows(answer) == [{"#": 1, "Report": "r.txt", "Fused score": 0.0312,
                                        "Cosine": 0.61, "Keyword": None, "Passage": "some text"}]
    assert ui.conflict_rows(answer) == [{"Figure": "1,500 troops", "What it counts": "",
                                         "Said by": "NIS", "When": "", "Report": "[2] T"}]
    dated = Answer(question="q", answer="a", answerable=True, conflicts=[Conflict(
        "troops", [Claim("1,500", 1500, "troops", "South Korea's intelligence agency", "r.txt",
                         "T", 2, status="already there", place="in the Russian Far East",
                         date="2024-10-18", speaker_normalised="NIS")],
        label="already there")])
    assert ui.conflict_rows(dated) == [{
        "Figure": "1,500 troops", "What it counts": "already there, in the Russian Far East",
        "Said by": "NIS (South Korea's intelligence agency)", "When": "2024-10-18",
        "Report": "[2] T"}]


# -- uploads ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, safe", [
    ("../../etc/report.txt", "report.txt"),
    ("..\\..\\Windows\\notes.MD", "notes.md"),
    ("C:\\Users\\x\\page.HTML", "page.html"),
    (".hidden.txt", "hidden.txt"),
    ("Kim's report (final).md", "Kim_s_report_final.md"),
    ("報告.txt", "報告.txt"),
    ("отчёт.txt", "отчёт.txt"),
    ("\u202eexe.txt", "exe.txt"),
    ("???.txt", "report.txt"),
    ("a" * 300 + ".txt", "a" * 100 + ".txt"),
])
def test_safe_upload_names(name, safe):
    assert ui.safe_upload_name(name) == safe


@pytest.mark.parametrize("name", ["run.exe", "noext", "report.txt.exe", "", "dir/"])
def test_unsupported_uploads_are_refused(name):
    with pytest.raises(InputError, match="unsupported type"):
        ui.safe_upload_name(name)


def test_save_upload_stays_in_the_uploads_folder(tmp_path):
    settings = make_settings(tmp_path)
    path = ui.corpus.save_upload("../../../evil.txt", b"text", settings)
    assert path == settings.uploads_dir / "evil.txt" and path.read_bytes() == b"text"
    again = ui.corpus.save_upload("x/evil.txt", b"t", settings, taken={"evil.txt"})
    assert again.name == f"evil-{hashlib.sha256(b't').hexdigest()[:6]}.txt"
    with pytest.raises(InputError, match="limit"):
        ui.corpus.save_upload("big.txt", b"x" * (MAX_FILE_BYTES + 1), settings)


def test_index_uploads_indexes_renames_clashes_and_drops_refused_files(tmp_path, embeddings):
    settings = make_settings(tmp_path)
    store = ReportStore.open(settings, embeddings)
    seed = sorted(SEEDS.glob("*.txt"))[0]
    ingest(store, [seed])
    report = "A Lantern Festival\n\nThe lantern festival drew 40,000 visitors, organisers said.\n"
    summary = ui.index_uploads(store, settings, [
        ("festival.md", report.encode()),
        (seed.name, report.encode()),  # same name as an indexed seed: kept apart
        ("empty.txt", b"   "),
        ("tool.exe", b"MZ"),
    ])
    stem = seed.name.removesuffix(".txt") + "-" + hashlib.sha256(report.encode()).hexdigest()[:6]
    assert sorted(summary.added) == sorted(["festival.md", f"{stem}.txt"])
    assert {p.rsplit("/", 1)[-1] for p, _ in summary.skipped} == {"empty.txt", "tool.exe"}
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == \
        sorted(["festival.md", f"{stem}.txt"])
    assert store.source_info(seed.name).path == str(seed.resolve())
    assert ui.report_text(store, "festival.md") == report

    assert ui.remove_report(store, settings, "festival.md") > 0
    assert not (settings.uploads_dir / "festival.md").exists()
    assert ui.remove_report(store, settings, seed.name) > 0
    assert seed.exists()  # a report from seeds/ leaves the index, never the disk
    with pytest.raises(InputError):
        ui.remove_report(store, settings, "festival.md")


# -- feedback, history, export ---------------------------------------------------------------
def _answer() -> Answer:
    return Answer("What did Peskov say?", "He cited contradictory information [2].", True,
                  citations=[Citation(2, "r.txt", "Kremlin deflects", "Kyiv Post",
                                      "Peskov cited “contradictory information”.", 10, 52)],
                  model="scripted", standalone_question="What did Peskov say?")


def test_feedback_lines_hold_rating_question_answer_and_citations(tmp_path):
    settings = make_settings(tmp_path)
    ui.write_feedback(settings, _answer(), 1, "m1")
    path = ui.write_feedback(settings, _answer(), 0, "m1")
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert path == tmp_path / "feedback.jsonl"
    assert (first["rating"], second["rating"]) == ("thumbs_up", "thumbs_down")
    assert second["question"] == "What did Peskov say?" and second["message_id"] == "m1"
    assert second["citations"][0]["quote"] == "Peskov cited “contradictory information”."


def test_history_skips_errors_and_unanswered_questions():
    msgs = [ui.ChatMessage("user", "q1"), ui.ChatMessage("assistant", "a1", answer=_answer()),
            ui.ChatMessage("user", "q2"), ui.ChatMessage("assistant", "boom", error="boom"),
            ui.ChatMessage("user", "q3")]
    assert ui.history(msgs) == [{"role": "user", "content": "q1"},
                                {"role": "assistant", "content": "a1"},
                                {"role": "user", "content": "q3"}]


def test_conversation_markdown_has_answers_and_their_quotes():
    answer = _answer()
    msgs = [ui.ChatMessage("user", answer.question),
            ui.ChatMessage("assistant", answer.answer, answer=answer),
            ui.ChatMessage("user", "Capital of France?"),
            ui.ChatMessage("assistant", "The reports don't cover this.", answer=Answer(
                "Capital of France?", "The reports don't cover this.", False,
                refusal_reason="no passage is relevant enough"))]
    md = ui.to_markdown(msgs, "scripted")
    assert "## Question\n\nWhat did Peskov say\\?" in md  # escaped as on the page
    assert "\\[2\\] Kremlin deflects\\, Kyiv Post \\(r\\.txt\\, characters 10\\-52\\)" in md
    assert "> Peskov cited “contradictory information”\\." in md
    assert "*(Not answered: no passage is relevant enough.)*" in md


# -- model choices ---------------------------------------------------------------------------
def test_model_choices_offer_embedded_models_and_say_what_to_set(tmp_path):
    choices = {c.spec: c for c in ui.model_choices(make_settings(tmp_path))}
    assert all(choices[f"local:{n}"].available for n in
               ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"))
    assert "OPENAI_API_KEY" in choices["openai:gpt-4o-mini"].hint
    assert "OPENAI_BASE_URL" in choices["openai-compatible:MODEL"].hint
    assert "RAG_LLM=ollama:MODEL" in choices["ollama:MODEL"].hint


def test_configured_providers_are_offered(tmp_path):
    settings = make_settings(tmp_path, openai_api_key="sk-test", llm="ollama:qwen2.5")
    choices = {c.spec: c for c in ui.model_choices(settings)}
    assert choices["openai:gpt-4o-mini"].available and choices["ollama:qwen2.5"].available
    settings = make_settings(tmp_path, llm="openai-compatible:llama3",
                             openai_base_url="http://127.0.0.1:8080/v1")
    assert {c.spec: c for c in ui.model_choices(settings)}["openai-compatible:llama3"].available


@pytest.mark.slow
def test_two_tabs_asking_the_embedded_model_at_once_both_get_answers(tmp_path, seed_store):
    """The app shares one engine between tabs; the model's lock answers them in turn."""
    engine = ui.make_engine("local:smollm2-135m", make_settings(tmp_path, max_tokens=32),
                            seed_store)
    results, errors = {}, []

    def ask(name: str, question: str) -> None:
        try:
            results[name] = engine.answer(question)
        except Exception as exc:  # any failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n, q)) for n, q in (
        ("a", "What did Peskov say about North Korean troops?"),
        ("b", "What is South Korea considering sending to Ukraine?"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and set(results) == {"a", "b"}
    assert all(isinstance(a, Answer) and a.answer for a in results.values())


def test_too_many_uploads_at_once_is_a_clear_error(tmp_path):
    from rag.ui.corpus import MAX_UPLOADS, index_uploads

    files = [(f"r{i}.txt", b"Seoul said 2,000 troops moved.") for i in range(MAX_UPLOADS + 1)]
    with pytest.raises(InputError, match="smaller batches"):
        index_uploads(None, make_settings(tmp_path), files)
    assert not (tmp_path / "uploads").exists()  # nothing was written
