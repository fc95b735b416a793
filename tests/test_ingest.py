"""Ingest against a real Chroma in a temp dir with the real embedding model."""

import shutil

import pytest

from rag.embeddings import build_embeddings
from rag.errors import EmbeddingMismatchError, StoreError
from rag.ingest import ingest
from rag.store import ReportStore
from tests.conftest import SEEDS, make_settings


class CountingEmbeddings:
    """Wraps the real model and counts what it embeds (to prove unchanged files embed nothing)."""

    def __init__(self, inner):
        self.inner, self.name, self.embedded, self.calls = inner, inner.name, 0, 0

    def embed_documents(self, texts):
        self.embedded += len(texts)
        self.calls += 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)

    def encode(self, texts):
        return self.inner.encode(texts)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


def test_ingest_is_idempotent_and_handles_changes_and_removals(tmp_path, corpus, embeddings):
    counting = CountingEmbeddings(embeddings)
    store = ReportStore.open(make_settings(tmp_path / "data"), counting)
    first = ingest(store, [corpus])
    assert sorted(first.added) == sorted(p.name for p in SEEDS.iterdir())
    total, embedded = store.count(), counting.embedded
    assert total == embedded == first.chunks_embedded > 0
    assert counting.calls == 1  # five small files: one batch, not one model call per file

    again = ingest(store, [corpus])
    assert len(again.unchanged) == 5 and not again.added and again.chunks_embedded == 0
    assert counting.embedded == embedded and store.count() == total

    changed = corpus / "002_31c0e05864ee0baf.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "around 3,000 soldiers", "around 4,000 soldiers"), encoding="utf-8")
    (corpus / "001_edb18dec551e976d.txt").unlink()
    third = ingest(store, [corpus])
    assert third.updated == ["002_31c0e05864ee0baf.txt"] and third.removed == ["001_edb18dec551e976d.txt"]
    assert 0 < third.chunks_embedded < 5  # only the changed chunks were embedded
    texts = " ".join(store.all_rows()[1])
    assert "around 4,000 soldiers" in texts and "around 3,000 soldiers" not in texts
    assert {s.source for s in store.sources()} == {p.name for p in corpus.iterdir()}


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(tmp_path, embeddings):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SEEDS / "003_ca6e3800ea5608bd.txt", folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.md").write_bytes(b"\x00\x01\x02binary")
    (folder / "korean.txt").write_bytes("북한군이 러시아 쿠르스크 지역에 배치되었다.".encode("euc-kr"))
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    (folder / "page.html").write_text("<p>Seoul said 2,000 troops moved to the border.</p>")
    store = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    summary = ingest(store, [folder, tmp_path / "missing.txt"])
    reasons = {p.split("/")[-1]: r for p, r in summary.skipped}
    assert sorted(summary.added) == ["003_ca6e3800ea5608bd.txt", "page.html"]
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.md"]
    assert "UTF-8" in reasons["korean.txt"] and "unsupported" in reasons["notes.docx"]
    assert "not a readable PDF" in reasons["notes.pdf"]
    assert "no such file" in reasons["missing.txt"]


def test_embedding_model_mismatch_is_a_clear_error(tmp_path, embeddings):
    settings = make_settings(tmp_path)
    store = ReportStore.open(settings, embeddings)
    ingest(store, [SEEDS / "003_ca6e3800ea5608bd.txt"])

    class Other(CountingEmbeddings):
        pass

    other = Other(embeddings)
    other.name = "openai:text-embedding-3-small"
    with pytest.raises(EmbeddingMismatchError, match="ingest --reset"):
        ReportStore.open(settings, other)


def test_a_second_ingest_waits_for_the_lock_then_gives_a_clear_error(tmp_path, embeddings):
    from filelock import FileLock

    settings = make_settings(tmp_path)
    store = ReportStore.open(settings, embeddings)
    lock_path = settings.data_dir / "ingest.lock"
    with FileLock(str(lock_path)):
        with pytest.raises(StoreError, match="Another ingest"):
            ingest(store, [SEEDS], lock_path=lock_path, lock_timeout=0.2)


def test_openai_embeddings_need_a_key(tmp_path):
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_embeddings(make_settings(tmp_path, embeddings="openai:text-embedding-3-small"))


def test_big_ingests_are_embedded_in_batches_and_every_file_lands(tmp_path, embeddings,
                                                                  seed_store, monkeypatch):
    import rag.ingest

    monkeypatch.setattr(rag.ingest, "BATCH_CHUNKS", 8)
    counting = CountingEmbeddings(embeddings)
    store = ReportStore.open(make_settings(tmp_path / "data"), counting)
    summary = ingest(store, [SEEDS])
    assert len(summary.added) == 5 and store.count() == summary.chunks_embedded
    assert 1 < counting.calls < 5  # more than one batch, fewer than one per file
    # the same chunks as the seeds ingested in one batch (the session's seed_store)
    assert sorted(store.all_ids()) == sorted(seed_store.all_ids())


