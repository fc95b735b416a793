"""Synthetic reports written from the seeds' vocabulary, for benchmarks at any size.

A word-bigram chain learnt from the seed reports writes sentences that use the seeds' words
in the seeds' proportions ("North Korean troops ... Russia ..."), so keyword statistics
(BM25 postings, common terms) look like a real news corpus on the same topic. Everything is
deterministic for a given ``seed``:

    >>> from rag.config import PROJECT_ROOT
    >>> writer = Writer.from_folder(PROJECT_ROOT / "seeds", seed=1)
    >>> first = writer.sentence()   # e.g. 'Earlier reports as a “significant threat” ...'
    >>> first == Writer.from_folder(PROJECT_ROOT / "seeds", seed=1).sentence()
    True
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from rag.text import read_text, split_sentences

GENERATOR_VERSION = 1  # bump when the output changes (invalidates cached bench collections)
_WORD = re.compile(r"\S+")


class Writer:
    """Writes sentences, chunk-sized passages and whole reports from a bigram chain."""

    def __init__(self, sentences: list[str], seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.starts: list[str] = []
        self.next: dict[str, list[str]] = defaultdict(list)
        for sentence in sentences:
            words = _WORD.findall(sentence)
            if len(words) < 4:
                continue
            self.starts.append(words[0])
            for a, b in pairwise(words):
                self.next[a].append(b)
        if not self.starts:
            raise ValueError("no sentences to learn from")
        self._pool: list[str] = []

    @classmethod
    def from_folder(cls, folder: Path, seed: int = 0) -> Writer:
        sentences = []
        for path in sorted(folder.glob("*.txt")):
            text = read_text(path)
            sentences += [s.text for s in split_sentences(text)]
        return cls(sentences, seed)

    def sentence(self, min_words: int = 8, max_words: int = 32) -> str:
        """One sentence: a walk along the chain, ended at a full stop (or forced to end)."""
        for _ in range(20):
            words = [self.rng.choice(self.starts)]
            while len(words) < max_words and not words[-1].endswith((".", "?", "!")):
                options = self.next.get(words[-1])
                if not options:
                    break
                words.append(self.rng.choice(options))
            if len(words) >= min_words:
                break
        text = " ".join(words).rstrip(",;:")
        return text if text.endswith((".", "?", "!")) else text + "."

    def passage(self, max_chars: int = 700) -> str:
        """A chunk-sized run of sentences (drawn from a pool, so it is fast at any scale)."""
        if not self._pool:
            self._pool = [self.sentence() for _ in range(4000)]
        out: list[str] = []
        size = 0
        target = self.rng.randint(max_chars // 2, max_chars)
        while size < target:
            s = self.rng.choice(self._pool)
            if out and size + len(s) + 1 > max_chars:
                break
            out.append(s)
            size += len(s) + 1
        return " ".join(out)[:max_chars]

    def report(self, paragraphs: tuple[int, int] = (5, 8)) -> str:
        """A report: a headline, then paragraphs of two to four sentences."""
        title = self.sentence(6, 14).rstrip(".?!")
        body = [" ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))
                for _ in range(self.rng.randint(*paragraphs))]
        return title + "\n\n" + "\n\n".join(body) + "\n"


def write_reports(folder: Path, count: int, seeds: Path, seed: int = 0) -> list[Path]:
    """Write ``count`` synthetic reports as ``synthetic_NNNN.txt`` files into ``folder``."""
    writer = Writer.from_folder(seeds, seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"synthetic_{i:04d}.txt"
        path.write_text(writer.report(), encoding="utf-8")
        paths.append(path)
    return paths
