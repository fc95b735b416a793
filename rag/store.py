"""The chunk store: a Chroma collection (through langchain-chroma) and a keyword index over it.

Embedded by default (a persistent client in ``RAG_DATA_DIR/chroma``); a Chroma server
when ``CHROMA_HOST`` is set. Cosine space is set through the collection configuration;
the collection records the embedding model that built it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from rag import keywords
from rag.catalog import Catalog, CatalogEntry
from rag.config import Settings
from rag.errors import EmbeddingMismatchError, RagError, StoreError, StoreUnavailableError
from rag.text import read_text
from rag.types import Chunk

_CHUNK_KEYS = {"source", "title", "publisher", "start", "end", "index", "path", "file_sha256"}
_PAGE = 5000  # rows per get() call: bounded memory per request on big collections


@dataclass
class SourceInfo:
    """One indexed report, as the store knows it."""

    source: str
    title: str
    publisher: str | None
    chunks: int
    path: str
    file_sha256: str
    date: str | None = None  # the report's own date (ISO), where it states one
    date_source: str | None = None  # how it was found: "date line", "html meta", ...


def make_client(settings: Settings, fresh: bool = False) -> chromadb.ClientAPI:
    """An embedded persistent client, or an HTTP client when ``CHROMA_HOST`` is set.

    ``fresh``: a new embedded client that reads the database again. Chroma shares one
    system per folder within a process and keeps its vector index (HNSW) in memory, so
    without this, writes by another process stay invisible to vector search.
    """
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        url = f"http://{settings.chroma_host}:{settings.chroma_port}"
        try:
            client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                         settings=chroma_settings)
            client.heartbeat()
        except Exception as exc:  # chromadb raises several kinds; all mean "unreachable"
            raise StoreUnavailableError(
                f"Cannot reach the Chroma server at {url} ({type(exc).__name__}: {exc}). "
                f"Start it (chroma run --host 127.0.0.1 --port {settings.chroma_port} --path DIR) "
                f"or unset CHROMA_HOST to use the embedded store."
            ) from None
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    if fresh:  # forget this folder's shared system; other holders keep theirs until they reopen
        from chromadb.api.shared_system_client import SharedSystemClient as Shared

        with Shared._refcount_lock:
            Shared._identifier_to_system.pop(str(settings.chroma_dir), None)
            Shared._identifier_to_refcount.pop(str(settings.chroma_dir), None)
    try:
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb's InternalError for a malformed database file
        raise StoreError(damaged_message(settings.chroma_dir, exc)) from None


def damaged_message(folder: Path, exc: Exception) -> str:
    """What to do when the embedded index cannot be opened or written."""
    return (f"The index in {folder} cannot be used ({type(exc).__name__}: {exc}). If the disk "
            f"is full, free space and try again. If the database is damaged, run `python -m "
            f"rag repair`: it moves the damaged folder aside and re-indexes every report "
            f"listed in the catalog from its file.")


class ReportStore:
    """Chunks of every indexed report, searchable by vector and by keyword."""

    def __init__(self, client: chromadb.ClientAPI, embeddings: Embeddings, collection: str,
                 db_file: Path | None = None, catalog: Catalog | None = None,
                 reopen: Callable[[], chromadb.ClientAPI] | None = None,
                 keyword_file: Path | None = None) -> None:
        """``db_file``: the embedded store's database, whose change time tells that another
        process wrote (None for a server: then the collection's size is asked instead).
        ``catalog``: the report catalog (see ``rag.catalog``); ``reopen``: makes a fresh
        client, used when another process changed the index (see ``keyword_snapshot``);
        ``keyword_file``: where the keyword index is saved between runs (``rag.keywords``)."""
        self.client = client
        self.db_file = db_file
        self.catalog = catalog
        self._reopen_client = reopen
        self.keyword_file = keyword_file
        self.collection_name = collection
        self.embeddings = embeddings
        self.embedding_name = embeddings.name
        try:
            self.vectorstore = self._vectorstore(client)
        except Exception as exc:
            if db_file is None:
                raise
            raise StoreError(damaged_message(db_file.parent, exc)) from None
        built_with = (self.collection.metadata or {}).get("embedding_model")
        if built_with and built_with != self.embedding_name:
            raise EmbeddingMismatchError(mismatch_message(collection, built_with,
                                                          self.embedding_name))
        self._writes = 0
        self._lock = threading.Lock()
        self._snapshot: keywords.KeywordSnapshot | None = None
        self._sources_cache: tuple[Any, list[SourceInfo]] | None = None

    def _vectorstore(self, client: chromadb.ClientAPI) -> Chroma:
        return Chroma(
            client=client, collection_name=self.collection_name,
            embedding_function=self.embeddings,
            collection_configuration={"hnsw": {"space": "cosine"}},
            collection_metadata={"embedding_model": self.embedding_name},
        )

    @classmethod
    def open(cls, settings: Settings, embeddings: Embeddings) -> ReportStore:
        """The configured store; an embedded one keeps a catalog in ``RAG_DATA_DIR``."""
        saved = settings.data_dir / "keywords" / f"{settings.collection}.npz"
        if settings.chroma_host:
            return cls(make_client(settings), embeddings, settings.collection,
                       keyword_file=saved)
        catalog = Catalog(settings.data_dir / "catalog.sqlite3", settings.collection)
        return cls(make_client(settings), embeddings, settings.collection,
                   settings.chroma_dir / "chroma.sqlite3", catalog,
                   reopen=lambda: make_client(settings, fresh=True), keyword_file=saved)

    def reopen(self) -> None:
        """Read the database again (another process wrote): a fresh client and collection."""
        if self._reopen_client is not None:
            client = self._reopen_client()
            self.vectorstore, self.client = self._vectorstore(client), client

    @property
    def collection(self) -> chromadb.Collection:
        return self.vectorstore._collection

    def count(self) -> int:
        return self.collection.count()

    def is_empty(self) -> bool:
        """No chunk indexed. From the keyword snapshot once one is loaded (current, and free
        then); before that from Chroma's count (~5 ms at 100,000 chunks), so opening the app
        on 19,043 reports does not load the snapshot (~1 s) before the page is drawn: the
        engine's warm-up loads it in the background."""
        if self._snapshot is not None:
            return not self.keyword_snapshot().ids
        return self.count() == 0

    # -- writing -------------------------------------------------------------------------
    def ids_for_source(self, source: str) -> set[str]:
        with self._writing():  # read before a write: a deleted or damaged folder says so
            return set(self.collection.get(where={"source": source}, include=[])["ids"])

    @staticmethod
    def _metadatas(chunks: list[Chunk], extra: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"source": c.source, "title": c.title, "publisher": c.publisher or "",
                 "start": c.start, "end": c.end, "index": c.index, **extra} for c in chunks]

    def add_chunks_of(self, groups: list[tuple[list[Chunk], dict[str, Any]]],
                      vectors: list[list[float]] | None = None) -> None:
        """Embed the chunks of several files in one call (unless their ``vectors`` are given,
        in order) and upsert them in large pages; each group's ``extra`` metadata is added
        to its chunks."""
        chunks = [c for group, _ in groups for c in group]
        if not chunks:
            return
        metas = [m for group, extra in groups for m in self._metadatas(group, extra)]
        if vectors is None:
            vectors = self.embeddings.embed_documents([c.text for c in chunks])
        if len(vectors) != len(chunks):
            raise ValueError(f"{len(vectors)} vectors for {len(chunks)} chunks")
        with self._writing():
            page = min(_PAGE, self.client.get_max_batch_size())
            for i in range(0, len(chunks), page):
                self.collection.upsert(ids=[c.id for c in chunks[i:i + page]],
                                       embeddings=vectors[i:i + page],
                                       documents=[c.text for c in chunks[i:i + page]],
                                       metadatas=metas[i:i + page])
        self._touch()

    def refresh_metadata(self, chunks: list[Chunk], extra: dict[str, Any]) -> None:
        """Rewrite the metadata of stored chunks without embedding them again."""
        if chunks:
            with self._writing():
                self.collection.update(ids=[c.id for c in chunks],
                                       metadatas=self._metadatas(chunks, extra))
            self._touch()

    def delete_ids(self, ids: list[str] | set[str]) -> None:
        ids = list(ids)
        with self._writing():
            for i in range(0, len(ids), _PAGE):
                self.collection.delete(ids=ids[i:i + _PAGE])
        if ids:
            self._touch()

    def delete_source(self, source: str) -> int:
        """Remove a report: from the catalog first, so a reader never finds the catalog
        promising chunks that are already gone."""
        ids = self.ids_for_source(source)
        if self.catalog is not None:
            self.catalog.delete(source)
        self.delete_ids(ids)
        return len(ids)

    def record_reports(self, entries: list[CatalogEntry]) -> None:
        """Write reports to the catalog (ingest calls this after their chunks are in)."""
        if self.catalog is not None and entries:
            self.catalog.put(entries)

    def reset(self) -> None:
        """Drop every chunk (the collection is recreated with the current embedding model)."""
        if self.catalog is not None:
            self.catalog.clear()
        with self._writing():
            self.vectorstore.reset_collection()
        self._touch()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Chroma's raw errors on a write (full disk, deleted or damaged folder) as a
        StoreError that says what to do."""
        try:
            yield
        except RagError:
            raise
        except Exception as exc:
            folder = self.db_file.parent if self.db_file is not None else Path("the server")
            raise StoreError(damaged_message(folder, exc)) from None

    def _touch(self) -> None:
        with self._lock:  # the snapshot is brought up to date at the next search
            self._writes += 1

    # -- reading -------------------------------------------------------------------------
    def all_ids(self) -> list[str]:
        ids: list[str] = []
        for offset in range(0, self.count(), _PAGE):
            ids += self.collection.get(include=[], limit=_PAGE, offset=offset)["ids"]
        return ids

    def all_rows(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Every chunk's id, text and metadata (what is stored, for checks and tests)."""
        ids = self.all_ids()
        got = self.rows(ids)
        ids = [i for i in ids if i in got]
        return ids, [got[i][0] for i in ids], [got[i][1] for i in ids]

    def rows(self, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """{chunk id: (text, metadata)} of the given chunks that exist, in pages."""
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for i in range(0, len(ids), _PAGE):
            page = self.collection.get(ids=ids[i:i + _PAGE], include=["documents", "metadatas"])
            for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"],
                                       strict=True):
                if text is not None and meta:
                    out[cid] = (text, meta)
        return out

    def sources(self) -> list[SourceInfo]:
        """Indexed reports with their titles and chunk counts, sorted by source.

        Read from the catalog (one query); when there is none yet (an index built before
        the catalog existed, or a deleted catalog file), it is rebuilt from the chunks.
        """
        if self.catalog is not None:  # unchanged catalog file: the list made from it last time
            stamp = self.catalog.stamp()
            cached = self._sources_cache
            if cached is not None and cached[0] == stamp and stamp is not None:
                return list(cached[1])
        rows = self.catalog.listing() if self.catalog is not None else None
        if rows is not None:
            listed = [SourceInfo(*row) for row in rows]
            self._sources_cache = (stamp, listed)
            return list(listed)
        found, extras = self._scan_sources()
        if self.catalog is not None:
            self.catalog.replace_all([
                CatalogEntry(i.source, i.title, i.publisher, i.chunks, i.path, i.file_sha256,
                             extras[i.source]) for i in found])
        return found

    def missing_from_index(self) -> str | None:
        """A warning when the index holds fewer chunks than the catalog lists (the database
        was emptied, damaged or replaced), else None."""
        if self.catalog is None or not self.catalog.is_built():
            return None
        reports, chunks = self.catalog.totals()
        try:
            held = self.count()
        except Exception as exc:  # a database that opens but cannot be read
            return damaged_message(self.db_file.parent if self.db_file else Path("."), exc)
        if held >= chunks:
            return None
        return (f"The index holds {held} chunks, but the catalog ({self.catalog.path}) lists "
                f"{reports} reports with {chunks} chunks: the database was emptied or damaged. "
                f"Run `python -m rag repair` to re-index them from their files.")

    def _chunk_metas(self) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """Every chunk's (id, metadata), read in pages."""
        for offset in range(0, self.count(), _PAGE):
            page = self.collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            yield from zip(page["ids"], page["metadatas"], strict=True)

    def _scan_sources(self) -> tuple[list[SourceInfo], dict[str, dict[str, Any]]]:
        """Reports from every chunk's metadata (the slow way), with each one's extra keys."""
        found: dict[str, SourceInfo] = {}
        extras: dict[str, dict[str, Any]] = {}
        for _cid, meta in self._chunk_metas():
            if meta["source"] not in found:
                found[meta["source"]] = _info(meta, 0)
                extras[meta["source"]] = {k: v for k, v in meta.items() if k not in _CHUNK_KEYS}
            found[meta["source"]].chunks += 1
        return [found[k] for k in sorted(found)], extras

    def chunks_by_source(self) -> dict[str, tuple[set[str], SourceInfo]]:
        """Every report's stored chunk ids and what its chunks' metadata say (as
        ``chunk_info``), in one pass: what a large ingest compares with, instead of one
        query per file."""
        out: dict[str, tuple[set[str], SourceInfo]] = {}
        with self._writing():  # read before a write: a deleted or damaged folder says so
            for cid, meta in self._chunk_metas():
                if not meta:
                    continue
                ids, info = out.setdefault(meta["source"], (set(), _info(meta, 0)))
                ids.add(cid)
                info.chunks += 1
        return out

    def source_info(self, source: str) -> SourceInfo | None:
        """One report's record: from the catalog (one indexed row) when it lists the report,
        else from its chunks' metadata in Chroma."""
        return self.catalog_info(source) or self.chunk_info(source)

    def catalog_info(self, source: str) -> SourceInfo | None:
        """One report's record as the catalog lists it (None: not listed, or no catalog)."""
        listed = self.catalog.get(source) if self.catalog is not None else None
        if listed is None:
            return None
        return SourceInfo(listed.source, listed.title, listed.publisher, listed.chunks,
                          listed.path, listed.file_sha256, listed.extra.get("date") or None,
                          listed.extra.get("date_source") or None)

    def chunk_info(self, source: str) -> SourceInfo | None:
        """A report's record as its chunks' metadata in Chroma hold it (what passages
        carry; ingest compares a file with it)."""
        with self._writing():  # ingest asks before it writes: Chroma's raw errors mapped
            page = self.collection.get(where={"source": source}, include=["metadatas"])
        if not page["ids"]:
            return None
        return _info(page["metadatas"][0], len(page["ids"]))

    def original_text(self, source: str) -> str | None:
        """The current text of a report's file (for ``.html``, its visible text), or None if
        the file is gone or unreadable. Cached per file version (path and mtime)."""
        info = self.source_info(source)
        path = report_path(info) if info else None
        if path is None:
            return None
        try:
            text = _read_cached(str(path), path.stat().st_mtime_ns)
        except (RagError, OSError):
            return None
        if info.file_sha256 and _sha256(text) != info.file_sha256:
            return None  # not the file that was indexed (replaced, or now a symlink elsewhere)
        return text

    def stamp(self) -> tuple[Any, ...]:
        """Changes when another process may have written: the embedded database file's
        change time and size (a stat, ~10 us), or on a server the collection's size."""
        if self.db_file is not None:
            try:
                st = self.db_file.stat()
                return ("file", st.st_mtime_ns, st.st_size)
            except OSError:
                pass
        return ("count", self.count())

    def keyword_snapshot(self) -> keywords.KeywordSnapshot:
        """Every chunk with a BM25 index over them; brought up to date when the collection
        changed, by fetching only the chunks that differ (see ``rag.keywords``).

        Writes through this store mark the snapshot stale at once. Writes by another process
        change the stamp (see ``stamp``); the chunk ids are then fetched (cheap) and compared,
        since merely opening a client touches the file. When they differ, the vector side is
        reopened too (``reopen``): Chroma's in-memory vector index does not see another
        process's writes, so new reports would not be found by vector and removed ones would
        come back without their metadata. The first call of a process loads the snapshot
        saved by the last one (``keyword_file``) and checks it the same way.
        """
        stamp = self.stamp()
        snap = self._snapshot
        if snap is not None and snap.signature == (self._writes, stamp):
            return snap
        with self._lock:
            writes, snap = self._writes, self._snapshot
            if snap is not None and snap.signature == (writes, stamp):
                return snap
            other_process = snap is not None and snap.signature[0] == writes
            if snap is None and self.keyword_file is not None:
                snap = keywords.load(self.keyword_file)
            ids = self.all_ids()
            if snap is None or set(ids) != set(snap.ids):
                if other_process:
                    self.reopen()  # another process added or removed chunks
                snap = keywords.synced(snap, ids, self.rows)
                if self.keyword_file is not None:
                    keywords.save(snap, self.keyword_file)
            snap.signature = (writes, stamp)
            self._snapshot = snap
            return snap

    def dense_search(self, vector: list[float], k: int, count: int | None = None,
                     sources: list[str] | None = None) -> list[tuple[str, str, dict, float]]:
        """(id, text, metadata, cosine similarity) of the ``k`` nearest chunks.

        ``count``: the collection's size if the caller knows it (``count()`` costs ~5 ms at
        100,000 chunks; the keyword snapshot's size is current and free); ``sources``: only
        chunks of these reports (Chroma's ``where``), and ``count`` is then their size."""
        n = min(k, self.count() if count is None else count)
        if n == 0:
            return []
        where = {"source": {"$in": list(sources)}} if sources else None
        try:
            res = self.collection.query(query_embeddings=[vector], n_results=n, where=where,
                                        include=["documents", "metadatas", "distances"])
        except Exception as exc:
            raise StoreError(f"Vector search failed ({exc}); re-index with "
                             f"`python -m rag ingest --reset` if the store is damaged.") from exc
        rows = zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0],
                   strict=True)
        # A hit without metadata is a chunk deleted since the vector index was loaded.
        return [(i, d, m, 1.0 - float(dist)) for i, d, m, dist in rows
                if m is not None and d is not None]