def test_a_large_ingest_reads_the_stored_ids_once_and_plans_the_same(tmp_path, embeddings,
                                                                     monkeypatch):
    """From PREFETCH_FILES files on, the stored chunk ids are read in one pass instead of one
    query per file; the outcome is the same: nothing re-embedded, a changed file updated,
    and a new file whose name an indexed report holds kept apart under its own id."""
    import rag.ingest

    folder = tmp_path / "reports"
    shutil.copytree(SEEDS, folder)
    store = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    first = ingest(store, [folder])
    monkeypatch.setattr(rag.ingest, "PREFETCH_FILES", 3)
    per_file = []
    monkeypatch.setattr(store, "ids_for_source", lambda source: per_file.append(source) or set())
    monkeypatch.setattr(store, "chunk_info", lambda source: per_file.append(source))
    path = sorted(folder.glob("*.txt"))[0]
    head, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(f"{head}\nA new opening paragraph was added to this report.\n{rest}",
                    encoding="utf-8")
    again = ingest(store, [folder])
    assert per_file == []  # one pass, no query per file
    assert again.updated == [path.name] and len(again.unchanged) == 4, again.lines()
    assert 0 < again.chunks_embedded < first.chunks_embedded
    info = store.source_info(path.name)  # from the catalog, current
    assert info.file_sha256 and info.chunks == len(store.chunks_by_source()[path.name][0])
    other = tmp_path / "elsewhere"
    other.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:  # same names as indexed reports, new text
        (other / seed.name).write_text(seed.read_text(encoding="utf-8").replace(
            "North Korea", "The North"), encoding="utf-8")
    third = ingest(store, [other])
    assert per_file == [] and len(third.added) == 3, third.lines()
    assert all(s.startswith(p.stem + "-") for s, p in zip(sorted(third.added),
                                                           sorted(other.glob("*.txt")), strict=True))
    assert store.source_info(path.name).path == str(path.resolve())  # the first one kept


def test_a_write_that_fails_in_the_worker_stops_the_ingest_with_its_error(tmp_path, embeddings,
                                                                         monkeypatch):
    """Batches are embedded and written in a worker thread while the next is planned; its
    error reaches the caller, and the lock is released."""
    import rag.ingest

    monkeypatch.setattr(rag.ingest, "BATCH_CHUNKS", 8)
    store = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    writes = []

    def failing(groups, vectors=None):
        writes.append(len(groups))
        raise StoreError("the disk is full; free some space and run ingest again")

    monkeypatch.setattr(store, "add_chunks_of", failing)
    lock = tmp_path / "ingest.lock"
    with pytest.raises(StoreError, match="disk is full"):
        ingest(store, [SEEDS], lock_path=lock)
    assert writes == [writes[0]]  # the first failed write stopped the run
    ingest_again = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    assert len(ingest(ingest_again, [SEEDS], lock_path=lock, lock_timeout=5).added) == 5


def test_an_embedding_that_fails_stops_the_ingest_and_keeps_what_was_written(
        tmp_path, embeddings, monkeypatch):
    """Batches are embedded by one worker and written by another; an embedding error reaches
    the caller, the batches before it stay indexed whole, and a second run completes."""
    import rag.ingest

    monkeypatch.setattr(rag.ingest, "BATCH_CHUNKS", 8)
    counting = CountingEmbeddings(embeddings)
    real, calls = counting.embed_documents, []

    def failing_second(texts):
        calls.append(len(texts))
        if len(calls) == 2:
            raise StoreError("the embedding server went away; run ingest again")
        return real(texts)

    store = ReportStore.open(make_settings(tmp_path / "data"), counting)
    monkeypatch.setattr(counting, "embed_documents", failing_second, raising=False)
    with pytest.raises(StoreError, match="went away"):
        ingest(store, [SEEDS])
    written = store.count()
    assert 0 < written == calls[0]  # the first batch is in, whole; nothing of the second
    listed = {info.source: info.chunks for info in store.sources()}
    assert sum(listed.values()) == written  # the catalog lists only what is written
    again = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    summary = ingest(again, [SEEDS])
    assert len(summary.added) + len(summary.unchanged) == 5 and again.count() > written


def test_unchanged_files_are_planned_in_bounded_batches(tmp_path, embeddings, monkeypatch):
    """Unchanged files add no chunk to a batch, so a batch is also closed at BATCH_FILES files:
    a re-ingest of many unchanged files never holds them all in one batch (that was quadratic)."""
    import rag.ingest

    store = ReportStore.open(make_settings(tmp_path / "data"), embeddings)
    ingest(store, [SEEDS])
    monkeypatch.setattr(rag.ingest, "BATCH_FILES", 2)
    sizes = []
    real = rag.ingest.apply_plans
    monkeypatch.setattr(rag.ingest, "apply_plans",
                        lambda s, plans, vectors=None: sizes.append(len(plans)) or
                        real(s, plans, vectors))
    again = ingest(store, [SEEDS])
    assert len(again.unchanged) == 5 and again.chunks_embedded == 0
    assert sizes == [2, 2, 1]
