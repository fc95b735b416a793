"""The question set: ``eval/questions.jsonl`` loaded and checked into typed items.

One JSON object per line (the format is documented in ``docs/evaluation.md``)::

    {"id": "fact-08", "category": "fact", "question": "On what day ...?", "answerable": true,
     "reference_answer": "On Friday.", "key_facts": [["Friday"]],
     "gold_evidence": [{"source": "001_....txt", "quote": "...", "start": 0, "end": 72}]}

``answerable`` alone says whether a refusal is right: a false-premise item may carry key
facts (the correction) and still be unanswerable as asked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.config import PROJECT_ROOT
from rag.errors import InputError

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
CATEGORIES = ("fact", "multi", "conflict", "unanswerable", "false_premise", "followup",
              "injection")


@dataclass(frozen=True)
class GoldSpan:
    """A passage of a report that answers the item: ``text[start:end] == quote``."""

    source: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class GoldClaim:
    """One report's value for a disputed point, and who the report says stated it."""

    source: str
    value: str
    forms: tuple[str, ...]
    attributed_to: str


@dataclass(frozen=True)
class GoldGroup:
    """Claims that count the same thing ("already there"), as a conflict item groups them:
    a disagreement inside a group, different facts across groups."""

    label: str
    claims: tuple[tuple[str, str], ...]  # (source, value as written)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label,
                "claims": [{"source": s, "value": v} for s, v in self.claims]}


@dataclass(frozen=True)
class Item:
    """One hand-written question with what a good answer contains."""

    id: str
    category: str
    question: str
    answerable: bool
    reference_answer: str
    key_facts: tuple[tuple[str, ...], ...] = ()
    gold_evidence: tuple[GoldSpan, ...] = ()
    history: tuple[dict[str, str], ...] = ()
    claims: tuple[GoldClaim, ...] = ()
    gold_groups: tuple[GoldGroup, ...] = ()  # conflict items: the comparable grouping
    # follow-ups: what the condensed (standalone) question must name, as key facts are given
    standalone_keeps: tuple[tuple[str, ...], ...] = ()

    def history_messages(self) -> list[dict[str, str]]:
        return [dict(m) for m in self.history]


