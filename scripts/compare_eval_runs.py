"""Compare two ``python -m rag eval`` report folders item by item.

    .venv/bin/python scripts/compare_eval_runs.py reports/eval/A reports/eval/B

Prints each metric of ``summary.json`` side by side, then every item whose answer, refusal
or citations differ between the runs (the same questions answered by two builds, two
settings or two versions of the code), with both answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _rows(folder: Path, name: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in (folder / name).read_text().splitlines() if line]
    return {row["id"]: row for row in rows}


def compare(a: Path, b: Path) -> list[str]:
    out: list[str] = []
    sa, sb = (json.loads((f / "summary.json").read_text())["metrics"] for f in (a, b))
    (ma, va), (mb, vb) = next(iter(sa.items())), next(iter(sb.items()))
    out.append(f"| metric | {a.name} ({ma}) | {b.name} ({mb}) |")
    out.append("|---|---:|---:|")
    for key, value in va.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            other = vb.get(key)
            mark = "" if other == value else " *"
            out.append(f"| {key} | {value:.3f} | "
                       f"{other if other is None else format(other, '.3f')}{mark} |")
    pa, pb = _rows(a, "predictions.jsonl"), _rows(b, "predictions.jsonl")
    changed = 0
    for item_id in pa:
        x, y = pa[item_id], pb.get(item_id)
        if y is None:
            continue
        cx = [(c["source"], c["start"]) for c in x["citations"]]
        cy = [(c["source"], c["start"]) for c in y["citations"]]
        if x["answer"] != y["answer"] or x["refused"] != y["refused"] or cx != cy:
            changed += 1
            out += ["", f"## {item_id} ({x['category']}): {x['question']}",
                    f"- {a.name}: {'REFUSED ' if x['refused'] else ''}{x['answer'][:300]}",
                    f"- {b.name}: {'REFUSED ' if y['refused'] else ''}{y['answer'][:300]}"]
    out.insert(0, f"{changed} of {len(pa)} items answered differently.\n")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print("\n".join(compare(Path(sys.argv[1]), Path(sys.argv[2]))))
