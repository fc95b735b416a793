"""The keyword side of the store: a BM25 index over every chunk, kept in step with Chroma and
saved next to it, so that opening a collection of 19,000 reports does not re-read and
re-tokenize 56,000 chunks.

The saved file is a cache, never the truth: it is checked against the collection's chunk
ids on load, and only the chunks that differ are fetched and tokenized. Chunk ids hash the
source and the text, so equal ids mean equal texts. Positions are the chunk ids in sorted
order, so an index brought up to date step by step equals one built from scratch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.bm25 import BM25Index, pack_lines, unpack_lines
from rag.cachefile import replace_atomically

log = logging.getLogger(__name__)

# rows(ids) -> {chunk id: (text, metadata)} for the ids that still exist
FetchRows = Callable[[list[str]], dict[str, tuple[str, dict[str, Any]]]]


@dataclass
class KeywordSnapshot:
    """Every chunk's id and report, with a BM25 index whose position ``i`` is ``ids[i]``."""

    ids: list[str]  # sorted
    source_codes: np.ndarray  # int32, per position: an index into ``source_names``
    source_names: list[str]
    index: BM25Index
    signature: tuple[Any, ...] = field(default=(None, None))

    def sources(self) -> set[str]:
        """The reports that have chunks."""
        return {self.source_names[c] for c in np.unique(self.source_codes)}

    def positions_of(self, sources: Iterable[str]) -> np.ndarray:
        """Positions of the chunks of these reports (a scope for ``BM25Index.top``)."""
        chosen = set(sources)
        wanted = [i for i, name in enumerate(self.source_names) if name in chosen]
        return np.flatnonzero(np.isin(self.source_codes, wanted))

    def source_of(self, pos: int) -> str:
        return self.source_names[int(self.source_codes[pos])]


def empty() -> KeywordSnapshot:
    return KeywordSnapshot([], np.zeros(0, dtype=np.int32), [], BM25Index())


def synced(old: KeywordSnapshot | None, ids: list[str], rows: FetchRows) -> KeywordSnapshot:
    """``old`` brought up to the collection's current ``ids``: removed chunks dropped, new
    ones fetched with ``rows`` and tokenized (all of them when there is no ``old``). An id
    that ``rows`` no longer finds (deleted meanwhile) is left out."""
    old = old or empty()
    have = set(old.ids)
    new_ids = [i for i in ids if i not in have]
    fetched = rows(new_ids) if new_ids else {}
    current = set(ids)
    final = sorted([i for i in old.ids if i in current] + [i for i in new_ids if i in fetched])
    where = {cid: pos for pos, cid in enumerate(final)}
    new_position = np.fromiter((where.get(cid, -1) for cid in old.ids), dtype=np.int64,
                               count=len(old.ids))
    kept_codes = np.unique(old.source_codes[new_position >= 0])
    names = sorted({old.source_names[int(c)] for c in kept_codes}
                   | {meta["source"] for _, meta in fetched.values()})
    code = {name: i for i, name in enumerate(names)}
    codes = np.zeros(len(final), dtype=np.int32)
    moved = new_position >= 0
    if moved.any():
        old_codes = np.array([code.get(n, -1) for n in old.source_names], dtype=np.int32)
        codes[new_position[moved]] = old_codes[old.source_codes[moved]]
    added = []
    for cid in new_ids:
        if cid in fetched:
            text, meta = fetched[cid]
            codes[where[cid]] = code[meta["source"]]
            added.append((where[cid], text))
    index = old.index.remapped(new_position, added, len(final))
    return KeywordSnapshot(final, codes, names, index)


def save(snapshot: KeywordSnapshot, path: Path) -> None:
    """Write the snapshot atomically (a crash leaves the old file or the new one); a
    failure is logged and otherwise ignored: the file is only a cache."""
    arrays = snapshot.index.arrays()
    arrays["ids"] = pack_lines(snapshot.ids)
    # report names are file names, which may hold any character: JSON, not lines
    arrays["source_names"] = np.frombuffer(json.dumps(snapshot.source_names).encode("utf-8"),
                                           dtype=np.uint8)
    arrays["source_codes"] = snapshot.source_codes
    def write(tmp: Path) -> None:
        with tmp.open("wb") as out:
            np.savez(out, **arrays)

    try:
        replace_atomically(path, write)
    except OSError as exc:
        log.warning("Could not save the keyword index to %s (%s); it is rebuilt when needed.",
                    path, exc)


def load(path: Path) -> KeywordSnapshot | None:
    """The saved snapshot, or None when there is none or it cannot be read (damaged, of
    another format): the caller then builds it from the collection."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        index = BM25Index.from_arrays(arrays)
        ids = unpack_lines(arrays["ids"])
        names = json.loads(arrays["source_names"].tobytes().decode("utf-8"))
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("report names are not a list of strings")
        codes = arrays["source_codes"].astype(np.int32)
        if len(ids) != index.size or len(codes) != len(ids) or (
                len(codes) and int(codes.max()) >= len(names)):
            raise ValueError("ids, reports and index differ in length")
    except FileNotFoundError:
        return None
    except Exception as exc:  # numpy raises several kinds for a damaged or foreign file
        log.warning("The keyword index %s cannot be read (%s: %s); rebuilding it.",
                    path, type(exc).__name__, exc)
        return None
    return KeywordSnapshot(ids, codes, names, index)

