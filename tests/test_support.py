"""An answer's figures must come from its evidence; "this is stated in [n]" sentences go."""

import doctest
import re

import pytest

from rag import citations, support
from rag.engine import build_engine
from rag.llms.scripted import ScriptedChatModel
from tests.conftest import make_settings


@pytest.mark.parametrize("answer, evidence, missing", [
    ("North Korea sent 12,000 troops [1].", ["about 12000 troops"], []),
    ("It sent 4 brigades [2].", ["deployed four brigades"], []),
    ("About 1.5 million [1].", ["some 1.5 million shells"], []),
    ("It pays $3 million [1].", ["a $3 million fund"], []),
    ("About 3 million [1].", ["a $3 million fund"], []),  # the sign may be left out, not added
    ("It pays $10,000 each [5].", ["up to 10,000 soldiers by December"], ["$10,000"]),
    ("Some 4,000 soldiers [1] and 3,000 [2].", ["3,000 soldiers"], ["4,000"]),
    ("It ended in 1953 [3].", ["the Korean War, which ended in 1953."], []),
    ("As stated in [12], troops moved.", ["troops moved"], []),  # markers are not figures
])
def test_unsupported_figures(answer, evidence, missing):
    assert support.unsupported(answer, evidence) == missing


def test_docstring_examples_hold():
    for module in (support, citations):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


@pytest.mark.parametrize("text, expected", [
    ("Peskov denied it [3]. This information is stated in [3].", "Peskov denied it [3]."),
    ("X [1]. This is based on the information provided in reports [1] and [2].", "X [1][2]."),
    ("Said \"rumors.\" This claim is supported by evidence [1].", "Said \"rumors.\" [1]"),
    ("Kim left [1].\n\nSeoul agreed. This response is supported by evidence [2]. Kyiv too [3].",
     "Kim left [1].\n\nSeoul agreed [2]. Kyiv too [3]."),
    # claims that merely start with "This" stay
    ("Peskov denied it [3]. This comes after Zelensky stated that 12,000 were sent [2].", None),
    ("Peskov denied it [3]. This was stated by 3 officials [2].", None),
    ("This information is stated in [2].", None),  # nothing before it to carry the marker
])
def test_meta_sentences_give_their_markers_to_the_sentence_before(text, expected):
    assert citations.drop_meta_sentences(text) == (text if expected is None else expected)


@pytest.fixture
def engine_with(tmp_path, seed_store):
    def make(reply):
        return build_engine(make_settings(tmp_path), llm=ScriptedChatModel(replies=[reply]),
                            store=seed_store, model_name="scripted")
    return make


def _line(prompt: str, keyword: str) -> int:
    return next(int(m.group(1)) for m in re.finditer(r"^\[(\d+)\] (.*)$", prompt, re.M)
                if keyword in m.group(2))


def test_an_answer_with_a_figure_no_evidence_states_is_refused(engine_with):
    def reply(messages):
        n = _line(messages[-1].text, "troops")
        return f"Russia pays each North Korean soldier $2,000 a month [{n}]."

    answer = engine_with(reply).answer("How much is Russia paying each North Korean soldier?")
    assert not answer.answerable and answer.citations == []
    assert "$2,000" in answer.refusal_reason and "$2,000" not in answer.answer


def test_meta_sentences_are_dropped_and_their_citation_kept(engine_with):
    def reply(messages):
        n = _line(messages[-1].text, "Peskov")
        return f"Peskov cited contradictory information. This information is stated in [{n}]."

    answer = engine_with(reply).answer("What did Peskov say about the reports?")
    assert answer.answerable and "This information" not in answer.answer
    assert re.fullmatch(r"Peskov cited contradictory information \[\d\]\.", answer.answer)
    assert [c.n for c in answer.citations] == [int(answer.answer[-3])]
    assert "Peskov" in answer.citations[0].quote


def test_the_terminal_shows_what_replaced_a_withdrawn_answer(capsys):
    from rag.cli import _print_sources
    from rag.types import Answer

    refused = Answer(question="How much is Russia paying?", answer="The reports don't cover this.",
                     answerable=False,
                     refusal_reason="the answer gave $2,000, which no evidence sentence states")
    _print_sources(refused, "Russia pays $2,000 a month [1].\n")
    out, err = capsys.readouterr()
    assert out == "[withdrawn] The reports don't cover this.\n" and "$2,000" in err
    _print_sources(refused, "")  # refused before anything was shown (NOT IN REPORTS)
    assert capsys.readouterr().out == "The reports don't cover this.\n"
    _print_sources(refused, "The reports don't cover this.")  # already shown as it streamed
    assert capsys.readouterr().out == ""
