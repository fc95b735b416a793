"""Hybrid retrieval on the seeds, with a real store and the real embedding model."""

from collections import Counter

import pytest

from rag.bm25 import BM25Index, tokenize
from rag.retrieve import HybridRetriever, hybrid_search, spread
from rag.types import Passage


def _rank_of(passages, needle):
    return next(i for i, p in enumerate(passages, start=1) if needle in p.text)


def test_bm25_normalises_numbers_and_ranks_exact_terms_first():
    assert tokenize("12,000 troops and 12000") == ["12000", "troops", "12000"]
    index = BM25Index(["Kim Jong Gyu dismissed rumors", "troops moved", "Kim said nothing"])
    assert [i for i, _ in index.top("Who is Kim Jong Gyu?", 3)][:2] == [0, 2]
    assert index.top("nothing matches zebra", 3)[0][0] == 2


def test_hybrid_ranks_the_kim_jong_gyu_passage_first_where_dense_alone_does_not(seed_store):
    question = "Who is Kim Jong Gyu?"
    dense = seed_store.dense_search(seed_store.embeddings.embed_query(question), 100)
    dense_rank = next(i for i, (_id, text, _m, _s) in enumerate(dense, 1) if "Kim Jong Gyu" in text)
    hybrid = hybrid_search(seed_store, question, k=6)
    assert _rank_of(hybrid.passages, "Kim Jong Gyu") == 1
    assert dense_rank > 1  # measured here: dense alone does not put it first


def test_results_are_spread_across_reports(seed_store):
    """The evidence pool (8 passages) holds every report's version of the disputed count."""
    result = hybrid_search(seed_store, "How many North Korean troops are in Russia?", k=8)
    assert len({p.source for p in result.passages}) == 5
    assert max(Counter(p.source for p in result.passages).values()) == 2
    assert result.best_dense > 0.47


def test_off_topic_question_has_low_relevance(seed_store):
    assert hybrid_search(seed_store, "What is the capital of France?", k=6).best_dense < 0.2


def test_spread_discounts_reports_already_picked():
    def p(source, score):
        return Passage("id" + source + str(score), source, "", None, "", 0, 0, score)
    # a report's second chunk is free (the answer is often next to the best chunk); from
    # its third on, each is discounted, so another report's version gets in
    ranked = [p("a", 1.0), p("a", 0.9), p("a", 0.8), p("a", 0.7), p("b", 0.6)]
    assert [x.source for x in spread(ranked, 4, 0.5)] == ["a", "a", "b", "a"]


def test_langchain_retriever_interface(seed_store):
    retriever = HybridRetriever(store=seed_store, k=3)
    docs = retriever.invoke("What did Peskov say?")
    assert len(docs) == 3 and "Peskov" in docs[0].page_content
    assert {"source", "start", "end", "score"} <= set(docs[0].metadata)


