"""How the model writes its answer: free text, or *cite first* under a grammar.

Cite first (embedded llama.cpp models): the model must first name the evidence numbers that
answer the question, or ``none``, and only then write one to three sentences, each ending in
markers. llama.cpp enforces the shape with a GBNF grammar made for the evidence at hand, so
an answer can no longer lack markers, cite a number that does not exist, or bury a refusal in
prose; ``none`` is a refusal decided by the model's own reading of the evidence:

    >>> fmt = CiteFirst()
    >>> fmt.parse("Evidence: 2, 5\\nAnswer: Kim led the troops [2].")
    ([2, 5], 'Kim led the troops [2].')
    >>> fmt.parse("Evidence: none\\n")
    ([], '')
    >>> fmt.visible("Evidence: 2\\nAns")   # nothing is shown before the answer starts
    ''

Free text (remote models, or ``RAG_ANSWER_FORMAT=free``): the reply is the answer, and
``NOT IN REPORTS`` is the refusal sentinel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTINEL = "NOT IN REPORTS"


@dataclass(frozen=True)
class FreeText:
    """The model writes the answer directly; ``NOT IN REPORTS`` refuses."""

    name: str = "free"
    system_prompt: str = "system"
    answer_prompt: str = "answer"

    def grammar(self, n_evidence: int) -> str | None:
        return None

    def visible(self, raw: str) -> str:
        """The part of the raw reply a reader may see so far ("" while it could still be
        the refusal sentinel)."""
        head = raw.strip().upper()
        if len(head) <= len(SENTINEL) and SENTINEL.startswith(head):
            return ""
        return raw

    def parse(self, raw: str) -> tuple[list[int] | None, str]:
        """(declared evidence numbers, or None when the format declares none; answer text);
        a refusal is ``([], "")``."""
        if raw.strip().upper().startswith(SENTINEL) or not raw.strip():
            return [], ""
        return None, raw


_HEADER = re.compile(r"^\s*Evidence:\s*(?P<sel>[^\n]*)\n(?:Answer:\s?)?", re.I)


@dataclass(frozen=True)
class CiteFirst:
    """``Evidence: 2, 5`` (or ``none``), a newline, then ``Answer: ...`` with markers."""

    name: str = "cite-first"
    system_prompt: str = "system_cite_first"
    answer_prompt: str = "answer_cite_first"
    max_sentences: int = 3

    def grammar(self, n_evidence: int) -> str:
        """A GBNF grammar allowing only evidence numbers 1..``n_evidence``.

        >>> "n ::= \\"1\\" | \\"2\\"" in CiteFirst().grammar(2)
        True
        """
        numbers = " | ".join(f'"{i}"' for i in range(1, max(1, n_evidence) + 1))
        more = f'(" " sentence){{0,{self.max_sentences - 1}}}'
        return "\n".join([
            'root ::= "Evidence: " ("none" "\\n" | nums "\\nAnswer: " body)',
            'nums ::= n (", " n){0,5}',
            f"n ::= {numbers}",
            f"body ::= sentence {more}",
            'sentence ::= text " " cite+ "."',
            'text ::= [^\\[\\]\\n] [^\\[\\]\\n]*',
            'cite ::= "[" n "]"',
        ])

    def visible(self, raw: str) -> str:
        m = _HEADER.match(raw)
        if m is None or "answer:" not in m.group(0).lower():
            return ""
        return raw[m.end():].lstrip()

    def parse(self, raw: str) -> tuple[list[int] | None, str]:
        m = _HEADER.match(raw)
        if m is None:
            return FreeText().parse(raw)  # a model that ignored the format: read it as text
        declared = [int(x) for x in re.findall(r"\d+", m.group("sel"))]
        if not declared:
            return [], ""
        return declared, raw[m.end():].strip()


FORMATS = {"free": FreeText(), "cite-first": CiteFirst()}


def choose(setting: str, supports_grammar: bool) -> FreeText | CiteFirst:
    """``auto`` picks cite-first for models that take a grammar (embedded llama.cpp)."""
    if setting == "auto":
        return FORMATS["cite-first" if supports_grammar else "free"]
    return FORMATS[setting]
