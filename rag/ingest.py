"""Indexing report files: idempotent, file by file, one bad file never stops the rest.

For each file: read, clean, chunk; compare the chunk ids (deterministic from source and
content) with those stored for that source; embed only the missing ones; delete stale ones.
New chunks of consecutive files are embedded and written in batches (``BATCH_CHUNKS``):
one model call and one write for many small files instead of one each.
Re-running on unchanged files therefore embeds nothing, and a run killed part-way is
completed by the next one. Files that vanished from a scanned folder are removed.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from rag.catalog import entry
from rag.chunking import chunk_report
from rag.clean import clean
from rag.dates import report_date
from rag.errors import IngestError, StoreError
from rag.formats import read_document
from rag.store import ReportStore, SourceInfo
from rag.text import SUPPORTED_SUFFIXES
from rag.types import Chunk

MAX_FILE_BYTES = 20 * 1024 * 1024  # 20 MiB, as the README says
BATCH_CHUNKS = 256  # new chunks of several files embedded and written together
BATCH_FILES = 1000  # ... and at most this many files per batch (unchanged ones fill none)
# From this many files on, the stored chunk ids are read in one pass, not one query per file
# (19,043 unchanged Reuters files: one query each took most of a 346 s re-ingest).
PREFETCH_FILES = 200

Progress = Callable[[int, int, str], None]  # (done, total, current file)


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    chunks_embedded: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"added {len(self.added)}, updated {len(self.updated)}, "
               f"unchanged {len(self.unchanged)}, removed {len(self.removed)}, "
               f"skipped {len(self.skipped)}; {self.chunks_embedded} chunks embedded "
               f"in {self.seconds:.1f}s"]
        out += [f"  skipped {path}: {reason}" for path, reason in self.skipped]
        return out


def outside_folder(path: Path, folder: Path) -> str | None:
    """Why ``path`` may not be read as part of ``folder`` (a symlink that resolves outside
    it, such as ``x.txt -> /etc/passwd``), or None when it stays inside."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a broken or looping symlink"
    if not target.is_relative_to(folder.resolve()):
        return f"a symlink to {target}, outside {folder.resolve()}; copy the file in instead"
    return None


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]], list[Path]]:
    """Files to index under ``paths``, files refused (with why), and the folders scanned.

    A file must stay inside the folder being ingested (for a file named directly: its own
    folder), so a symlink to ``/etc/passwd`` is refused, never indexed and quoted.
    """
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    folders: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            folders.append(path.resolve())
            for f in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
                if f.name.startswith("."):
                    continue
                why = outside_folder(f, path)
                if why:
                    skipped.append((str(f), why))
                elif f.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(f)
                else:
                    skipped.append((str(f), f"unsupported type {f.suffix or '(none)'}; "
                                             f"use {', '.join(SUPPORTED_SUFFIXES)}"))
        elif path.is_file() and outside_folder(path, path.parent):
            skipped.append((str(path), outside_folder(path, path.parent)))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                skipped.append((str(path), f"unsupported type {path.suffix or '(none)'}; "
                                           f"use {', '.join(SUPPORTED_SUFFIXES)}"))
        else:
            skipped.append((str(path), "no such file or folder"))
    return files, skipped, folders


@dataclass
class FilePlan:
    """What indexing one file changes: chunks to embed, chunks kept, stale ids to delete."""

    path: Path
    source: str
    chunks: list[Chunk]
    meta: dict[str, str]
    missing: list[Chunk]
    kept: list[Chunk]
    stale: set[str]
    moved: bool = False  # same text, new location or hash: only metadata to rewrite

    @property
    def status(self) -> str:
        if not self.missing and not self.stale:
            return "unchanged"
        return "updated" if self.kept or self.stale else "added"


