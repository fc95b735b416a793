"""``python -m rag repair``: rebuild a damaged or emptied index from the catalog's files.

The Chroma folder is moved aside (``chroma.damaged-YYYYmmdd-HHMMSS``, never deleted: it may
still be useful), a fresh one is created, and every report the catalog lists is indexed
again from its file under the same report id. Reports whose file is gone are listed and
dropped from the catalog. Works when the database cannot even be opened.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.catalog import Catalog
from rag.config import Settings
from rag.errors import RagError
from rag.ingest import IngestSummary, Progress, ingest
from rag.store import ReportStore, make_client


@dataclass
class RepairSummary:
    moved_to: Path | None
    ingest: IngestSummary
    lost: list[str] = field(default_factory=list)  # catalog reports whose file is gone

    def lines(self) -> list[str]:
        out = [f"The old index was moved to {self.moved_to}." if self.moved_to else
               "There was no index folder to move aside."]
        out += self.ingest.lines()
        out += [f"  lost {source}: its file is gone; index it again from a copy"
                for source in self.lost]
        return out


def move_aside(settings: Settings) -> Path | None:
    """Move the embedded Chroma folder out of the way; returns where it went."""
    folder = settings.chroma_dir
    if not folder.exists():
        return None
    target = folder.with_name(f"{folder.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        n += 1
        target = target.with_name(f"{folder.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    os.replace(folder, target)
    return target


def repair(settings: Settings, embeddings, progress: Progress | None = None) -> RepairSummary:
    """Move the index aside and re-index the catalog's reports (see the module docstring)."""
    catalog = Catalog(settings.data_dir / "catalog.sqlite3", settings.collection)
    entries = catalog.entries() if catalog.is_built() else []
    if not entries:  # no catalog: learn the reports from the index itself, if it opens
        try:
            ReportStore.open(settings, embeddings).sources()  # rebuilds the catalog
            entries = catalog.entries()
        except RagError:
            entries = []
    moved = move_aside(settings)
    make_client(settings, fresh=True)  # this process may have had the old folder open
    store = ReportStore.open(settings, embeddings)
    present = [e for e in entries if e.path and Path(e.path).is_file()]
    lost = [e.source for e in entries if e not in present]
    for source in lost:
        catalog.delete(source)
    summary = ingest(store, [Path(e.path) for e in present],
                     lock_path=settings.data_dir / "ingest.lock", progress=progress,
                     known_ids={str(Path(e.path).resolve()): e.source for e in present})
    return RepairSummary(moved, summary, lost)
