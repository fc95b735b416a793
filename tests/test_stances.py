"""Disagreements in words: confirmed vs not confirmed vs denied, with who said each."""

import pytest

from rag.conflicts import describe
from rag.stances import find_stance_conflicts, is_stance_question, stances_in
from rag.types import Evidence


@pytest.mark.parametrize("text, expected", [
    ("Austin said he could not yet confirm the reports.", [("not confirmed", "could not yet confirm")]),
    ("It was \"not yet at a point where we're able to confirm\" them.",
     [("not confirmed", "not yet at a point where we're able to confirm")]),
    ("Pyongyang has neither confirmed nor denied the allegations.",
     [("neither confirmed nor denied", "neither confirmed nor denied")]),
    ("NATO officials stated that there is no concrete evidence of involvement.",
     [("not confirmed", "no concrete evidence")]),
    ("Kim Jong Gyu has dismissed these reports as \"rumors\".",
     [("denied", "dismissed"), ("denied", "rumors")]),
    ("Austin said there is evidence that troops are in Russia.", [("confirmed", "there is evidence")]),
    ("If confirmed, the deployment would be a first.", []),
    ("Troops arrived in Kursk on Monday.", []),
])
def test_stances_are_read_once_each(text, expected):
    assert [(s.stance, s.phrase) for s in stances_in(text)] == expected


def _ev(n, source, text):
    return Evidence(n=n, source=source, title=f"Report {source}", publisher=None, text=text,
                    start=0, end=len(text), score=1.0)


EVIDENCE = [
    _ev(1, "a.txt", "US Defense Secretary Lloyd Austin said he could not yet confirm the reports."),
    _ev(2, "b.txt", "NATO officials stated that there is no concrete evidence of involvement."),
    _ev(3, "c.txt", "Lloyd Austin confirmed that North Korean troops are in Russia."),
    _ev(4, "c.txt", "Troops were seen in Kursk."),
]


def test_different_stances_from_different_reports_are_listed_with_who_said_them():
    assert is_stance_question("Did Lloyd Austin confirm that the troops are in Russia?")
    (conflict,) = find_stance_conflicts("Did Lloyd Austin confirm that the troops are in Russia?",
                                        EVIDENCE)
    assert conflict.kind == "stance"
    got = [(c.unit, c.value, c.attributed_to, c.n) for c in conflict.claims]
    assert got == [("not confirmed", "could not yet confirm", "US Defense Secretary Lloyd Austin", 1),
                   ("not confirmed", "no concrete evidence", "NATO officials", 2),
                   ("confirmed", "confirmed", "Lloyd Austin", 3)]
    assert describe([conflict]) == (
        "The reports differ on this: could not yet confirm (US Defense Secretary Lloyd Austin "
        "[1]); no concrete evidence (NATO officials [2]); confirmed (Lloyd Austin [3]).")


def test_no_stance_conflict_for_other_questions_one_stance_or_one_report():
    assert find_stance_conflicts("Where did the troops arrive?", EVIDENCE) == []
    assert find_stance_conflicts("Did Austin confirm it?", EVIDENCE[:2]) == []  # one stance
    one_report = [_ev(1, "a.txt", EVIDENCE[0].text), _ev(2, "a.txt", EVIDENCE[2].text)]
    assert find_stance_conflicts("Did Austin confirm it?", one_report) == []


def test_the_engine_adds_who_confirmed_and_who_did_not_with_verified_quotes(tmp_path, seed_store):
    from rag.engine import build_engine
    from rag.llms.scripted import ScriptedChatModel
    from tests.conftest import cite, make_settings

    engine = build_engine(make_settings(tmp_path), store=seed_store, model_name="scripted",
                          llm=ScriptedChatModel(replies=[cite("confirmed evidence",
                                                              "Yes, Austin confirmed it")]))
    answer = engine.answer("Did US Defense Secretary Lloyd Austin confirm that North Korean "
                           "soldiers are in Russia?")
    assert answer.answerable
    (stance,) = [c for c in answer.conflicts if c.kind == "stance"]
    said = {(c.unit, c.value) for c in stance.claims}
    assert {("confirmed", "confirmed"), ("not confirmed", "could not yet confirm")} <= said
    austin = {c.unit for c in stance.claims if "Austin" in c.attributed_to}
    assert {"confirmed", "not confirmed"} <= austin  # Austin's own change of stance
    assert all(c.attributed_to != "not attributed" for c in stance.claims)
    assert any(n.startswith("The reports differ on this: could not yet confirm (U.S. Defense "
                            "Secretary Lloyd Austin") for n in answer.notes)
    cited = {c.n: c for c in answer.citations}
    for claim in stance.claims:  # every stance is backed by a shown, verified quote
        quote = cited[claim.n]
        assert claim.value in quote.quote
        assert engine.original_text(quote.source)[quote.start:quote.end] == quote.quote
