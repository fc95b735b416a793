"""The evaluation metrics and the question-set loader, against hand-computed expectations."""

from __future__ import annotations

import json
from types import SimpleNamespace as NS

import pytest

from rag.errors import InputError
from rag.evaluation import metrics as m
from rag.evaluation.dataset import DEFAULT_QUESTIONS, check_gold, load_items, select
from rag.evaluation.judge import parse_rating
from rag.types import Citation

NUM_12000 = ["12,000", "12000", "twelve thousand"]


def cite(n, source, start, end, quote="q"):
    return Citation(n=n, source=source, title="t", publisher=None, quote=quote, start=start,
                    end=end)


# -- normalisation and key facts ---------------------------------------------------------
@pytest.mark.parametrize("text, forms, expected", [
    ("About 12,000 troops.", ["12000"], True),            # thousands separator dropped
    ("About 12000 troops.", ["12,000"], True),
    ("About 12 000 troops.", ["12,000"], True),
    ("About 112,000 troops.", ["12,000"], False),         # not inside a longer number
    ("About 12,0001 troops.", ["12,000"], False),
    ("Six died [6].", ["6"], False),                      # a citation marker is not a number
    ("Six died [6].", ["six", "6"], True),
    ("It said so: “rumors”.", ['"rumors"'], True),         # curly quotes = straight quotes
    ("Monitor North Korean tactics", ["tactic"], True),   # a prefix of a word matches
    ("They furnish aid", ["NIS"], False),                 # ... but not the middle of one
    ("KURSK region", ["Kursk"], True),
])
def test_has_form(text, forms, expected):
    assert m.has_form(text, forms) is expected


def test_key_fact_recall_partial_and_all_hit():
    facts = [NUM_12000, ["10,000", "ten thousand"], ["Kursk"], ["brigade"]]
    answer = "The NIS said 12000 troops [1]; Zelensky said ten thousand [2]."
    assert m.key_fact_recall(answer, facts) == 0.5           # 2 of 4
    assert m.all_facts_hit(answer, facts) is False
    assert m.all_facts_hit(answer, facts[:2]) is True
    assert m.key_fact_recall("The reports don't cover this.", facts) == 0.0   # a refusal
    assert m.key_fact_recall("anything", []) is None and m.all_facts_hit("x", []) is None


# -- retrieval ---------------------------------------------------------------------------
def test_retrieval_at_k_hand_computed():
    gold = [m.Loc("b", 100, 150), m.Loc("c", 10, 20)]
    ranked = [m.Loc("a", 0, 500),        # rank 1: other report
              m.Loc("b", 0, 120),        # rank 2: overlaps gold 1 but does not contain it
              m.Loc("b", 90, 400),       # rank 3: contains gold 1
              m.Loc("x", 0, 9), m.Loc("y", 0, 9),
              m.Loc("c", 0, 30)]         # rank 6: contains gold 2
    got = m.retrieval_at_k(ranked, gold)
    assert got == {"hit@1": 0.0, "hit@3": 1.0, "hit@5": 1.0, "hit@10": 1.0,
                   "recall@1": 0.0, "recall@3": 0.5, "recall@5": 0.5, "recall@10": 1.0,
                   "mrr": pytest.approx(1 / 3)}
    assert m.retrieval_at_k([], gold)["mrr"] == 0.0
    assert m.retrieval_at_k(ranked, []) is None


# -- quotes, coverage, evidence ----------------------------------------------------------
def test_quote_exactness_is_byte_for_byte_in_every_text():
    text = "Mr. Kim said “no”. Then he left."
    good = cite(1, "r", 0, 18, "Mr. Kim said “no”.")
    straight = cite(2, "r", 0, 18, 'Mr. Kim said "no".')  # straight quotes: not the source
    shifted = cite(3, "r", 1, 19, "Mr. Kim said “no”.")
    assert m.quote_is_exact(good, {"r": text}) is True
    assert m.quote_is_exact(straight, {"r": text}) is False
    assert m.quote_is_exact(shifted, {"r": text}) is False
    assert m.quote_is_exact(good, {"r": text}, {"r": text.upper()}) is False  # both must agree
    assert m.quote_is_exact(good, {"other": text}) is False
    assert m.quote_exactness([good, straight, shifted, good], {"r": text}) == 0.5
    assert m.quote_exactness([], {"r": text}) is None                       # zero citations


