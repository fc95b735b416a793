"""How many reports get their own date, and how many exactly right.

    python scripts/date_counts.py /tmp/reuters/reuters21578   # Reuters-21578 (unpacked)
    python scripts/date_counts.py seeds                       # the seeds: none states a date

The date is found as ingest finds it (``rag.formats.read_document`` + ``rag.dates.report_date``).
The truth for a Reuters file is its second line, the article's date ("February 26, 1987"),
read here by ``datetime.strptime`` rather than by the code under test. For files without such
a line (the seeds) every date found is counted as invented. Also printed: the dates the
sentences mention, how many resolved to a calendar date.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from rag.dates import mentions, report_date  # noqa: E402
from rag.errors import IngestError  # noqa: E402
from rag.formats import read_document  # noqa: E402
from rag.text import SUPPORTED_SUFFIXES  # noqa: E402


def truth(text: str) -> str | None:
    lines = text.splitlines()
    try:
        return datetime.strptime(lines[1].strip(), "%B %d, %Y").date().isoformat()
    except (IndexError, ValueError):
        return None


def main(folder: str) -> int:
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
    counts: Counter[str] = Counter()
    how: Counter[str] = Counter()
    said = Counter()
    for path in files:
        try:
            doc = read_document(path)
        except IngestError:
            counts["unreadable"] += 1
            continue
        want = truth(doc.text)
        got = report_date(doc.text, doc.date, doc.date_how)
        counts["files"] += 1
        counts["with a date line"] += want is not None
        if got is not None:
            counts["dated"] += 1
            how[got.how] += 1
            if want is None:
                counts["dated without a date line (invented?)"] += 1
            elif got.date == want:
                counts["exactly right"] += 1
            else:
                counts["wrong"] += 1
                print(f"  wrong: {path.name}: {got.date} ({got.how}), the date line says {want}")
        elif want is not None:
            counts["missed"] += 1
        for m in mentions(doc.text, got.date if got else None):
            said["mentioned"] += 1
            said["resolved"] += m.date is not None
    for key in ("files", "with a date line", "dated", "exactly right", "wrong", "missed",
                "dated without a date line (invented?)", "unreadable"):
        print(f"{key}: {counts[key]}")
    print("found by: " + (", ".join(f"{k} {v}" for k, v in how.most_common()) or "-"))
    print(f"dates mentioned in the text: {said['mentioned']}, resolved to a calendar date: "
          f"{said['resolved']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "seeds"))
