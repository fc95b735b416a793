"""Questions scoped to chosen reports: retrieval, evidence, refusals and conflicts come from
those reports only. Real Chroma with the seed reports, the real embedding model."""

from __future__ import annotations

import pytest

from rag.errors import InputError
from rag.retrieve import check_sources, hybrid_search
from tests.conftest import cite

TROOPS = "How many North Korean troops has North Korea sent to Russia?"
KYIV_POST = "003_ca6e3800ea5608bd.txt"  # 1,500 special forces, up to 12,000 troops
NIS_3000 = "004_968b073979ff03d3.txt"  # 10,000 by December, 3,000 in transit


def test_scoped_search_returns_only_the_chosen_reports(seed_store):
    everything = hybrid_search(seed_store, TROOPS, k=6)
    assert len({p.source for p in everything.passages}) > 2

    scoped = hybrid_search(seed_store, TROOPS, k=6, sources=[KYIV_POST, NIS_3000])
    assert scoped.passages and {p.source for p in scoped.passages} <= {KYIV_POST, NIS_3000}
    assert {p.source for p in scoped.passages} == {KYIV_POST, NIS_3000}
    assert any(p.keyword for p in scoped.passages)  # the keyword side took part, scoped too
    one = hybrid_search(seed_store, TROOPS, k=50, sources=[KYIV_POST])
    n_chunks = seed_store.source_info(KYIV_POST).chunks
    assert {p.source for p in one.passages} == {KYIV_POST} and len(one.passages) == n_chunks


def test_evidence_and_conflicts_come_from_the_scope_only(engine_with):
    engine, _ = engine_with(cite("12,000", "Up to 12,000 troops"))  # the Kyiv Post's words
    whole = engine.answer(TROOPS)
    assert whole.conflicts
    claimed = {c.source for conflict in whole.conflicts for c in conflict.claims}
    assert len(claimed) > 1

    scoped = engine.answer(TROOPS, sources=[KYIV_POST])
    assert scoped.answerable
    assert {e.source for e in scoped.evidence} == {KYIV_POST}
    assert {c.source for c in scoped.citations} == {KYIV_POST}
    assert all(c.source == KYIV_POST for conflict in scoped.conflicts for c in conflict.claims)


def test_a_scope_without_the_answer_is_refused(engine_with):
    engine, _ = engine_with(cite("Peskov", "Peskov cited contradictory information"))
    assert engine.answer("What did Peskov say about the reports?").answerable
    peskov = {c.source for c in engine.answer("What did Peskov say about the reports?").citations}
    other = next(s.source for s in engine.sources() if s.source not in peskov)
    refused = engine.answer("What did Peskov say about the reports?", sources=[other])
    assert not refused.answerable and refused.citations == []


def test_an_unknown_report_in_the_scope_is_an_error_naming_it(engine_with, seed_store):
    engine, model = engine_with(["never asked [1]."])
    with pytest.raises(InputError, match="nope.txt") as err:
        engine.stream(TROOPS, sources=[KYIV_POST, "nope.txt"])
    assert KYIV_POST not in str(err.value) and "python -m rag sources" in str(err.value)
    assert model.calls == []
    with pytest.raises(InputError, match="list of report file names"):
        check_sources(seed_store, KYIV_POST)
    assert check_sources(seed_store, []) is None
    assert check_sources(seed_store, [KYIV_POST, KYIV_POST]) == [KYIV_POST]
