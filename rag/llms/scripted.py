"""A scripted chat model: a real LangChain chat model whose replies are given in advance.

Used by tests (and by anyone who wants to exercise the engine without a model). ``replies``
is a list consumed in order (the last one repeats), or a function of the messages; list items
may themselves be functions of the messages.

    >>> model = ScriptedChatModel(replies=["Peskov said so [1]."])
    >>> model.invoke("hi").content
    'Peskov said so [1].'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    replies: (list[str | Callable[[list[BaseMessage]], str]]
              | Callable[[list[BaseMessage]], str]) = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    model_name: str = "scripted"
    supports_grammar: bool = False  # True: the engine asks for cite-first replies
    grammars: list[str | None] = Field(default_factory=list)  # the grammar of each call
    supports_refusal_gate: bool = False  # True: the engine passes refusal= (free text)
    refusals: list[str | None] = Field(default_factory=list)  # the refusal= of each call

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _next(self, messages: list[BaseMessage], grammar: str | None = None) -> str:
        self.calls.append(list(messages))
        self.grammars.append(grammar)
        if callable(self.replies):
            return self.replies(messages)
        if not self.replies:
            return ""
        reply = self.replies[min(len(self.calls) - 1, len(self.replies) - 1)]
        return reply(messages) if callable(reply) else reply

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        self.refusals.append(kwargs.get("refusal"))
        text = self._next(messages, kwargs.get("grammar"))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self.refusals.append(kwargs.get("refusal"))
        for token in re.findall(r"\S+\s*|\s+", self._next(messages, kwargs.get("grammar"))):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk


# -- scripted:NAME specs --------------------------------------------------------------------
Reply = (list[str | Callable[[list[BaseMessage]], str]] | Callable[[list[BaseMessage]], str]
         | ScriptedChatModel)


def extractive(messages: list[BaseMessage]) -> str:
    """A model that answers with the first evidence sentence, cited: ``Text [1].``

    Follow-up rewriting gets an empty reply (the engine then joins the questions itself);
    a prompt without evidence gets the refusal sentinel.
    """
    prompt = messages[-1].text
    if "Follow-up question:" in prompt:
        return ""
    for line in prompt.splitlines():
        m = re.match(r"\[(\d+)\] (.*)", line)
        if m:
            return f"{m.group(2).rstrip('.')} [{m.group(1)}]."
    return "NOT IN REPORTS"


SCRIPTS: dict[str, Reply] = {"extractive": extractive, "refuse": ["NOT IN REPORTS"]}


def register_script(name: str, replies: Reply) -> str:
    """Make ``scripted:NAME`` answer with ``replies`` (or be the given model); returns the spec.

    Tests use this instead of patching the registry: the app, the CLI and the eval then build
    it like any model. A registered :class:`ScriptedChatModel` is returned itself, so a test
    can read its ``calls``."""
    SCRIPTS[name] = replies
    return f"scripted:{name}"


def build_scripted(name: str) -> ScriptedChatModel:
    if name not in SCRIPTS:
        from rag.errors import UnknownSpecError

        raise UnknownSpecError(f"Unknown scripted model {name!r}; known: "
                               f"{', '.join('scripted:' + n for n in SCRIPTS)} "
                               f"(tests add more with rag.llms.scripted.register_script).")
    script = SCRIPTS[name]
    if isinstance(script, ScriptedChatModel):
        return script
    return ScriptedChatModel(replies=script, model_name=f"scripted:{name}")
