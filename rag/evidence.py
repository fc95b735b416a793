"""From retrieved passages to a short list of numbered evidence sentences for the model.

Smaller, sharper evidence is faster (fewer prompt tokens on a 2-core CPU) and better
(less for a small model to misread). Each candidate sentence is scored by cosine similarity
to the question plus keyword overlap plus its passage's rank; the best are picked with the
same per-report discount as retrieval, then shown grouped by report in reading order.
A sentence that opens with a personal pronoun ("He described ...") brings the sentence
before it, so the model can tell who "he" is. "This development ..." or "These troops ..."
do not: they read well enough alone, and every sentence costs prompt tokens.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from rag.bm25 import tokenize
from rag.figures import figures, is_quantity_question
from rag.ranking import spread
from rag.safety import never_evidence, prompt_text
from rag.text import lines_with_offsets, split_sentences
from rag.types import Evidence, Passage

_PRONOUN_START = re.compile(r"^(he|she|they|it|his|her|their|its)\b", re.I)


def candidate_sentences(passages: list[Passage]) -> list[tuple[Passage, int, int, str]]:
    """Unique sentences of the passages as (passage, start, end, text), offsets in the file.

    Sentences that address the assistant ("ignore previous instructions ...") or are an
    editor's note are left out, and so is the rest of their line (an injected paragraph
    may put its payload in the next sentence): reports are data, and such text is never
    shown to the model, so its figures never reach an answer or the disagreement table.
    """
    seen: set[tuple[str, int]] = set()
    out = []
    for p in passages:
        hostile = [line for line in lines_with_offsets(p.text) if never_evidence(line.text)]
        for s in split_sentences(p.text):
            key = (p.source, p.start + s.start)
            if (key not in seen and len(s.text.split()) >= 3 and not never_evidence(s.text)
                    and not any(h.start <= s.start < h.end for h in hostile)):
                seen.add(key)
                out.append((p, p.start + s.start, p.start + s.end, s.text))
    return out


class SentenceVectors:
    """Sentence vectors by text, remembered (least recently used out first), so a follow-up
    or a question on the same reports embeds only the sentences it has not seen yet."""

    def __init__(self, embeddings, size: int = 8192) -> None:
        self.embeddings = embeddings
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for text in known:
                self._cache.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:  # embedded outside the lock; another thread may embed the same text
            fresh = dict(zip(missing, np.asarray(self.embeddings.encode(missing),
                                                 dtype=np.float32), strict=True))
            known |= fresh
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


# Sentence score = cosine to the question + OVERLAP_WEIGHT * (share of the question's words in
# the sentence, each word weighted by its rarity in the collection) + RANK_WEIGHT / (1 + the
# passage's rank) + FIGURE_BONUS (a figure, for a "how many" question) - HEADING_PENALTY (a
# headline or section title). Measured on eval/questions.jsonl without a model (gold evidence
# among the 6 sentences shown, 56 answerable items; python -m rag eval --llm scripted:refuse):
# 0.76 with the earlier weights (overlap 0.3 unweighted, a 0.7 per-report discount, 6
# passages); no per-report discount 0.82; + rarity-weighted overlap 0.5, headings -0.15 and
# candidates from 8 passages 0.85. The per-report discount spent slots on other reports'
# off-topic sentences (five reports on one story; worse among thousands on many stories).
OVERLAP_WEIGHT = 0.5
RANK_WEIGHT = 0.1
FIGURE_BONUS = 0.15
HEADING_PENALTY = 0.15
DIVERSITY = 1.0  # per-report discount of sentence scores (1.0: none)
POOL = 8  # passages whose sentences compete (retrieval shows k of them)


def _is_heading(text: str) -> bool:
    """A headline or section title ("3,000 North Korean Troops Already in Transit")."""
    return text.rstrip()[-1:] not in ".!?\"”’)" and len(text.split()) <= 14


def select_evidence(question: str, passages: list[Passage], embeddings, limit: int,
                    diversity: float | None = None, query_vector=None,
                    idf: Callable[[str], float] | None = None) -> list[Evidence]:
    """Pick up to ``limit`` evidence sentences for ``question``; numbered from 1.

    ``embeddings``: anything with ``encode(texts) -> unit vectors`` (a
    :class:`SentenceVectors` cache, or the embedding model itself); ``query_vector``: the
    question's vector if retrieval already computed it.
    """
    cands = candidate_sentences(passages)
    if not cands:
        return []
    q_terms = set(tokenize(question))
    texts = [c[3] for c in cands]
    if query_vector is None:
        vectors = embeddings.encode([question] + texts)
        query, vectors = vectors[0], vectors[1:]
    else:
        query, vectors = np.asarray(query_vector, dtype=np.float32), embeddings.encode(texts)
    cosine = vectors @ query
    rank = {p.chunk_id: i for i, p in enumerate(passages)}
    weight = idf or (lambda term: 1.0)
    q_weight = sum(weight(t) for t in q_terms)
    # For "how many" questions, sentences that state a figure are what the answer (and the
    # conflict check) needs, even when phrased unlike the question.
    figure_bonus = FIGURE_BONUS if is_quantity_question(question) else 0.0
    scores = []
    for (p, _s, _e, text), cos in zip(cands, cosine, strict=True):
        shared = q_terms & set(tokenize(text))
        overlap = sum(weight(t) for t in shared) / q_weight if q_weight else 0.0
        bonus = figure_bonus if figure_bonus and figures(text) else 0.0
        heading = HEADING_PENALTY if _is_heading(text) else 0.0
        scores.append(float(cos) + OVERLAP_WEIGHT * overlap + RANK_WEIGHT / (1 + rank[p.chunk_id])
                      + bonus - heading)
    order = [int(i) for i in np.argsort(-np.array(scores), kind="stable")]
    chosen = spread(order, limit, score=scores.__getitem__, group=lambda i: cands[i][0].source,
                    diversity=DIVERSITY if diversity is None else diversity)
    # Pronoun-led sentences bring their antecedent sentence when it is a candidate.
    for i in list(chosen):
        p, start, _end, text = cands[i]
        if _PRONOUN_START.match(text):
            prev = _previous(cands, i)
            if prev is not None and prev not in chosen and len(chosen) < limit + 2:
                chosen.append(prev)
    source_order = list(dict.fromkeys(cands[i][0].source for i in chosen))  # best report first
    chosen.sort(key=lambda i: (source_order.index(cands[i][0].source), cands[i][1]))
    return [Evidence(n=n, source=cands[i][0].source, title=cands[i][0].title,
                     publisher=cands[i][0].publisher, text=cands[i][3], start=cands[i][1],
                     end=cands[i][2], score=scores[i], date=cands[i][0].date)
            for n, i in enumerate(chosen, start=1)]


def _previous(cands: list, i: int) -> int | None:
    """The candidate that ends closest before candidate ``i`` in the same report."""
    source, start = cands[i][0].source, cands[i][1]
    best, best_end = None, -1
    for j, c in enumerate(cands):
        if c[0].source == source and c[2] <= start and c[2] > best_end:
            best, best_end = j, c[2]
    if best is not None and start - best_end <= 3:
        return best
    return None


def format_evidence(evidence: list[Evidence]) -> str:
    """The evidence block of the prompt: numbered sentences, a blank line between reports.

    Kept short on purpose: prompt tokens are the main cost of an answer on a CPU, and report
    labels only tempt a small model to write "according to Report 2" instead of naming who
    said it (titles and files are shown to the user with each citation).
    """
    lines: list[str] = []
    current = None
    for ev in evidence:
        if current is not None and ev.source != current:
            lines.append("")
        current = ev.source
        lines.append(f"[{ev.n}] {' '.join(prompt_text(ev.text).split())}")
    return "\n".join(lines)
