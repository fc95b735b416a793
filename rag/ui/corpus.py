"""The corpus as the app sees it: uploads, removal, and a report's text for the highlight.

Uploaded reports are stored under ``RAG_DATA_DIR/uploads``. Nothing of the uploaded name
is trusted as a path: only its last component is kept (NFKC-normalised), reduced to
letters and digits of any script, ``.``, ``_`` and ``-``:

    >>> safe_upload_name("../../etc/Kim's report (final).MD")
    'Kim_s_report_final.md'
    >>> safe_upload_name("отчёт.txt")
    'отчёт.txt'

A name already used by a different file gets a suffix from the upload's content
(``report-1a2b3c.txt``), so two uploads never replace each other.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from rag.config import Settings
from rag.errors import InputError
from rag.ingest import MAX_FILE_BYTES, IngestSummary, Progress, ingest
from rag.store import ReportStore, SourceInfo

UPLOAD_TYPES = ("txt", "md", "html", "htm", "pdf")
_MAX_NAME = 100
MAX_UPLOADS = 20  # files per upload batch


def safe_upload_name(name: str) -> str:
    """A file name safe to create in the uploads folder (suffix checked, lower-cased)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot or suffix.lower() not in UPLOAD_TYPES:
        raise InputError(f"{base or 'The file'}: unsupported type; upload "
                         f"{', '.join('.' + t for t in UPLOAD_TYPES)} reports.")
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._-")[:_MAX_NAME] or "report"
    return f"{stem}.{suffix.lower()}"


def save_upload(name: str, data: bytes, settings: Settings, taken: set[str] = frozenset()) -> Path:
    """Write an upload under ``settings.uploads_dir``; returns its path.

    ``taken`` holds names of indexed reports that come from elsewhere (seeds/). A name in
    ``taken``, or one whose upload holds different bytes, gets a suffix from this upload's
    content (``report-1a2b3c.txt``); the same bytes uploaded again keep their name.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: {len(data) / 2**20:.1f} MiB is over the "
                         f"{MAX_FILE_BYTES / 2**20:.0f} MiB limit.")
    safe = safe_upload_name(name)
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = safe.rsplit(".", 1)
    digest = hashlib.sha256(data).hexdigest()
    for n in (0, 6, 12, 64):
        path = folder / (f"{stem}-{digest[:n]}.{suffix}" if n else safe)
        if path.name not in taken and (not path.is_file() or path.read_bytes() == data):
            break
    tmp = folder / f".{path.name}.part{os.getpid()}"
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def index_uploads(store: ReportStore, settings: Settings, files: list[tuple[str, bytes]],
                  progress: Progress | None = None) -> IngestSummary:
    """Save uploaded ``(name, bytes)`` files and index them; refused files are not kept."""
    if len(files) > MAX_UPLOADS:
        raise InputError(f"{len(files)} files at once is over the limit of {MAX_UPLOADS}; "
                         f"upload them in smaller batches.")
    uploads = settings.uploads_dir.resolve()
    taken = {info.source for info in store.sources()
             if not (info.path and Path(info.path).resolve().parent == uploads)}
    paths, refused = [], []
    for name, data in files:
        try:
            path = save_upload(name, data, settings, taken)
        except InputError as exc:
            refused.append((name, str(exc)))
            continue
        if path not in paths:  # the same bytes twice under one name: one report
            paths.append(path)
    summary = (ingest(store, paths, lock_path=settings.data_dir / "ingest.lock",
                      progress=progress) if paths else IngestSummary())
    for path_text, _reason in summary.skipped:
        path = Path(path_text)
        if path.parent.resolve() == uploads:
            path.unlink(missing_ok=True)
    summary.skipped += refused
    return summary


def remove_report(store: ReportStore, settings: Settings, source: str) -> int:
    """Remove a report from the index (and its file, if it was uploaded); chunks removed."""
    info = store.source_info(source)
    if info is None:
        raise InputError(f"No indexed report is called {source!r}.")
    removed = store.delete_source(source)
    path = Path(info.path) if info.path else None
    if path and path.resolve().parent == settings.uploads_dir.resolve():
        path.unlink(missing_ok=True)
    return removed


def report_text(store: ReportStore, source: str) -> str | None:
    """The current text of an indexed report (for ``.html``, its visible text), or None."""
    return store.original_text(source)


def find_reports(sources: list[SourceInfo], search: str = "",
                 limit: int = 50) -> tuple[int, list[SourceInfo]]:
    """The reports whose title, publisher or file name contain ``search`` (any case): how
    many match, and the first ``limit`` of them, so a list of 19,043 is never drawn whole."""
    needle = " ".join(search.split()).casefold()
    if not needle:
        return len(sources), sources[:limit]
    found = [s for s in sources
             if needle in f"{s.title}\n{s.publisher or ''}\n{s.source}".casefold()]
    return len(found), found[:limit]
