"""Qualifier extraction against the hand-written gold (tests/gold/figures_gold.jsonl).

Prints the exactness per field and overall, per corpus; the figure list of each gold
sentence must be found, and 0.9 of all fields exact.
"""

import json
from pathlib import Path

import pytest

from rag.qualifiers import MEASURES, normalise_speaker, overlapping, qualify, timeframe_key

GOLD = Path(__file__).parent / "gold" / "figures_gold.jsonl"
FIELDS = ("value", "unit", "status", "timeframe", "place", "speaker")


def _rows():
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


def exactness(rows) -> dict[str, float]:
    """Per field, the share of gold figures whose extracted field equals the gold one (a gold
    figure not extracted at all counts as wrong on every field); "overall": all fields right."""
    hits = dict.fromkeys(FIELDS, 0) | {"overall": 0}
    total = 0
    for row in rows:
        units = MEASURES if row["corpus"] == "reuters" else None
        got = qualify(" ".join(row["sentence"].split()), units)
        for gold in row["figures"]:
            total += 1
            match = next((q for q in got if _norm(q.value) == _norm(gold["value"])
                          and q.unit == gold["unit"]), None)
            if match is None:
                continue
            fields = {"value": match.value, "unit": match.unit, "status": match.status,
                      "timeframe": match.timeframe, "place": match.place,
                      "speaker": match.speaker_normalised}
            ok = {k: _norm(fields[k]) == _norm(gold[k]) for k in FIELDS}
            for k in FIELDS:
                hits[k] += ok[k]
            hits["overall"] += all(ok.values())
    return {k: v / total for k, v in hits.items()} | {"figures": total}


@pytest.mark.parametrize("corpus", ["seeds", "reuters"])
def test_qualifier_extraction_is_exact_on_the_hand_written_gold(corpus):
    rows = [r for r in _rows() if r["corpus"] == corpus]
    scores = exactness(rows)
    print(f"\n{corpus}: " + ", ".join(f"{k} {v:.3f}" if k != "figures" else f"{k} {v}"
                                     for k, v in scores.items()))
    assert scores["overall"] >= 0.9, scores


def test_the_gold_quotes_are_the_reports_own_text():
    from rag.text import read_text
    root = Path(__file__).parents[1]
    for row in _rows():
        folder = root / "seeds" if row["corpus"] == "seeds" else Path("/tmp/reuters/reuters21578")
        if not (folder / row["source"]).exists():
            pytest.skip("the Reuters collection is not unpacked here")
        text = read_text(folder / row["source"])
        assert text[row["start"]:row["end"]] == row["sentence"]


def test_one_source_under_its_many_names():
    names = ["NIS", "the NIS", "South Korea's National Intelligence Service",
             "South Korea’s intelligence agency", "Seoul's spy agency", "South Korean intelligence"]
    assert {normalise_speaker(n) for n in names} == {"NIS"}
    assert normalise_speaker("Ukrainian President Volodymyr Zelenskyy") == "Zelensky"
    assert normalise_speaker("the exchange") == "exchange"


def test_time_frames_overlap_when_they_name_the_same_period_or_one_is_missing():
    assert timeframe_key("by December") == timeframe_key("by year’s end")
    assert overlapping("by December", "") and overlapping("in 1986", "In 1986")
    assert not overlapping("in 1986", "in 1987")