def test_citation_coverage_counts_sentences_with_a_verified_marker():
    answer = ("Peskov cited contradictory information [1]. He said it should worry no one. "
              "Seoul disagreed. [2][3]")  # notes ("[Cut at ...]") are Answer.notes, not text
    # 3 sentences; the 1st and 3rd carry markers, but [3] did not verify and [2] is absent
    assert m.citation_coverage(answer, {1, 3}) == pytest.approx(2 / 3)
    assert m.citation_coverage(answer, {1}) == pytest.approx(1 / 3)
    assert m.citation_coverage(answer, set()) == 0.0                          # zero citations
    assert m.citation_coverage("", {1}) is None


def test_evidence_precision_recall():
    gold = [m.Loc("a", 100, 200), m.Loc("b", 0, 50), m.Loc("c", 0, 10)]
    cites = [cite(1, "a", 150, 250), cite(2, "a", 200, 300), cite(3, "b", 40, 60)]
    # citation 2 only touches gold 1 at its end offset (no shared character)
    assert m.evidence_precision_recall(cites, gold) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert m.evidence_precision_recall([], gold) == (None, 0.0)               # zero citations
    assert m.evidence_precision_recall(cites, []) == (None, None)             # nothing to find


# -- conflicts ---------------------------------------------------------------------------
CLAIMS = [NS(source="s0", value="12,000", forms=NUM_12000),
          NS(source="s1", value="12,000", forms=NUM_12000),
          NS(source="s2", value="10,000", forms=["10,000", "ten thousand"]),
          NS(source="s4", value="10,000", forms=["10,000"])]


@pytest.mark.parametrize("answer, expected", [
    # both values, each with a citation to a report that states it
    ("The NIS said 12,000 [1], while another report says 10,000 by December [3].", 1.0),
    # 10,000 is cited, but to a report that gives 12,000
    ("The NIS said 12000 [1]; another report says ten thousand [2].", 0.5),
    # markers after two values belong to both
    ("Reports give 12,000 and 10,000 troops [2][4].", 1.0),
    # a value without any citation does not count
    ("Some say 12,000 troops, others 10,000 [3].", 0.5),
    # the engine's conflict note: each value with its own numbers
    ("Troops: 10,000 (NIS [4]), 12,000 (South Korean intelligence [1]; NIS [2]).", 1.0),
    ("The reports don't cover this.", 0.0),                                   # a refusal
])
def test_conflict_attribution(answer, expected):
    citations = [cite(1, "s0", 0, 1), cite(2, "s1", 0, 1), cite(3, "s2", 0, 1), cite(4, "s4", 0, 1)]
    assert m.conflict_attribution(answer, citations, CLAIMS) == expected


def test_conflict_attribution_prefers_the_longer_claim_form():
    claims = [NS(source="a", value="neither confirmed nor denied", forms=[]),
              NS(source="b", value="denied", forms=["denied"])]
    citations = [cite(1, "a", 0, 1), cite(2, "b", 0, 1)]
    # "denied" inside "neither confirmed nor denied" is not a separate mention of "denied"
    assert m.conflict_attribution("Pyongyang neither confirmed nor denied [2].", citations,
                                  claims) == 0.0
    assert m.conflict_attribution("It neither confirmed nor denied [1]; later it denied [2].",
                                  citations, claims) == 1.0
    assert m.conflict_attribution("anything", citations, []) is None


# -- refusals, timing, aggregation -------------------------------------------------------
def test_refusal_outcomes_come_from_the_answerable_field():
    assert m.refusal_outcome(expected_answerable=False, refused=True) == (True, None)
    assert m.refusal_outcome(expected_answerable=False, refused=False) == (False, None)
    assert m.refusal_outcome(expected_answerable=True, refused=True) == (None, True)
    assert m.refusal_outcome(expected_answerable=True, refused=False) == (None, False)


