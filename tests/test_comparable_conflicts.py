"""Disagreement only between comparable claims: same unit, same status, overlapping time frame.

The headline question "How many North Korean troops are in Russia?" over the seeds' own
sentences: 1,500 and 3,000 are counts already there (a disagreement), 10,000 is expected by
December and 12,000 committed in total (related facts, not rivals).
"""

from dataclasses import dataclass, fields, replace

from rag.conflicts import asked_status, describe, find_conflicts
from rag.stances import find_stance_conflicts
from rag.types import Answer, Evidence

SENTENCES = [
    ("a.txt", "This development follows claims by South Korea’s intelligence agency that North "
              "Korea has committed to sending 12,000 special forces troops to support Russia, "
              "with 1,500 soldiers already stationed in the Russian Far East."),
    ("b.txt", "South Korea’s National Intelligence Service (NIS) reported on Wednesday that North "
              "Korea is preparing to send 10,000 soldiers to Russia by December."),
    ("b.txt", "Park Sun-won said the NIS revealed that 3,000 North Korean soldiers have already "
              "been transported to Russia."),
    ("c.txt", "South Korean intelligence had earlier reported that North Korea has already sent "
              "approximately 1,500 special forces soldiers to Russia."),
    ("d.txt", "As new intelligence suggests North Korea has already deployed around 3,000 "
              "soldiers, with up to 10,000 expected by year’s end."),
]


def _evidence():
    return [Evidence(n, src, f"Report {src}", None, text, 0, len(text), 1.0)
            for n, (src, text) in enumerate(SENTENCES, 1)]


def test_figures_are_grouped_by_what_they_count_and_the_asked_group_leads():
    conflicts = find_conflicts("How many North Korean troops are in Russia?", "", _evidence())
    groups = [(c.label, sorted({x.value for x in c.claims})) for c in conflicts]
    assert groups[0] == ("already there", ["1,500", "3,000"])
    assert ("expected by December", ["10,000"]) in groups or \
           ("expected by year’s end", ["10,000"]) in groups
    assert ("committed in total", ["12,000"]) in groups
    assert all(c.claims[0].speaker_normalised == "NIS" for c in conflicts[:1])
    text = describe(conflicts)
    first, related = text.split("\n")
    assert first == ("The reports give different figures for troops already there: "
                     "1,500 (NIS [1]; NIS [4]), 3,000 (NIS [3]; intelligence [5]).")
    assert related.startswith("Related figures, which count other things: ")
    assert "12,000 troops committed in total (NIS [1])" in related
    assert "10,000 troops expected" in related and "[2]" in related and "[5]" in related


def test_the_question_decides_which_group_answers_it():
    assert asked_status("How many troops are in Russia?") == "already there"
    assert asked_status("How many soldiers in total is North Korea sending?") == \
        "committed in total"
    assert asked_status("How many troops will North Korea send by December?") == "expected"
    total = find_conflicts("How many soldiers in total is North Korea sending to Russia?", "",
                           _evidence())
    assert total[0].label == "committed in total"


def test_claims_carry_their_qualifiers_into_the_json_contract():
    conflicts = find_conflicts("How many North Korean troops are in Russia?", "", _evidence())
    data = Answer("q", "a", True, conflicts=conflicts).to_json()
    claim = data["conflicts"][0]["claims"][0]
    assert {"value", "number", "unit", "attributed_to", "source", "title", "n"} <= set(claim)
    assert claim["status"] == "already there" and claim["speaker_normalised"] == "NIS"
    assert claim["date"] is None and data["conflicts"][0]["label"] == "already there"


if "date" in {f.name for f in fields(Evidence)}:
    DatedEvidence = Evidence  # Evidence knows its report's date
else:
    @dataclass
    class DatedEvidence(Evidence):
        """Evidence that knows its report date (as the dates work adds to Evidence)."""

        date: str | None = None