def report_id(store: ReportStore, path: Path, claimed: dict[str, str] | None = None,
              known: dict[str, str] | None = None,
              stored: dict[str, tuple[set[str], SourceInfo]] | None = None) -> str:
    """The report id (``source``) of the file at ``path``: its name, unless another file
    already holds that name, then the name with a short suffix from the file's path.

    ``dirA/report.txt`` indexed first is ``report.txt``; ``dirB/report.txt`` then becomes
    ``report-1a2b3c.txt`` instead of replacing A's report. A name whose indexed file is gone
    (the file was moved) is taken over. Ids already in an index keep meaning the same file.
    ``claimed``: ids given earlier in this run, id -> resolved path; ``known``: ids to keep,
    resolved path -> id (``repair`` re-indexes files under the ids the catalog lists);
    ``stored``: every report's chunks as ``chunks_by_source`` read them, for a large ingest
    (a name neither the catalog nor that map holds is free, with no query to Chroma: one
    query per new file took ~9 ms each at 56,000 chunks, on the core the encoder needs).
    """
    resolved = str(path.resolve())
    if known and known.get(resolved):
        return known[resolved]
    stem, dot, suffix = path.name.rpartition(".")
    candidates = [path.name] + [f"{stem}-{digest}{dot}{suffix}" for digest in
                                (hashlib.sha256(resolved.encode()).hexdigest()[:n]
                                 for n in (6, 12, 64))]
    for source in candidates:
        if claimed is not None and source in claimed:
            if claimed[source] == resolved:
                return source
            continue
        info = (store.source_info(source) if stored is None else
                store.catalog_info(source) or stored.get(source, (None, None))[1])
        if info is None or info.path == resolved or not info.path or not Path(info.path).exists():
            return source
    return candidates[-1]