def _need(obj: dict, key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise InputError(f"{where}: missing field {key!r} (see docs/evaluation.md).")
    value = obj[key]
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise InputError(f"{where}: field {key!r} must be {names}, not {type(value).__name__}.")
    return value


def _forms(entries: list, where: str, what: str) -> tuple[tuple[str, ...], ...]:
    """Each entry a non-empty list of accepted forms (strings), as key facts are written."""
    for entry in entries:
        if not isinstance(entry, list) or not entry or not all(
                isinstance(f, str) and f.strip() for f in entry):
            raise InputError(f"{where}: each {what} must be a non-empty list of strings "
                             f"(accepted forms), got {entry!r}.")
    return tuple(tuple(entry) for entry in entries)


def parse_item(obj: Any, where: str = "item") -> Item:
    """An :class:`Item` from one decoded JSON object; errors name ``where`` and the field."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object.")
    item_id = _need(obj, "id", str, where)
    where = f"{where} ({item_id})"
    facts = _forms(_need(obj, "key_facts", list, where), where, "key fact")
    gold = []
    for ev in _need(obj, "gold_evidence", list, where):
        if not isinstance(ev, dict):
            raise InputError(f"{where}: gold_evidence entries must be objects.")
        gold.append(GoldSpan(_need(ev, "source", str, where), _need(ev, "quote", str, where),
                             _need(ev, "start", int, where), _need(ev, "end", int, where)))
    history = obj.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant")
            and isinstance(m.get("content"), str) for m in history):
        raise InputError(f"{where}: history must be a list of {{\"role\": \"user\"|\"assistant\", "
                         f"\"content\": \"...\"}} messages.")
    claims = []
    for c in obj.get("claims") or []:
        if not isinstance(c, dict):
            raise InputError(f"{where}: claims entries must be objects.")
        forms = _need(c, "forms", list, where)
        claims.append(GoldClaim(_need(c, "source", str, where), _need(c, "value", str, where),
                                tuple(str(f) for f in forms),
                                _need(c, "attributed_to", str, where)))
    groups = []
    for g in obj.get("gold_groups") or []:
        members = _need(g, "claims", list, where) if isinstance(g, dict) else None
        if members is None or not all(isinstance(m, dict) for m in members):
            raise InputError(f"{where}: gold_groups entries must be objects "
                             f"{{\"label\": ..., \"claims\": [{{\"source\": ..., \"value\": ...}}]}}.")
        groups.append(GoldGroup(_need(g, "label", str, where),
                                tuple((_need(m, "source", str, where), _need(m, "value", str, where))
                                      for m in members)))
    keeps = obj.get("standalone_keeps") or []
    if not isinstance(keeps, list):
        raise InputError(f"{where}: standalone_keeps must be a list of lists of accepted "
                         f"forms, got {keeps!r}.")
    keeps = _forms(keeps, where, "standalone_keeps entry")
    category = _need(obj, "category", str, where)
    if category not in CATEGORIES:
        raise InputError(f"{where}: unknown category {category!r}; use one of "
                         f"{', '.join(CATEGORIES)}.")
    return Item(id=item_id, category=category, question=_need(obj, "question", str, where),
                answerable=_need(obj, "answerable", bool, where),
                reference_answer=_need(obj, "reference_answer", str, where),
                key_facts=facts, gold_evidence=tuple(gold),
                history=tuple({"role": m["role"], "content": m["content"]} for m in history),
                claims=tuple(claims), gold_groups=tuple(groups),
                standalone_keeps=keeps)


def load_items(path: Path = DEFAULT_QUESTIONS) -> list[Item]:
    """Every item of a questions file, in file order; ids must be unique."""
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except OSError as exc:
        raise InputError(f"Cannot read the question set {path}: {exc.strerror or exc}. "
                         f"Pass --questions FILE.") from None
    items: list[Item] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg}).") from None
        item = parse_item(obj, where)
        if item.id in seen:
            raise InputError(f"{where}: duplicate id {item.id!r}.")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"The question set {path} has no items.")
    return items


def check_gold(items: Iterable[Item], text_of: Callable[[str], str | None]) -> list[str]:
    """Problems with gold evidence: a quote that is not its report's text at its offsets.

    ``text_of(source)`` gives a report's text (None when it is not available).
    """
    problems = []
    for item in items:
        for ev in item.gold_evidence:
            text = text_of(ev.source)
            if text is None:
                problems.append(f"{item.id}: report {ev.source} is not available")
            elif text[ev.start:ev.end] != ev.quote:
                problems.append(f"{item.id}: the quote is not {ev.source}[{ev.start}:{ev.end}]")
    return problems


def select(items: Sequence[Item], ids: Iterable[str] | None = None,
           categories: Iterable[str] | None = None, limit: int | None = None) -> list[Item]:
    """A subset in file order: given ids, then given categories, then the first ``limit``."""
    chosen = list(items)
    if ids:
        wanted = list(dict.fromkeys(ids))
        known = {it.id for it in items}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise InputError(f"Unknown item id(s): {', '.join(unknown)}. Ids look like "
                             f"{', '.join(it.id for it in items[:3])}.")
        chosen = [it for it in chosen if it.id in set(wanted)]
    if categories:
        cats = set(categories)
        unknown = cats - set(CATEGORIES)
        if unknown:
            raise InputError(f"Unknown category: {', '.join(sorted(unknown))}; use one of "
                             f"{', '.join(CATEGORIES)}.")
        chosen = [it for it in chosen if it.category in cats]
    if limit is not None:
        if limit < 1:
            raise InputError(f"--limit must be at least 1, not {limit}.")
        chosen = chosen[:limit]
    if not chosen:
        raise InputError("No item matches the selection (--ids / --category / --limit).")
    return chosen