def _info(meta: dict[str, Any], chunks: int) -> SourceInfo:
    source = meta["source"]
    return SourceInfo(source, meta.get("title", source), meta.get("publisher") or None,
                      chunks, meta.get("path", ""), meta.get("file_sha256", ""),
                      meta.get("date") or None, meta.get("date_source") or None)


def mismatch_message(collection: str, built_with: str, configured: str) -> str:
    """What to do when an index was built by another embedding model than the configured one.

    ``local:all-minilm-l6-v2`` is the name earlier versions recorded for the fp32 torch model;
    the fp32 spec gives the same vectors without torch, so such an index can also be kept.
    """
    if built_with == "local:all-minilm-l6-v2":
        return (f"The index '{collection}' was built with the fp32 MiniLM embeddings of earlier "
                f"versions; the default is now {configured}. Re-index once with "
                f"`python -m rag ingest --reset` (the report files are not touched), or keep it "
                f"with RAG_EMBEDDINGS=local:all-minilm-l6-v2-fp32 (the same vectors, slower "
                f"to add reports).")
    return (f"The index '{collection}' was built with {built_with}, but the configured "
            f"embedding model is {configured}. Set RAG_EMBEDDINGS to the spec of {built_with}, "
            f"or re-index with `python -m rag ingest --reset` (or use another RAG_COLLECTION).")


def report_path(info: SourceInfo) -> Path | None:
    """The original file of a report, if it is still on this machine at the indexed place
    (ingest stores the resolved path, so a path that now resolves elsewhere is refused)."""
    if not info.path:
        return None
    path = Path(info.path)
    try:
        if path.is_file() and path.resolve() == path:
            return path
    except (OSError, RuntimeError):
        pass
    return None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=64)
def _read_cached(path: str, mtime_ns: int) -> str:
    return read_text(Path(path))
