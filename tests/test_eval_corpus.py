"""``python -m rag eval --corpus DIR``: the corpus indexed once into its own data dir, then scored.

Real files, real embeddings and a real Chroma in tmp_path; the chat model is scripted.
"""

from __future__ import annotations

import json

import pytest

from rag import cli
from rag.chunking import VERSION as CHUNKING_VERSION
from rag.evaluation import cli as eval_cli
from rag.evaluation.corpus import MARKER
from rag.llms.scripted import ScriptedChatModel
from tests.test_eval_run import copy_evidence

ARTICLES = {
    "wire-001.txt": ("ACME MINING SEES HIGHER COPPER OUTPUT\nMarch 02, 1987\n\n"
                     "DENVER, March 2 - Acme Mining Corp said its Blue Ridge mine in\n"
                     "Montana will produce 42,000 tonnes of copper this year.\n"
                     "    Chairman Walter Green said the expansion cost 18 mln dlrs.\n Reuter\n"),
    "wire-002.txt": ("NORDIC SHIPPING ORDERS TWO TANKERS\nMarch 03, 1987\n\n"
                     "OSLO, March 3 - Nordic Shipping A/S said it ordered two crude\n"
                     "oil tankers from a Korean yard for delivery in 1989.\n Reuter\n"),
    "wire-003.txt": ("DUTCH BAKERY CHAIN TO CLOSE PLANTS\nMarch 04, 1987\n\n"
                     "AMSTERDAM, March 4 - Bakker Brood NV will close three bread\n"
                     "plants in the north of the country, a spokesman said.\n Reuter\n"),
}


def _question_file(tmp_path, corpus):
    text = (corpus / "wire-001.txt").read_text(encoding="utf-8")
    quote = "Chairman Walter Green said the expansion cost 18 mln dlrs."
    start = text.index(quote)
    items = [
        {"id": "w-fact", "category": "fact",
         "question": "How much did Acme Mining's Blue Ridge mine expansion cost?",
         "answerable": True, "reference_answer": "18 mln dlrs.", "key_facts": [["18 mln"]],
         "gold_evidence": [{"source": "wire-001.txt", "quote": quote, "start": start,
                            "end": start + len(quote)}]},
        {"id": "w-unans", "category": "unanswerable",
         "question": "What is the capital of France?", "answerable": False,
         "reference_answer": "Not in the reports.", "key_facts": [], "gold_evidence": []},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(it) + "\n" for it in items), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setattr(eval_cli, "build_chat_model",
                        lambda spec, settings: ScriptedChatModel(replies=copy_evidence))


def _eval(tmp_path, questions, corpus, out):
    return cli.main(["eval", "--questions", str(questions), "--corpus", str(corpus),
                     "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / out),
                     "--no-progress"])


def test_the_corpus_is_indexed_once_into_its_own_dir_and_scored(tmp_path, corpus, scripted,
                                                                capsys, monkeypatch):
    questions = _question_file(tmp_path, corpus)
    assert _eval(tmp_path, questions, corpus, "first") == 0
    err = capsys.readouterr().err
    assert "built:" in err
    (index,) = (tmp_path / "data" / "eval-corpora").iterdir()
    assert index.name.startswith("wire-")
    marker = json.loads((index / MARKER).read_text())
    assert marker["files"] == 3 and marker["indexed"] == 3 and marker["chunks_embedded"] >= 3
    assert not (tmp_path / "data" / "chroma").exists()  # the user's own index is untouched
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "first" / "per_item.jsonl")
                                    .read_text().splitlines())}
    assert rows["w-fact"]["hit@1"] == 1.0 and rows["w-fact"]["citations"] > 0
    assert rows["w-fact"]["quote_exactness"] == 1.0  # quotes checked against the corpus files
    assert rows["w-unans"]["correct_refusal"] is True

    # the second run finds the complete index and never ingests
    def no_ingest(*args, **kwargs):
        raise AssertionError("the cached corpus was ingested again")

    monkeypatch.setattr("rag.ingest.ingest", no_ingest)
    assert _eval(tmp_path, questions, corpus, "second") == 0
    assert "(cached)" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "data" / "eval-corpora").iterdir()] == [index.name]
    second = json.loads((tmp_path / "second" / "summary.json").read_text())
    assert second["metrics"]["local:qwen2.5-coder-1.5b"]["hit@1"] == 1.0


def test_a_changed_corpus_gets_a_new_index(tmp_path, corpus, scripted, capsys):
    questions = _question_file(tmp_path, corpus)
    assert _eval(tmp_path, questions, corpus, "a") == 0
    (corpus / "wire-004.txt").write_text("ANOTHER STORY\nMarch 05, 1987\n\nLONDON, March 5 - "
                                         "A fourth report arrived.\n Reuter\n", encoding="utf-8")
    assert _eval(tmp_path, questions, corpus, "b") == 0
    assert "built:" in capsys.readouterr().err.split("Indexing 4 files")[1]
    assert len(list((tmp_path / "data" / "eval-corpora").iterdir())) == 2


def test_a_missing_corpus_folder_is_an_input_error(tmp_path, scripted, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "x", "category": "unanswerable", "question": "?",
                                     "answerable": False, "reference_answer": "no",
                                     "key_facts": [], "gold_evidence": []}) + "\n")
    assert _eval(tmp_path, questions, tmp_path / "nowhere", "out") == 2
    assert "no such folder" in capsys.readouterr().err


def test_docstring_examples_hold():
    import doctest

    from rag.evaluation import corpus

    result = doctest.testmod(corpus)
    assert result.failed == 0 and result.attempted > 0


def test_an_index_built_with_older_chunking_is_brought_up_to_date_in_place(
        tmp_path, corpus, scripted, capsys):
    """An index cut into chunks by an older splitter (its marker records an older chunking
    version, or none) is re-ingested where it is: changed chunks embedded, stale ones gone."""
    questions = _question_file(tmp_path, corpus)
    assert _eval(tmp_path, questions, corpus, "a") == 0
    (index,) = (tmp_path / "data" / "eval-corpora").iterdir()
    marker = json.loads((index / MARKER).read_text())
    assert marker["chunking"] == CHUNKING_VERSION
    del marker["chunking"]  # as written before the version was recorded
    (index / MARKER).write_text(json.dumps(marker))
    capsys.readouterr()
    assert _eval(tmp_path, questions, corpus, "b") == 0
    err = capsys.readouterr().err
    assert "the chunking changed since it was built" in err and "(cached)" not in err
    assert [p.name for p in (tmp_path / "data" / "eval-corpora").iterdir()] == [index.name]
    assert json.loads((index / MARKER).read_text())["chunking"] == CHUNKING_VERSION
