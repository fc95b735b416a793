"""Citation resolution (numbers -> verified quotes) and conflict detection."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.citations import attribute, cited_numbers, resolve, strip_invalid_markers
from rag.conflicts import describe, figures, find_conflicts, speaker
from rag.types import Evidence

ORIGINAL = "Seoul said 3,000 soldiers went. Kyiv said 12,000 troops went. Nobody agreed."


def _ev(n, text, source="a.txt", original=ORIGINAL):
    start = original.index(text)
    return Evidence(n, source, "Title " + source, None, text, start, start + len(text), 1.0)


EVIDENCE = [_ev(1, "Seoul said 3,000 soldiers went."), _ev(2, "Kyiv said 12,000 troops went.")]


def test_cited_numbers_handles_lists_ranges_and_repeats():
    assert cited_numbers("a [2][5]. b [1, 2]. c [3-4] d [7 and 8]") == [2, 5, 1, 3, 4, 7, 8]


def test_out_of_range_numbers_are_dropped_from_text_and_citations():
    text, cites = resolve("Seoul said 3,000 [1][9]. Also [42].", EVIDENCE, lambda s: ORIGINAL)
    assert text == "Seoul said 3,000 [1]. Also."
    assert [c.n for c in cites] == [1]
    c = cites[0]
    assert ORIGINAL[c.start:c.end] == c.quote == "Seoul said 3,000 soldiers went."


def test_a_quote_that_does_not_match_the_source_is_never_returned():
    changed = ORIGINAL.replace("3,000", "4,000")
    _, cites = resolve("Seoul said so [1]. Kyiv said so [2].", EVIDENCE, lambda s: changed)
    assert [c.n for c in cites] == [2]
    _, cites = resolve("Seoul said so [1].", EVIDENCE, lambda s: None)  # file gone
    assert cites == []


def test_uncited_sentence_that_restates_evidence_is_attributed():
    text, cites = resolve("Kyiv said 12,000 troops went.", EVIDENCE, lambda s: ORIGINAL)
    assert [c.n for c in cites] == [2]
    assert attribute("Something else entirely here.", EVIDENCE) is None


def test_strip_invalid_markers_keeps_valid_ones():
    assert strip_invalid_markers("x [1, 7] y [7].", {1}) == "x [1] y."


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.lists(st.integers(-3, 12), max_size=6))
def test_resolution_never_raises_and_only_returns_verified_quotes(text, numbers):
    answer = text + "".join(f"[{n}]" for n in numbers)
    clean, cites = resolve(answer, EVIDENCE, lambda s: ORIGINAL)
    assert set(cited_numbers(clean)) <= {1, 2}
    for c in cites:
        assert ORIGINAL[c.start:c.end] == c.quote


def test_figures_and_speakers():
    s = "According to the NIS, North Korea deployed four brigades, totaling about 12,000 soldiers."
    assert [(f.value, f.unit) for f in figures(s)] == [("four", "brigades"), ("12,000", "troops")]
    assert speaker(s, s.index("12,000")) == "NIS"
    t = "This comes after Ukrainian President Volodymyr Zelensky disclosed that 12,000 soldiers went."
    assert speaker(t, t.index("12,000")) == "Ukrainian President Volodymyr Zelensky"
    assert figures("six North Korean soldiers were killed") == []  # not a force size


def test_conflicts_need_two_values_from_two_reports_and_a_quantity_question():
    other = "Kyiv said 12,000 troops went."
    evidence = [EVIDENCE[0], _ev(2, other, "b.txt")]
    conflicts = find_conflicts("How many troops went?", "", evidence)
    assert len(conflicts) == 1
    claims = conflicts[0].claims
    assert [(c.value, c.source, c.attributed_to, c.n) for c in claims] == [
        ("3,000", "a.txt", "Seoul", 1), ("12,000", "b.txt", "Kyiv", 2)]
    assert describe(conflicts) == ("The reports give different figures for troops: "
                                   "3,000 (Seoul [1]), 12,000 (Kyiv [2]).")
    assert find_conflicts("Where did they go?", "To Kursk [1].", evidence) == []
    assert find_conflicts("How many troops?", "", EVIDENCE) == []  # one report only


def test_words_of_the_question_do_not_count_when_attributing_an_uncited_sentence():
    lawmaker = Evidence(n=1, source="a.txt", title="A", publisher=None, start=0, end=0, score=1,
                        text="Representative Park Sun-won said the NIS revealed 3,000 soldiers.")
    briefing = Evidence(n=2, source="b.txt", title="B", publisher=None, start=0, end=0, score=1,
                        text="The NIS told legislators in a closed-door briefing on Monday.")
    question = "Which lawmaker relayed what the NIS told legislators in its closed-door briefing?"
    answer = "Park Sun-won relayed what the NIS told legislators in its closed-door briefing."
    assert attribute(answer, [lawmaker, briefing], given=question) is lawmaker
    # counting the question's words, the restated question "matches" the wrong sentence
    assert attribute(answer, [lawmaker, briefing]) is briefing
    assert attribute("It relayed what the NIS told legislators.", [lawmaker, briefing],
                     given=question) is None  # nothing left but the question


def test_a_one_word_answer_is_attributed_when_one_evidence_sentence_holds_it():
    from rag.citations import attribute
    from rag.types import Evidence

    ev = [Evidence(1, "a", "t", None, "Yoon convened a meeting on Friday.", 0, 34, 1.0),
          Evidence(2, "b", "t", None, "Yoon met Rutte on Monday.", 0, 25, 1.0)]
    question = "On what day of the week did President Yoon call the meeting?"
    assert attribute("Friday", ev, given=question).n == 1
    assert attribute("Yoon", ev, given="Who called it?") is None  # in both: unclear
