"""Optional judged metrics (``--judge SPEC``): faithfulness and answer relevance.

A judge model rates each answered item from 1 to 5 with the prompts in
``prompts/judge_faithfulness.txt`` and ``prompts/judge_relevance.txt``; a rating ``r`` is
reported as ``(r - 1) / 4``, so 5 -> 1.0 and 3 -> 0.5. A reply without a digit from 1 to 5
is counted as a judge failure, not as a score. Refusals are not judged.

    >>> parse_rating("Score: 4"), parse_rating("I cannot tell")
    (0.75, None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_core.language_models.chat_models import BaseChatModel

from rag import prompts
from rag.evidence import format_evidence
from rag.types import Evidence

_RATING = re.compile(r"(?<!\d)([1-5])(?!\d)")


def parse_rating(reply: str) -> float | None:
    """The first digit 1-5 in the judge's reply, scaled to 0..1."""
    match = _RATING.search(reply or "")
    return None if match is None else (int(match.group(1)) - 1) / 4


@dataclass
class Judge:
    """A chat model that rates answers; ``name`` is its spec, recorded in the report."""

    llm: BaseChatModel
    name: str
    failures: int = 0
    calls: int = field(default=0)

    def _rate(self, prompt: str, **values: str) -> float | None:
        self.calls += 1
        try:
            reply = self.llm.invoke(prompts.render(prompt, **values), max_tokens=8)
            rating = parse_rating(reply.text if hasattr(reply, "text") else str(reply))
        except Exception:  # a failing judge call costs one score, never the run
            rating = None
        if rating is None:
            self.failures += 1
        return rating

    def faithfulness(self, answer: str, evidence: list[Evidence]) -> float | None:
        """How much of the answer the evidence shown to the model supports."""
        if not evidence:
            return None
        return self._rate("judge_faithfulness", evidence=format_evidence(evidence),
                          answer=answer)

    def relevance(self, question: str, answer: str) -> float | None:
        """How directly the answer addresses the question."""
        return self._rate("judge_relevance", question=question, answer=answer)