def test_timing_helpers():
    assert m.tokens_per_second(11, 2.0, 4.0) == 5.0
    assert m.tokens_per_second(0, None, None) is None
    assert m.percentile([3000, 1000, 2000, None], 50) == 2000
    assert m.percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert m.mean([True, False, None, 1.0]) == pytest.approx(2 / 3)


def test_judge_ratings_are_scaled_and_unparseable_replies_are_none():
    assert parse_rating("5") == 1.0 and parse_rating("Score: 3/5") == 0.5
    assert parse_rating("1") == 0.0 and parse_rating("10") is None and parse_rating("") is None


# -- the question set --------------------------------------------------------------------
def test_the_question_set_loads_into_typed_items():
    items = load_items()
    assert len(items) >= 60 and len({it.id for it in items}) == len(items)
    by_id = {it.id: it for it in items}
    assert by_id["fp-02"].answerable is False and by_id["fp-02"].key_facts   # a correction
    assert by_id["followup-01"].history_messages()[0]["role"] == "user"
    assert {c.source for c in by_id["conflict-01"].claims} >= {"000_024fd79d73a92d59.txt"}


def test_gold_quotes_are_checked_against_report_texts():
    from rag.config import PROJECT_ROOT
    from rag.text import read_text

    items = load_items()
    assert check_gold(items, lambda s: read_text(PROJECT_ROOT / "seeds" / s)) == []
    problems = check_gold(items[:1], lambda s: "x" + read_text(PROJECT_ROOT / "seeds" / s))
    first = items[0].gold_evidence[0]
    assert problems == [f"{items[0].id}: the quote is not "
                        f"{first.source}[{first.start}:{first.end}]"]


def test_bad_question_files_name_the_line_and_field(tmp_path):
    good = json.loads(DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "x", "answerable": "yes"}))
    with pytest.raises(InputError, match=r"q.jsonl:2 \(x\): field 'answerable' must be bool"):
        load_items(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good))
    with pytest.raises(InputError, match="duplicate id"):
        load_items(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="q.jsonl:1: not valid JSON"):
        load_items(path)


def test_select_subsets_in_file_order():
    items = load_items()
    assert [it.id for it in select(items, ids=["fact-02", "fact-01"])] == ["fact-01", "fact-02"]
    assert {it.category for it in select(items, categories=["conflict"])} == {"conflict"}
    assert len(select(items, categories=["fact"], limit=3)) == 3
    with pytest.raises(InputError, match="Unknown item id"):
        select(items, ids=["nope"])
    with pytest.raises(InputError, match="Unknown category"):
        select(items, categories=["facts"])


def test_docstring_examples_hold():
    import doctest

    from rag.evaluation import judge

    for module in (m, judge):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_citation_support_against_gold_reads_each_sentence():
    from types import SimpleNamespace as NS

    cites = [NS(n=1, source="a", start=0, end=10), NS(n=2, source="a", start=50, end=60)]
    gold = [m.Loc("a", 5, 9)]
    answer = "Kim left [1].\n\nSeoul agreed [1][2]. Kyiv too [7]. No marker here."
    assert m.citation_support_gold(answer, cites, gold) == pytest.approx(1 / 4)
    assert m.citation_support_gold(answer, cites, []) is None          # no gold: the check's
    assert m.citation_support_gold("", cites, gold) is None            # nothing to read
    assert m.citation_support_gold("Kim left [2].", cites, gold) == 0.0


def test_citation_support_by_the_check_uses_the_cited_sentence_only():
    from rag.types import Evidence

    text = ("Both Russia and North Korea have denied allegations of arms transfers.",
            "The Kremlin has specifically rejected assertions from South Korea.")
    ev = [Evidence(i + 1, "a", "A", None, t, 0, len(t), 1.0) for i, t in enumerate(text)]
    assert m.citation_support_check("Russia and North Korea denied arms transfers [1].", ev) == 1.0
    # the right words, the wrong sentence; then an inverted claim; then no marker
    assert m.citation_support_check("Russia and North Korea denied arms transfers [2].", ev) == 0.0
    assert m.citation_support_check("Russia and North Korea confirmed arms transfers [1].",
                                    ev) == 0.0
    assert m.citation_support_check("Russia and North Korea denied arms transfers.", ev) == 0.0
    assert m.citation_support_check("", ev) is None