def test_dated_claims_are_ordered_oldest_first_and_stances_read_as_a_change_over_time():
    ev = [DatedEvidence(**{**vars(e), "date": d}) for e, d in zip(_evidence(), [
        "2024-10-18", "2024-10-23", "2024-10-23", "2024-10-21", "2024-10-21"], strict=True)]
    (there, *_) = find_conflicts("How many North Korean troops are in Russia?", "", ev)
    assert [c.date for c in there.claims] == sorted(c.date for c in there.claims)
    assert "1,500 (NIS, 2024-10-18 [1]; NIS, 2024-10-21 [4]), 3,000" in describe([there])

    austin = [DatedEvidence(1, "later.txt", "Later", None, "Lloyd Austin confirmed that North "
                            "Korean troops are in Russia.", 0, 1, 1.0, date="2024-10-23"),
              DatedEvidence(2, "early.txt", "Early", None, "Lloyd Austin said he could not yet "
                            "confirm the reports.", 0, 1, 1.0, date="2024-10-19")]
    (stance,) = find_stance_conflicts("Did Austin confirm it?", austin)
    assert [c.unit for c in stance.claims] == ["not confirmed", "confirmed"]
    assert describe([stance]) == (
        "The reports differ on this: could not yet confirm (Lloyd Austin, 2024-10-19 [2]); "
        "then confirmed (Lloyd Austin, 2024-10-23 [1]) (oldest first: a change over time).")
    undated = [replace(e, date=None) for e in austin]
    assert describe(find_stance_conflicts("Did Austin confirm it?", undated)).startswith(
        "The reports differ on this: could not yet confirm")


def test_the_headline_question_leads_with_the_counts_already_in_russia(tmp_path, seed_store):
    """The engine over the five seeds (scripted model): the note leads with the counts already
    there, and lists the other figures as related facts; the --json claims carry qualifiers."""
    from rag.engine import build_engine
    from rag.llms.scripted import ScriptedChatModel
    from tests.conftest import cite, make_settings

    engine = build_engine(make_settings(tmp_path), store=seed_store, model_name="scripted",
                          llm=ScriptedChatModel(replies=[cite("1,500", "About 1,500 troops")]))
    answer = engine.answer("How many North Korean troops are in Russia?")
    assert answer.conflicts, answer.evidence
    first = answer.conflicts[0]
    assert first.label == "already there"
    assert {c.status for c in first.claims} == {"already there"}
    assert {"1,500", "3,000"} <= {c.value for c in first.claims}
    note = next(n for n in answer.notes if "different figures" in n)
    assert note.startswith("The reports give different figures for troops already there: 1,500")
    other = {c.label for c in answer.conflicts[1:]}
    assert other and "already there" not in other
    claims = answer.to_json()["conflicts"][0]["claims"]
    assert all(c["speaker_normalised"] for c in claims)
    cited = {c.n for c in answer.citations}
    assert all(c.n in cited for conflict in answer.conflicts for c in conflict.claims)


def test_brigade_counts_are_rivals_whatever_their_status():
    """NIS: four brigades totaling 12,000 (committed); Zelensky: 12,000 already dispatched
    in two brigades. Both say how the whole force is made up: one disagreement, labelled so."""
    from rag.conflicts import find_conflicts
    from rag.types import Evidence

    texts = ["According to the NIS, North Korea is believed to have deployed four brigades, "
             "totaling approximately 12,000 soldiers, which includes special forces.",
             "Ukrainian President Volodymyr Zelensky disclosed that North Korea had already "
             "dispatched a total of 12,000 soldiers in two brigades."]
    ev = [Evidence(n, f"{n}.txt", f"R{n}", None, t, 0, len(t), 1.0)
          for n, t in enumerate(texts, 1)]
    brigades = [c for c in find_conflicts("How many brigades of North Korean troops are "
                                          "involved?", "", ev) if c.unit == "brigades"]
    assert len(brigades) == 1 and brigades[0].label == "of the whole force"
    assert sorted(c.value for c in brigades[0].claims) == ["four", "two"]
    assert {c.status for c in brigades[0].claims} == {"committed in total", "already there"}


def test_the_headline_answer_leads_with_the_counts_already_there(engine_with):
    """"How many North Korean troops are in Russia?" answered by a model that leads with
    Zelensky's "an additional 10,000 troops preparing": the figures that answer as asked
    (already there: 1,500 and 3,000, each attributed) come before the text, in the app's
    order and in ``ask --json``; the related figures follow, labelled for what they count."""
    from rag.conversations import answer_from_json
    from tests.conftest import cite

    engine, _ = engine_with(cite("additional 10,000"))
    answer = engine.answer("How many North Korean troops are in Russia?")
    assert answer.answerable, answer.refusal_reason
    assert answer.lead == 1
    text = answer.to_json()["answer"]
    lead = answer.notes[0]
    assert text.startswith(lead) and text.index(lead) < text.index("additional 10,000")
    assert lead.startswith("The reports give different figures for troops already there: 1,500")
    assert "3,000 (NIS" in lead.split("\n")[0] and "Related figures" in lead
    again = answer_from_json(answer.to_json())  # a saved conversation keeps the order
    assert again.answer == answer.answer and again.lead == 1
    assert again.text_with_notes == answer.text_with_notes
