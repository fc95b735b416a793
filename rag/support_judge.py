"""An entailment judge for the per-sentence support check (``RAG_SUPPORT_JUDGE``).

The lexical check (:mod:`rag.entailment`) cannot read every relation: "Brazil resumed interest
payments" shares its words with "Brazil has suspended interest payments". With
``RAG_SUPPORT_JUDGE=model`` the chat model that answers also reads each answer sentence
against each evidence sentence its markers cite (``prompts/judge_support.txt``) and says yes
or no. It is asked only where the words pass or nearly pass (half the share the lexical check
needs), never where a name, figure or relation already failed; its answer is the verdict: a no
drops the marker as a failed lexical check does, a yes keeps a pair whose words nearly pass.

    off     no judge (default): the lexical check alone
    model   the answering model; an embedded model answers from its first-token
            probabilities (yes when P(yes) > P(no), one prompt read and no token generated),
            a remote one with a one-word reply

Measured with the default embedded model (2-core CPU; session 8's note): ~1.2 s per sentence
pair, and it tells supported from unsupported pairs only weakly (AUC 0.70 on 35 labelled
pairs of the eval answers), so it is off by default. A stronger model reads relations better.

A judge that fails, or replies neither yes nor no, returns None: the lexical verdict stands,
and the answer is never lost to the judge.
"""

from __future__ import annotations

import re

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from rag import prompts
from rag.entailment import Judge
from rag.safety import prompt_text


class ModelJudge:
    """``judge(sentence, evidence_text) -> bool | None`` asked of a chat model."""

    def __init__(self, llm: BaseChatModel, system_prompt: str) -> None:
        self.llm = llm
        self.system_prompt = system_prompt  # the answer's: its KV state stays reusable

    def messages(self, sentence: str, evidence_text: str) -> list:
        evidence = " ".join(prompt_text(evidence_text).split())
        return [SystemMessage(self.system_prompt),
                HumanMessage(prompts.render("judge_support", evidence=evidence,
                                            sentence=sentence))]

    def __call__(self, sentence: str, evidence_text: str) -> bool | None:
        messages = self.messages(sentence, evidence_text)
        try:
            probability = getattr(self.llm, "yes_probability", None)
            if callable(probability):
                return probability(messages) > 0.5
            reply = self.llm.invoke(messages, max_tokens=3).text
        except Exception:  # noqa: BLE001 - a judge failure leaves the lexical verdict
            return None
        word = re.match(r"\W*(yes|no)\b", reply.lower())
        return None if word is None else word.group(1) == "yes"


def build_judge(name: str, llm: BaseChatModel, system_prompt: str) -> Judge | None:
    """The judge ``name`` (``rag.config.SUPPORT_JUDGES``, checked there) for ``llm``; None
    for ``off``."""
    return ModelJudge(llm, system_prompt) if name == "model" else None
