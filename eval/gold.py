"""What the two gold-set builders share (``make_gold.py`` for the seeds, ``make_reuters_gold.py``
for the Reuters collection): an item, the checks every record passes, writing the file.

Each builder keeps what differs: its reports, how a quote is found in them (the seeds' exact
text, the newswire's hard-wrapped lines) and how a fact's forms are matched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

Has = Callable[[str, list[str]], bool]  # (text, accepted forms) -> one of them is in it


def item(id, category, question, reference_answer, key_facts=(), ev=(), answerable=True,
         history=None, claims=None, groups=None, keeps=None) -> dict:
    """One question. ``ev``: (source, quote) pairs; ``claims`` (conflict items): (source, value,
    forms, attributed_to); ``key_facts``: facts, each a list of accepted surface forms;
    ``keeps`` (follow-ups): entities the condensed question must keep, as lists of forms."""
    return dict(id=id, category=category, question=question, history=history,
                answerable=answerable, reference_answer=reference_answer,
                key_facts=[list(f) for f in key_facts], ev=list(ev), claims=claims,
                groups=groups, keeps=keeps)


def build(items: Iterable[dict], text_of: Callable[[str], str],
          locate: Callable[[str, str], dict], has: Has) -> list[dict]:
    """The records, each checked: every quote found once at exact offsets, every claim and
    grouped claim in its report, every key fact in the item's gold quotes, ids unique."""
    records = []
    for it in items:
        rec = {"id": it["id"], "category": it["category"], "question": it["question"]}
        if it["history"] is not None:
            rec["history"] = it["history"]
        rec |= {"answerable": it["answerable"], "reference_answer": it["reference_answer"],
                "key_facts": it["key_facts"],
                "gold_evidence": [locate(src, q) for src, q in it["ev"]]}
        if it["claims"] is not None:
            claims = []
            for src, value, forms, who in it["claims"]:
                if not has(text_of(src), [value, *forms]):
                    raise SystemExit(f"{it['id']}: claim {value!r} not found in {src}")
                claims.append({"source": src, "value": value, "forms": list(forms),
                               "attributed_to": who})
            rec["claims"] = claims
        if it["groups"] is not None:
            for _label, members in it["groups"]:
                for src, value in members:
                    if not has(text_of(src), [value]):
                        raise SystemExit(f"{it['id']}: grouped claim {value!r} not found in {src}")
            rec["gold_groups"] = [{"label": label, "claims": [{"source": src, "value": value}
                                                              for src, value in members]}
                                  for label, members in it["groups"]]
        if it.get("keeps") is not None:
            rec["standalone_keeps"] = it["keeps"]
        joined = "\n".join(e["quote"] for e in rec["gold_evidence"])
        for fact in rec["key_facts"]:
            if not has(joined, fact):
                raise SystemExit(f"{it['id']}: key fact {fact!r} not found in its gold evidence")
        records.append(rec)
    ids = [r["id"] for r in records]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate ids")
    return records


def write(records: list[dict], out: Path, check_only: bool) -> int:
    """Write the JSONL file (unless ``check_only``) and print the counts per category."""
    if not check_only:
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec["category"]] = counts.get(rec["category"], 0) + 1
    print(f"{len(records)} items", counts, "" if check_only else f"-> {out}")
    return 0
