"""The "comparable grouping" metric, and how the engine's grouping scores on the conflict items.

Measured without a model: each conflict item's evidence is the seeds' sentences that hold its
gold quotes (what perfect retrieval would show), its reference answer stands for the model's
answer, and the figures and stances found there are grouped by :mod:`rag.conflicts` and
:mod:`rag.stances` as the engine groups them.
"""

from dataclasses import asdict
from pathlib import Path

from rag.clean import clean
from rag.conflicts import find_conflicts
from rag.evaluation import metrics as m
from rag.evaluation.dataset import load_items
from rag.stances import find_stance_conflicts
from rag.types import Evidence

SEEDS = Path(__file__).parents[1] / "seeds"


def _claim(source, value, number, unit="troops"):
    return {"source": source, "value": value, "number": number, "unit": unit}


def test_grouping_scores_pairs_of_gold_claims_found_together_or_apart():
    gold = [{"label": "already there", "claims": [{"source": "a", "value": "1,500"},
                                                  {"source": "b", "value": "3,000"}]},
            {"label": "committed in total", "claims": [{"source": "a", "value": "12,000"}]}]
    apart = [{"kind": "figure", "claims": [_claim("a", "1,500", 1500), _claim("b", "3,000", 3000)]},
             {"kind": "figure", "claims": [_claim("a", "12,000", 12000)]}]
    assert m.comparable_grouping(apart, gold) == 1.0
    lumped = [{"kind": "figure", "claims": apart[0]["claims"] + apart[1]["claims"]}]
    assert m.comparable_grouping(lumped, gold) == 1 / 3  # only 1,500 with 3,000 is right
    split = [{"kind": "figure", "claims": [c]} for c in lumped[0]["claims"]]
    assert m.comparable_grouping(split, gold) == 2 / 3
    assert m.comparable_grouping(apart[1:], gold) is None  # one claim found: no pair
    assert m.comparable_grouping([], gold) is None


def test_stances_are_matched_by_phrase_and_grouped_by_stance():
    gold = [{"label": "not confirmed", "claims": [{"source": "a", "value": "could not yet confirm"}]},
            {"label": "confirmed", "claims": [{"source": "b", "value": "confirmed evidence"}]}]
    found = [{"kind": "stance", "claims": [
        {"source": "a", "value": "could not yet confirm", "unit": "not confirmed"},
        {"source": "b", "value": "confirmed", "unit": "confirmed"}]}]
    assert m.comparable_grouping(found, gold) == 1.0
    found[0]["claims"][1]["unit"] = "not confirmed"  # read as the same stance: wrong
    assert m.comparable_grouping(found, gold) == 0.0


def _sentences():
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        report = clean(path.name, path.read_text(encoding="utf-8"))
        out += [(path.name, report.title, s) for s in report.sentences]
    return out


def test_the_engine_groups_the_conflict_items_as_the_gold_does():
    sentences = _sentences()
    scores = {}
    for item in (i for i in load_items() if i.gold_groups):
        spans = [(g.source, g.start, g.end) for g in item.gold_evidence]
        ev = [Evidence(n, src, title, None, s.text, s.start, s.end, 1.0) for n, (src, title, s)
              in enumerate([x for x in sentences if any(
                  x[0] == src and x[2].start < end and start < x[2].end
                  for src, start, end in spans)], 1)]
        found = (find_conflicts(item.question, item.reference_answer, ev)
                 + find_stance_conflicts(item.question, ev))
        scores[item.id] = m.comparable_grouping([asdict(c) for c in found],
                                                [g.as_dict() for g in item.gold_groups])
    print("\ncomparable grouping per item:", {k: None if v is None else round(v, 3)
                                              for k, v in scores.items()})
    mean = m.mean(scores.values())
    print(f"comparable grouping, mean over {sum(v is not None for v in scores.values())} "
          f"scored items: {mean:.3f}")
    # Goal 0.9; measured 1.000 (9 items). conflict-03 was the miss (0.889) until brigades
    # became rivals whatever their status: the NIS's "four brigades, totaling 12,000"
    # (committed in total) and Zelensky's "12,000 soldiers in two brigades" (already sent)
    # both say how the whole force is made up.
    assert mean >= 0.9
    assert all(v == 1.0 for v in scores.values() if v is not None)