def plan_file(store: ReportStore, path: Path, source: str | None = None,
              stored: dict[str, tuple[set[str], SourceInfo]] | None = None) -> FilePlan:
    """Read, clean and chunk one file, and compare its chunk ids with the stored ones.

    ``source``: the report id (default: the file name; see ``report_id``). ``stored``: every
    report's chunk ids and chunk metadata, read once for a large ingest (else queried for
    this file).
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    if size > MAX_FILE_BYTES:
        raise IngestError(str(path), f"too large ({size / 2**20:.1f} MiB; the limit is "
                                     f"{MAX_FILE_BYTES / 2**20:.0f} MiB)")
    doc = read_document(path)
    text = doc.text
    report = clean(source or path.name, text, title=doc.title, publisher=doc.publisher)
    chunks = chunk_report(report)
    if not chunks:
        raise IngestError(str(path), "no report text left after removing page furniture")
    dated = report_date(text, doc.date, doc.date_how)
    meta = {"path": str(path.resolve()),
            "file_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "date": dated.date if dated else "", "date_source": dated.how if dated else "",
            "encoding": doc.encoding}
    held = stored.get(report.source) if stored is not None else None  # (ids, chunk info)
    if stored is None:
        existing = store.ids_for_source(report.source)
    else:
        existing = held[0] if held else set()
    wanted = {c.id for c in chunks}
    plan = FilePlan(path, report.source, chunks, meta,
                    missing=[c for c in chunks if c.id not in existing],
                    kept=[c for c in chunks if c.id in existing], stale=existing - wanted)
    if plan.status == "unchanged":
        info = held[1] if held else store.chunk_info(report.source)  # what passages carry
        plan.moved = bool(info) and (info.path, info.file_sha256, info.date or "",
                                     info.date_source or "") != (
            meta["path"], meta["file_sha256"], meta["date"], meta["date_source"])
    return plan


def apply_plans(store: ReportStore, plans: list[FilePlan],
                vectors: list[list[float]] | None = None) -> None:
    """Embed the new chunks of several files in one batch (unless their ``vectors`` are
    given), then, file by file, give kept chunks the new version's metadata and delete stale
    ones (new text is in before old text goes, so a reader never finds a report missing)."""
    store.add_chunks_of([(p.missing, p.meta) for p in plans if p.missing], vectors)
    for plan in plans:
        if plan.status != "unchanged" or plan.moved:
            store.refresh_metadata(plan.kept if plan.status != "unchanged" else plan.chunks,
                                   plan.meta)
        store.delete_ids(plan.stale)
    store.record_reports([entry(p.source, p.chunks[0].title, p.chunks[0].publisher,
                                len(p.chunks), p.meta) for p in plans])


def index_file(store: ReportStore, path: Path) -> tuple[str, int]:
    """Index one file; returns (status, chunks embedded) with status added/updated/unchanged."""
    plan = plan_file(store, path)
    apply_plans(store, [plan])
    return plan.status, len(plan.missing)


class _Pipeline:
    """Batches in three stages, each in its own thread: planned here (read, clean, chunk),
    embedded by one worker, written to the index by another, in order. While batch k is
    written, k+1 is embedded and k+2 planned: writing to Chroma (~1 ms a chunk at 56,000
    chunks) no longer waits for the encoder, nor the encoder for it. At most two batches
    are in flight; the summary counts each once it is written (``settle``), and a failed
    embedding's or write's error is raised there; nothing after it is written. ``close``
    waits for what is under way, so the index stays whole even when the run stops on an
    error."""

    DEPTH = 2

    def __init__(self, store: ReportStore, summary: IngestSummary) -> None:
        self.store, self.summary = store, summary
        self.embedder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-embed")
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-write")
        self.in_flight: deque[tuple[Future, list[FilePlan]]] = deque()
        self.failed = False  # set by the writer thread only

    def _settle_one(self) -> None:
        future, plans = self.in_flight.popleft()
        future.result()  # re-raises the worker's error here
        for plan in plans:
            getattr(self.summary, plan.status).append(plan.source)
            self.summary.chunks_embedded += len(plan.missing)

    def settle(self) -> None:
        while self.in_flight:
            self._settle_one()

    def submit(self, plans: list[FilePlan]) -> None:
        while len(self.in_flight) >= self.DEPTH:
            self._settle_one()
        texts = [c.text for p in plans for c in p.missing]
        vectors = (self.embedder.submit(self.store.embeddings.embed_documents, texts)
                   if texts else None)

        def write() -> None:
            if self.failed:  # a batch before this one failed: the run stops there
                return
            try:
                apply_plans(self.store, plans, vectors.result() if vectors else None)
            except BaseException:
                self.failed = True
                raise

        self.in_flight.append((self.writer.submit(write), plans))

    def close(self) -> None:
        self.embedder.shutdown(wait=True)
        self.writer.shutdown(wait=True)


def _remove_vanished(store: ReportStore, claimed: dict[str, str], folders: list[Path],
                     summary: IngestSummary) -> None:
    """Reports whose file was under a scanned folder and is gone now."""
    for info in store.sources():
        stored = Path(info.path) if info.path else None
        if (stored and info.source not in claimed and not stored.exists()
                and any(stored.is_relative_to(folder) for folder in folders)):
            store.delete_source(info.source)
            summary.removed.append(info.source)


def ingest(store: ReportStore, paths: Iterable[Path], lock_path: Path | None = None,
           progress: Progress | None = None, lock_timeout: float = 120.0,
           known_ids: dict[str, str] | None = None) -> IngestSummary:
    """Index every supported file under ``paths``; see the module docstring.

    ``known_ids``: report ids to keep for some files (resolved path -> id; see ``report_id``).
    """
    started = time.perf_counter()
    files, skipped, folders = discover(paths)
    summary = IngestSummary(skipped=skipped)
    lock = FileLock(str(lock_path)) if lock_path else None
    try:
        if lock:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise StoreError(f"Another ingest has held {lock_path} for {lock_timeout:.0f}s; "
                         f"wait for it to finish and run ingest again.") from None
    pipeline = _Pipeline(store, summary)  # planned here, embedded and written by workers
    try:
        claimed: dict[str, str] = {}  # report id -> resolved path, for this run
        stored_ids: dict[str, tuple[set[str], SourceInfo]] | None = None  # for many files
        done_paths: set[str] = set()
        batch: list[FilePlan] = []
        new_chunks = 0  # in ``batch``

        def flush() -> None:
            nonlocal new_chunks
            pipeline.submit(list(batch))
            batch.clear()
            new_chunks = 0

        for done, path in enumerate(files):
            if progress:
                progress(done, len(files), path.name)
            if str(path.resolve()) in done_paths:
                continue  # the same file named twice
            try:
                if stored_ids is None and len(files) >= PREFETCH_FILES:
                    stored_ids = store.chunks_by_source()
                source = report_id(store, path, claimed, known_ids, stored_ids)
                plan = plan_file(store, path, source, stored_ids)
            except IngestError as exc:
                summary.skipped.append((exc.path, exc.reason))
                continue
            claimed[source] = str(path.resolve())
            done_paths.add(claimed[source])
            batch.append(plan)
            new_chunks += len(plan.missing)
            # a running count: summing the batch per file was quadratic in unchanged files,
            # which never fill a batch (19,043 unchanged: ~100 s of a 116 s re-ingest)
            if new_chunks >= BATCH_CHUNKS or len(batch) >= BATCH_FILES:
                flush()
        flush()
        pipeline.settle()
        _remove_vanished(store, claimed, folders, summary)
        if progress:
            progress(len(files), len(files), "")
    finally:
        pipeline.close()  # a write under way finishes: the index stays whole
        if lock:
            lock.release()
    summary.seconds = time.perf_counter() - started
    return summary
