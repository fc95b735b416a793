"""The corpus as the app sees it: uploads, removal, and a report's text for the highlight.

Uploaded reports are stored under ``RAG_DATA_DIR/uploads``. Nothing of the uploaded name
is trusted as a path: only its last component is kept, reduced to letters, digits, ``.``,
``_`` and ``-``:

    >>> safe_upload_name("../../etc/Kim's report (final).MD")
    'Kim_s_report_final.md'
"""

from __future__ import annotations

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
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:_MAX_NAME] or "report"
    return f"{stem}.{suffix.lower()}"


def save_upload(name: str, data: bytes, settings: Settings, taken: set[str] = frozenset()) -> Path:
    """Write an upload under ``settings.uploads_dir``; returns its path.

    ``taken`` holds names of indexed reports that come from elsewhere (seeds/): an upload
    never replaces those, it gets a ``-2`` suffix instead. Uploading a file again under
    the same name replaces the earlier upload (and ingest then updates its chunks).
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: {len(data) / 1e6:.1f} MB is over the "
                         f"{MAX_FILE_BYTES / 1e6:.0f} MB limit.")
    safe = safe_upload_name(name)
    folder = settings.uploads_dir
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = safe.rsplit(".", 1)
    n = 1
    while safe in taken:
        n += 1
        safe = f"{stem}-{n}.{suffix}"
    path = folder / safe
    tmp = folder / f".{safe}.part{os.getpid()}"
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
            paths.append(save_upload(name, data, settings, taken))
        except InputError as exc:
            refused.append((name, str(exc)))
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
