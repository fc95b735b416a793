"""A BM25 keyword index over the indexed chunks, built once and queried in O(postings).

Scores are Okapi BM25 (k1=1.5, b=0.75). Numbers are normalised so that "12,000" and
"12000" are the same term:

    >>> tokenize("North Korea's 12,000 troops")
    ['north', 'korea', '12000', 'troops']
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np

_STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have he her his how i in "
    "into is it its of on or our over said says she so than that the their them then there these "
    "they this to was we were what when where which who whom why will with would you your about "
    "after also any can could may more most not now only other out some such up very".split()
)
_TOKEN = re.compile(r"\d[\d,.]*\d|\d|[^\W\d_]+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word and number tokens, stopwords removed, possessive 's dropped."""
    tokens = []
    for raw in _TOKEN.findall(text.lower().replace("’", "'")):
        token = raw.replace(",", "") if raw[0].isdigit() else raw
        if token.isdigit() or (token not in _STOPWORDS and len(token) > 1):
            tokens.append(token)
    return tokens


class BM25Index:
    """Inverted index: term -> (document positions, precomputed BM25 weights)."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.size = len(texts)
        docs = [Counter(tokenize(t)) for t in texts]
        lengths = np.array([sum(d.values()) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if self.size else 0.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, counts in enumerate(docs):
            for term, tf in counts.items():
                postings[term].append((i, tf))
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._idf: dict[str, float] = {}
        for term, items in postings.items():
            ids = np.fromiter((i for i, _ in items), dtype=np.int64, count=len(items))
            tf = np.fromiter((f for _, f in items), dtype=np.float32, count=len(items))
            idf = math.log(1 + (self.size - len(items) + 0.5) / (len(items) + 0.5))
            self._idf[term] = idf
            norm = tf + k1 * (1 - b + b * lengths[ids] / (avg or 1.0))
            self._postings[term] = (ids, (idf * tf * (k1 + 1) / norm).astype(np.float32))

    def idf(self, term: str) -> float:
        """How rare ``term`` is in the collection (BM25's idf; a term never seen is rarest)."""
        return self._idf.get(term, math.log(1 + (self.size + 0.5) / 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros where no term matches)."""
        scores = np.zeros(self.size, dtype=np.float32)
        for term in set(tokenize(query)):
            hit = self._postings.get(term)
            if hit is not None:
                scores[hit[0]] += hit[1]
        return scores

    def top(self, query: str, n: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``n`` best (position, score) pairs with a positive score, best first.

        ``within``: only these positions compete (a scope); the term weights stay those of
        the whole collection, so a scoped score equals the unscoped one.
        """
        scores = self.scores(query)
        if within is not None:
            kept = np.zeros(self.size, dtype=np.float32)
            kept[within] = scores[within]
            scores = kept
        n = min(n, self.size)
        if n <= 0:
            return []
        idx = np.argpartition(-scores, n - 1)[:n]
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        return [(int(i), float(scores[i])) for i in idx if scores[i] > 0]
