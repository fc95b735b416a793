"""Greedy picking with a per-group discount: the one "spread across reports" rule.

Each pick multiplies the remaining scores of the same group (report) by ``diversity``, so
three near-equal chunks of one report do not push every other report's version out:

    >>> spread(["a1", "a2", "b1"], 2, score={"a1": 1.0, "a2": 0.9, "b1": 0.6}.get,
    ...        group=lambda x: x[0], diversity=0.5)
    ['a1', 'b1']

Retrieval spreads passages across reports, evidence selection spreads sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def spread(items: Sequence[T], k: int, score: Callable[[T], float],
           group: Callable[[T], Hashable], diversity: float, free: int = 0) -> list[T]:
    """Up to ``k`` items, best discounted score first (ties: earlier item first); the first
    ``free`` picks of a group cost it nothing, the discount starts after them:

        >>> spread(["a1", "a2", "b1"], 2, score={"a1": 1.0, "a2": 0.9, "b1": 0.6}.get,
        ...        group=lambda x: x[0], diversity=0.5, free=1)
        ['a1', 'a2']
    """
    pool = list(items)
    picked: list[T] = []
    per_group: dict[Hashable, int] = {}
    while pool and len(picked) < k:
        best = max(pool, key=lambda it: score(it) * diversity ** max(0, per_group.get(group(it), 0) - free))
        pool.remove(best)
        picked.append(best)
        per_group[group(best)] = per_group.get(group(best), 0) + 1
    return picked
