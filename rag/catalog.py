"""The catalog: one row per indexed report, in ``RAG_DATA_DIR/catalog.sqlite3``, outside
Chroma's own files.

It is what the index should hold. Ingest, remove and reset write it (after the chunks are
in, before they go), so when Chroma's database is emptied or damaged the catalog still knows
which reports, from which files, with how many chunks, were indexed: opening says so
instead of silently indexing the seeds over an emptied index, and ``python -m rag repair``
re-indexes the catalog's files. Listing reports reads it (one small SQLite query, ~10 ms at
19,000 reports) instead of every chunk's metadata.

Each row holds ``source``, ``title``, ``publisher``, ``chunks``, ``path``, ``file_sha256``
and, as JSON, every other key of the per-file metadata ingest attached (``encoding``...).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    collection TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, publisher TEXT,
    chunks INTEGER NOT NULL, path TEXT NOT NULL, file_sha256 TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}', updated REAL NOT NULL,
    PRIMARY KEY (collection, source));
CREATE TABLE IF NOT EXISTS built (collection TEXT PRIMARY KEY, at REAL NOT NULL);
"""
_FIXED = ("source", "title", "publisher", "chunks", "path", "file_sha256")


@dataclass
class CatalogEntry:
    """One report as the catalog records it."""

    source: str
    title: str
    publisher: str | None
    chunks: int
    path: str
    file_sha256: str
    extra: dict[str, Any] = field(default_factory=dict)


class Catalog:
    """The reports of one collection, as recorded in ``path`` (see the module docstring)."""

    def __init__(self, path: Path, collection: str) -> None:
        self.path = Path(path)
        self.collection = collection
        self._schema_in: tuple[int, int] | None = None  # (device, inode) the schema was made in

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30)
            st = self.path.stat()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(_write_help(self.path, exc)) from None
        try:
            # first use, or a new file (the data folder was deleted under us; a new empty
            # file may get the old one's inode number)
            if self._schema_in != (st.st_dev, st.st_ino) or st.st_size == 0:
                con.executescript(_SCHEMA)
                self._schema_in = (st.st_dev, st.st_ino)
            with con:
                yield con
        except sqlite3.DatabaseError as exc:
            raise StoreError(_write_help(self.path, exc)) from None
        finally:
            con.close()

    # -- state ----------------------------------------------------------------------------
    def stamp(self) -> tuple[int, int, int, int] | None:
        """Changes whenever the catalog is written, by any process (a stat, ~10 us): the
        database file's and its write-ahead log's modification times and sizes."""
        try:
            st = self.path.stat()
        except OSError:
            return None
        wal = self.path.with_name(self.path.name + "-wal")
        extra = wal.stat() if wal.exists() else None
        return (st.st_mtime_ns, st.st_size, extra.st_mtime_ns if extra else 0,
                extra.st_size if extra else 0)

    def is_built(self) -> bool:
        """Whether the catalog was filled for this collection (else it must be rebuilt)."""
        if not self.path.is_file():
            return False
        with self._db() as con:
            return con.execute("SELECT 1 FROM built WHERE collection = ?",
                               (self.collection,)).fetchone() is not None

    def mark_built(self) -> None:
        with self._db() as con:
            con.execute("INSERT OR REPLACE INTO built VALUES (?, ?)", (self.collection, time.time()))

    def totals(self) -> tuple[int, int]:
        """(reports, chunks) the index should hold."""
        with self._db() as con:
            row = con.execute("SELECT COUNT(*), COALESCE(SUM(chunks), 0) FROM reports "
                              "WHERE collection = ?", (self.collection,)).fetchone()
        return int(row[0]), int(row[1])

    # -- writing --------------------------------------------------------------------------
    def put(self, entries: list[CatalogEntry]) -> None:
        now = time.time()
        with self._db() as con:
            con.executemany(
                "INSERT OR REPLACE INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(self.collection, e.source, e.title, e.publisher, e.chunks, e.path,
                  e.file_sha256, json.dumps(e.extra, ensure_ascii=False, sort_keys=True), now)
                 for e in entries])

    def delete(self, source: str) -> None:
        with self._db() as con:
            con.execute("DELETE FROM reports WHERE collection = ? AND source = ?",
                        (self.collection, source))

    def clear(self) -> None:
        """Forget every report (a reset); the catalog stays built, and empty."""
        with self._db() as con:
            con.execute("DELETE FROM reports WHERE collection = ?", (self.collection,))
            con.execute("INSERT OR REPLACE INTO built VALUES (?, ?)", (self.collection, time.time()))

    def replace_all(self, entries: list[CatalogEntry]) -> None:
        """Rebuild from scratch (from what Chroma holds), then mark built."""
        with self._db() as con:
            con.execute("DELETE FROM reports WHERE collection = ?", (self.collection,))
        self.put(entries)
        self.mark_built()

    # -- reading --------------------------------------------------------------------------
    def entries(self) -> list[CatalogEntry]:
        """Every report, sorted by source."""
        with self._db() as con:
            rows = con.execute(f"SELECT {', '.join(_FIXED)}, extra FROM reports "
                               f"WHERE collection = ? ORDER BY source",
                               (self.collection,)).fetchall()
        return [CatalogEntry(*row[:6], extra=json.loads(row[6] or "{}")) for row in rows]

    def listing(self) -> list[tuple] | None:
        """(source, title, publisher, chunks, path, file_sha256, date, date_source) of every
        report, sorted by source, in one query; None when the catalog was never built (then
        rebuild it). The date fields are None when the report states no date."""
        if not self.path.is_file():
            return None
        with self._db() as con:
            if con.execute("SELECT 1 FROM built WHERE collection = ?",
                           (self.collection,)).fetchone() is None:
                return None
            return con.execute(
                f"SELECT {', '.join(_FIXED)}, NULLIF(json_extract(extra, '$.date'), ''), "
                f"NULLIF(json_extract(extra, '$.date_source'), '') FROM reports "
                f"WHERE collection = ? ORDER BY source", (self.collection,)).fetchall()

    def get(self, source: str) -> CatalogEntry | None:
        with self._db() as con:
            row = con.execute(f"SELECT {', '.join(_FIXED)}, extra FROM reports "
                              f"WHERE collection = ? AND source = ?",
                              (self.collection, source)).fetchone()
        return CatalogEntry(*row[:6], extra=json.loads(row[6] or "{}")) if row else None


def entry(source: str, title: str, publisher: str | None, chunks: int,
          meta: dict[str, Any]) -> CatalogEntry:
    """A catalog entry from ingest's per-file metadata (``path``, ``file_sha256``, ...)."""
    extra = {k: v for k, v in meta.items() if k not in ("path", "file_sha256")}
    return CatalogEntry(source, title, publisher, chunks, str(meta.get("path", "")),
                        str(meta.get("file_sha256", "")), extra)


def _write_help(path: Path, exc: Exception) -> str:
    return (f"Cannot use the report catalog {path} ({exc}). If the disk is full, free space; "
            f"if the data folder was deleted or damaged, run `python -m rag repair` (it "
            f"re-indexes the reports the catalog lists).")
