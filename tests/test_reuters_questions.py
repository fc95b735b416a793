"""The Reuters question set: its schema always, its gold offsets when the corpus is unpacked.

The articles are never in the repository. Unpack ``../shared/corpora/reuters21578.tar.gz``
into /tmp/reuters (or anywhere, and set ``REUTERS_DIR`` to its ``reuters21578`` folder) and
the offset checks run against the real files, read as the ingest reads them.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT
from rag.evaluation.dataset import check_gold, load_items
from rag.evaluation.metrics import has_form
from rag.text import read_text

QUESTIONS = PROJECT_ROOT / "eval" / "reuters_questions.jsonl"
SOURCE_NAME = re.compile(r"reuters-\d{5}\.txt")


def corpus_dir() -> Path | None:
    """The unpacked collection: $REUTERS_DIR, else /tmp/reuters/reuters21578; None if absent."""
    for candidate in (os.environ.get("REUTERS_DIR"), "/tmp/reuters/reuters21578"):
        if candidate and (Path(candidate) / "reuters-00001.txt").is_file():
            return Path(candidate)
    return None


needs_corpus = pytest.mark.skipif(corpus_dir() is None, reason="the Reuters collection is not "
                                  "unpacked (set REUTERS_DIR or unpack into /tmp/reuters)")


@pytest.fixture(scope="module")
def items():
    return load_items(QUESTIONS)


def test_every_line_parses_into_an_item_with_a_known_category(items):
    lines = [line for line in QUESTIONS.read_text(encoding="utf-8").split("\n") if line.strip()]
    assert len(items) == len(lines) >= 40
    counts = Counter(it.category for it in items)
    assert counts["fact"] >= 20 and counts["multi"] >= 3 and counts["conflict"] >= 2
    assert counts["unanswerable"] >= 4 and counts["false_premise"] >= 3


def test_sources_are_collection_file_names(items):
    for it in items:
        names = [ev.source for ev in it.gold_evidence] + [c.source for c in it.claims]
        assert all(SOURCE_NAME.fullmatch(n) for n in names), (it.id, names)


def test_answerable_items_have_key_facts_stated_in_their_gold_evidence(items):
    for it in items:
        if it.answerable:
            assert it.key_facts and it.gold_evidence, it.id
        joined = "\n".join(ev.quote for ev in it.gold_evidence)
        for fact in it.key_facts:
            assert has_form(joined, fact), f"{it.id}: key fact {fact} not in its evidence"


def test_multi_items_need_two_reports_and_conflicts_carry_claims(items):
    for it in items:
        if it.category == "multi":
            assert len({ev.source for ev in it.gold_evidence}) >= 2, it.id
        if it.category == "conflict":
            assert len({c.source for c in it.claims}) >= 2, it.id
            assert len({c.value for c in it.claims}) >= 2, it.id
        if it.category in ("unanswerable", "false_premise"):
            assert it.answerable is False, it.id
        if it.category == "unanswerable":
            assert not it.key_facts and not it.gold_evidence, it.id


def test_questions_are_distinct(items):
    questions = [it.question.casefold() for it in items]
    assert len(set(questions)) == len(questions)
    assert json.loads(QUESTIONS.read_text(encoding="utf-8").split("\n")[0])["id"] == items[0].id


@needs_corpus
def test_gold_quotes_are_the_files_text_at_their_offsets(items):
    root = corpus_dir()

    def text_of(source: str) -> str | None:
        path = root / source
        return read_text(path) if path.is_file() else None

    assert check_gold(items, text_of) == []


@needs_corpus
def test_conflict_claims_are_stated_in_their_reports(items):
    root = corpus_dir()
    for it in items:
        for claim in it.claims:
            text = read_text(root / claim.source)
            assert has_form(text, [claim.value, *claim.forms]), (it.id, claim.source,
                                                                  claim.value)