def test_keyword_index_follows_other_processes_without_rebuilding_per_query(
        tmp_path, embeddings, monkeypatch):
    """Queries reuse the keyword index; a process that only opens the store (which touches
    its database file) costs no chunk fetch; one that indexes a new report is seen by keyword
    search at the next query, and only that report's chunks are fetched and tokenized
    (embedded Chroma's vector index stays as this process loaded it: docs/servers.md says to
    use a server for several writers)."""
    import subprocess
    import sys

    from rag.config import PROJECT_ROOT
    from rag.ingest import ingest
    from rag.store import ReportStore
    from tests.conftest import SEEDS, make_settings

    data = tmp_path / "data"
    store = ReportStore.open(make_settings(data), embeddings)
    ingest(store, [sorted(SEEDS.glob("*.txt"))[0]])
    fetched: list[str] = []
    rows = store.rows

    def counting_rows(ids):
        got = rows(ids)
        fetched.extend(cid for cid in ids if cid in got)
        return got

    monkeypatch.setattr(store, "rows", counting_rows)
    hybrid_search(store, "How many troops?", k=3)
    first = len(fetched)
    assert first == store.count()  # built once: every chunk's text read
    for _ in range(3):
        hybrid_search(store, "How many troops?", k=3)
    assert len(fetched) == first

    def other_process(*args):
        done = subprocess.run([sys.executable, "-m", "rag", *args, "--data-dir", str(data)],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr

    other_process("sources")
    hybrid_search(store, "How many troops?", k=3)
    assert len(fetched) == first  # the ids were checked, no chunk fetched again

    extra = tmp_path / "zanzibar.txt"
    extra.write_text("The Zanzibar Zebra Brigade paraded in the harbour on Tuesday. "
                     "Its commander said the parade was routine.", encoding="utf-8")
    other_process("ingest", str(extra))
    del fetched[:]
    result = hybrid_search(store, "Zanzibar Zebra Brigade", k=3)
    found = [p for p in result.passages if p.source == "zanzibar.txt"]
    assert found and found[0].keyword > 0 and "Zebra Brigade paraded" in found[0].text
    assert fetched and set(fetched) == {p.chunk_id for p in found}  # only the new report's


def test_the_keyword_index_is_saved_and_a_new_process_loads_it_instead_of_rebuilding(
        tmp_path, embeddings, monkeypatch):
    """What makes opening a large collection fast: the next store over the same folder reads
    the saved index (no chunk fetched for it) and ranks exactly as the first; a damaged file
    is rebuilt from the collection; an index brought up to date step by step (a report
    added, one removed) equals one built from scratch."""
    import rag.keywords
    from rag.ingest import ingest
    from rag.store import ReportStore
    from tests.conftest import SEEDS, make_settings

    settings = make_settings(tmp_path / "data")
    first = ReportStore.open(settings, embeddings)
    seeds = sorted(SEEDS.glob("*.txt"))
    ingest(first, seeds[:3])
    question = "How many North Korean troops are in Russia?"
    before = [(p.chunk_id, p.keyword) for p in hybrid_search(first, question, k=6).passages]
    assert first.keyword_file.is_file()

    second = ReportStore.open(settings, embeddings)
    monkeypatch.setattr(second, "rows", lambda ids: pytest.fail(f"fetched {len(ids)} rows"))
    second.keyword_snapshot()
    monkeypatch.undo()
    assert [(p.chunk_id, p.keyword) for p in hybrid_search(second, question, k=6).passages] \
        == before

    ingest(first, seeds[3:])  # added ...
    first.delete_source(seeds[0].name)  # ... and removed, step by step
    stepwise = first.keyword_snapshot()
    scratch = rag.keywords.synced(None, first.all_ids(), first.rows)
    assert stepwise.ids == scratch.ids and stepwise.sources() == scratch.sources()
    for q in (question, "What did Peskov say?", "Kim Jong Gyu"):
        assert stepwise.index.top(q, 10) == scratch.index.top(q, 10)
    assert seeds[0].name not in stepwise.sources()

    first.keyword_file.write_bytes(b"not an index")
    third = ReportStore.open(settings, embeddings)
    assert third.keyword_snapshot().ids == scratch.ids
    assert rag.keywords.load(first.keyword_file) is not None  # rebuilt and saved again


def test_keyword_only_hits_are_read_from_chroma_only_when_picked(seed_store, monkeypatch):
    """The keyword snapshot holds no texts: a hit only BM25 found is read by id when the
    spread picks it (or its score ties within its report), never a row dense search gave.
    One that vanished meanwhile is left out, and the spread fills its place."""
    question = "Who is Kim Jong Gyu?"
    snapshot = seed_store.keyword_snapshot()
    dense = {row[0] for row in seed_store.dense_search(  # as hybrid_search asks for k=3
        seed_store.embeddings.embed_query(question), 20)}
    keyword_only = {snapshot.ids[pos] for pos, _ in snapshot.index.top(question, 20)} - dense
    fetched: list[str] = []
    rows = seed_store.rows

    def counting(ids):
        fetched.extend(ids)
        return rows(ids)

    monkeypatch.setattr(seed_store, "rows", counting)
    result = hybrid_search(seed_store, question, k=3)
    assert _rank_of(result.passages, "Kim Jong Gyu") == 1
    picked_keyword_only = {p.chunk_id for p in result.passages} & keyword_only
    assert picked_keyword_only <= set(fetched) <= keyword_only  # never a row dense gave

    result = hybrid_search(seed_store, question, k=3, fetch_k=3)  # few dense hits: BM25 adds
    vanished = next(p.chunk_id for p in result.passages if p.dense is None)
    monkeypatch.setattr(seed_store, "rows", lambda ids: {
        c: r for c, r in rows(ids).items() if c != vanished})
    again = hybrid_search(seed_store, question, k=3, fetch_k=3)
    assert len(again.passages) == 3 and vanished not in {p.chunk_id for p in again.passages}


def test_a_saved_keyword_index_keeps_report_names_with_any_character(tmp_path):
    """Report names are file names: a line break in one must not shift the others."""
    from rag import keywords

    rows = {"a1": ("North Korea sent troops", {"source": "odd\nname.txt"}),
            "b2": ("Zebra troops paraded", {"source": "b.txt"})}
    snap = keywords.synced(None, ["b2", "a1"], lambda ids: {i: rows[i] for i in ids})
    keywords.save(snap, tmp_path / "k.npz")
    back = keywords.load(tmp_path / "k.npz")
    assert back.sources() == {"odd\nname.txt", "b.txt"}
    assert [back.ids[p] for p in back.positions_of(["odd\nname.txt"])] == ["a1"]
    assert back.index.top("zebra", 1)[0][0] == back.ids.index("b2")
