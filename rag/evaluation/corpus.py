"""An evaluation corpus indexed once into its own data dir (``python -m rag eval --corpus DIR``).

A question set written on another collection (``eval/reuters_questions.jsonl`` on the 19,043
Reuters articles) is scored against an index of that whole collection, kept apart from the
user's own index and built only once::

    RAG_DATA_DIR/eval-corpora/<folder name>-<key>/     key: 12 hex digits of the SHA-256 of
                                                       every file's relative path and size,
                                                       and the embedding model's name

A marker file written after a complete ingest makes the next run skip the ingest altogether;
a run killed part-way resumes (ingest is idempotent: it embeds only the chunks not stored).
Changing, adding or removing a file, or the embedding model, gives a new key and a new index.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rag.chunking import VERSION as CHUNKING_VERSION
from rag.config import Settings
from rag.errors import InputError
from rag.text import SUPPORTED_SUFFIXES

MARKER = "indexed.json"


@dataclass
class CorpusIndex:
    """Where one corpus is indexed, and what this run did to get it there."""

    corpus: Path
    settings: Settings  # data_dir, corpus_dir and collection pointing at this corpus's index
    files: int
    cached: bool  # True: a complete index was already there, nothing was read or embedded
    chunks_embedded: int = 0
    seconds: float = 0.0


def corpus_files(corpus: Path) -> list[Path]:
    """The files the ingest would index under ``corpus``, sorted (hidden files skipped)."""
    return sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in SUPPORTED_SUFFIXES)


def corpus_key(corpus: Path, files: list[Path], embedding_name: str) -> str:
    """``<folder>-<12 hex>``: the folder's name and a hash of relative paths, sizes and model.

    >>> import tempfile; d = Path(tempfile.mkdtemp()) / "news"; d.mkdir()
    >>> _ = (d / "a.txt").write_text("hello")
    >>> corpus_key(d, corpus_files(d), "m") == corpus_key(d, corpus_files(d), "m")
    True
    >>> corpus_key(d, corpus_files(d), "m") != corpus_key(d, corpus_files(d), "other")
    True
    """
    digest = hashlib.sha256(embedding_name.encode("utf-8") + b"\n")
    for path in files:
        digest.update(f"{path.relative_to(corpus).as_posix()}\t{path.stat().st_size}\n"
                      .encode())
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", corpus.name).strip("-")[:40] or "corpus"
    return f"{name}-{digest.hexdigest()[:12]}"


def index_corpus(settings: Settings, corpus: Path, progress: bool = True) -> CorpusIndex:
    """Index every file under ``corpus`` into its own data dir, unless that is already done."""
    from rag.embeddings import build_embeddings
    from rag.ingest import ingest
    from rag.store import ReportStore

    corpus = Path(corpus).expanduser().resolve()
    if not corpus.is_dir():
        raise InputError(f"--corpus {corpus}: no such folder; pass the folder that holds the "
                         f"reports (for Reuters: the unpacked reuters21578/ folder).")
    files = corpus_files(corpus)
    if not files:
        raise InputError(f"--corpus {corpus} holds no {', '.join(SUPPORTED_SUFFIXES)} files.")
    embeddings = build_embeddings(settings)
    key = corpus_key(corpus, files, embeddings.name)
    data_dir = settings.data_dir / "eval-corpora" / key
    own = settings.replace(data_dir=data_dir, corpus_dir=corpus, collection=f"eval-{key}")
    marker = data_dir / MARKER
    if _indexed_with(marker) == CHUNKING_VERSION:
        return CorpusIndex(corpus, own, len(files), cached=True)
    print(f"Indexing {len(files)} files of {corpus} into {data_dir} (once; later runs reuse "
          f"it{'; the chunking changed since it was built' if marker.is_file() else ''})",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    store = ReportStore.open(own, embeddings)
    summary = ingest(store, [corpus], lock_path=data_dir / "ingest.lock",
                     progress=_bar() if progress else None)
    seconds = time.perf_counter() - started
    for line in summary.lines():
        print(line, file=sys.stderr)
    marker.write_text(json.dumps({
        "corpus": str(corpus), "files": len(files), "embeddings": embeddings.name,
        "chunking": CHUNKING_VERSION,
        "indexed": len(summary.added) + len(summary.updated) + len(summary.unchanged),
        "skipped": len(summary.skipped), "chunks_embedded": summary.chunks_embedded,
        "seconds": round(seconds, 1)}, indent=1), encoding="utf-8")
    return CorpusIndex(corpus, own, len(files), cached=False,
                       chunks_embedded=summary.chunks_embedded, seconds=seconds)


def _indexed_with(marker: Path) -> int | None:
    """The chunking version a finished index was built with (1 before it was recorded),
    None when there is no finished index."""
    try:
        return int(json.loads(marker.read_text(encoding="utf-8")).get("chunking", 1))
    except (OSError, ValueError, AttributeError):
        return None


def _bar():
    from rag.cli import _progress_bar

    return _progress_bar()
