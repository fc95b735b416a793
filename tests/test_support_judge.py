"""The entailment judge of the support check (RAG_SUPPORT_JUDGE=model): how it asks, what its
replies do to an answer, and the real embedded model's reading of two real sentences."""

import pytest
from langchain_core.messages import AIMessage

from rag import prompts
from rag.config import Settings
from rag.engine import build_engine
from rag.entailment import check
from rag.errors import ConfigError
from rag.llms.scripted import ScriptedChatModel
from rag.support_judge import ModelJudge, build_judge
from tests.conftest import make_settings
from tests.test_entailment import BANKAMERICA_FELL, n_of, seed, text

SYSTEM = prompts.load("system")


@pytest.mark.parametrize("reply, said", [("Yes", True), (" no.", False), ("NO", False),
                                         ("Maybe", None), ("", None), ("yesterday", None)])
def test_the_judge_reads_a_one_word_reply(reply, said):
    judge = ModelJudge(ScriptedChatModel(replies=[reply]), SYSTEM)
    assert judge("Brazil resumed interest payments.", BANKAMERICA_FELL) is said


def test_the_judge_asks_with_the_answers_system_prompt_and_one_pair():
    model = ScriptedChatModel(replies=["no"])
    ModelJudge(model, SYSTEM)("Brazil resumed interest payments.", BANKAMERICA_FELL)
    (messages,) = model.calls
    assert messages[0].type == "system" and messages[0].text == SYSTEM  # its KV state reused
    assert "Sentence: Brazil resumed interest payments." in messages[1].text
    assert "Quote: BankAmerica stock fell this week, along with other banking issues" in \
        messages[1].text  # line breaks of the report folded


def test_a_failing_judge_leaves_the_lexical_verdict():
    class Broken(ScriptedChatModel):
        def _generate(self, *args, **kwargs):
            raise TimeoutError("the server went away")

    judge = ModelJudge(Broken(), SYSTEM)
    assert judge("Brazil resumed interest payments.", BANKAMERICA_FELL) is None
    result = check("BankAmerica stock fell this week [1].", [text(BANKAMERICA_FELL)], judge=judge)
    assert result.sentences[0].supported == (1,)


def test_a_no_drops_what_the_words_let_through_and_a_yes_keeps_it():
    evidence = [text(BANKAMERICA_FELL)]
    answer = "Brazil resumed interest payments on its foreign debt [1]."
    assert check(answer, evidence).sentences[0].supported == (1,)  # the words alone pass it
    assert not check(answer, evidence, judge=ModelJudge(ScriptedChatModel(replies=["no"]),
                                                        SYSTEM)).kept
    assert check(answer, evidence, judge=ModelJudge(ScriptedChatModel(replies=["yes"]),
                                                    SYSTEM)).kept


def test_the_judge_reads_only_cited_pairs_and_the_one_a_marker_moves_to():
    """A wrong marker is searched for a better one without the judge; the judge confirms the
    one it would move to (here it says no, so the sentence goes)."""
    evidence = [seed("specifically rejected assertions", 3), seed("should not worry anyone", 1),
                seed("deflected questions", 2)]
    answer = ("The Kremlin said Russia's partnership with North Korea should not worry anyone "
              "as it isn't directed against other nations [3].")
    question = "What did the Kremlin say about Russia's partnership with North Korea?"
    model = ScriptedChatModel(replies=["no"])
    judge = ModelJudge(model, SYSTEM)
    result = check(answer, evidence, question, judge)
    assert not result.kept
    quoted = [m[1].text.split("Quote: ")[1].split("\n")[0] for m in model.calls]
    assert quoted == [" ".join(seed("should not worry anyone").text.split())]
    assert check(answer, evidence, question, ModelJudge(ScriptedChatModel(replies=["yes"]),
                                                        SYSTEM)).sentences[0].move_to == 1


def test_the_engine_asks_the_judge_it_is_set_up_with(tmp_path, seed_store):
    def reply(messages):
        p = messages[-1].text
        if p.startswith("Check one sentence"):
            return "No"
        return f"Kim Jong Gyu dismissed the reports as rumors [{n_of(p, 'Kim Jong Gyu')}]."

    settings = make_settings(tmp_path, support_judge="model")
    model = ScriptedChatModel(replies=reply)
    engine = build_engine(settings, llm=model, store=seed_store, model_name="scripted")
    answer = engine.answer("Who is Kim Jong Gyu?")
    assert not answer.answerable
    assert "the judge found no support" in answer.refusal_reason
    assert sum(m[-1].text.startswith("Check one sentence") for m in model.calls) == 1
    off = build_engine(make_settings(tmp_path), llm=ScriptedChatModel(replies=reply),
                       store=seed_store, model_name="scripted")
    assert off.judge is None and off.answer("Who is Kim Jong Gyu?").answerable


def test_an_unknown_judge_is_a_config_error_naming_the_variable():
    with pytest.raises(ConfigError, match="RAG_SUPPORT_JUDGE"):
        Settings.resolve(env={}, support_judge="nli")
    assert build_judge("off", ScriptedChatModel(), SYSTEM) is None


@pytest.mark.slow
def test_the_embedded_model_reads_a_reversal_and_a_restatement(tmp_path):
    """The default model's own probabilities: "resumed" against "suspended" is a no, a
    sentence that restates its quote a yes (real sentences; the lexical check passes both)."""
    from rag.llms import build_chat_model

    llm = build_chat_model("local", make_settings(tmp_path))
    judge = ModelJudge(llm, SYSTEM)
    reversal = judge.messages("Brazil resumed interest payments on its foreign debt.",
                              BANKAMERICA_FELL)
    restated = judge.messages("South Korean Defense Minister Kim Yong Hyun warned that North "
                              "Korean soldiers could become cannon fodder.",
                              seed("cannon fodder").text)
    assert llm.yes_probability(reversal) < 0.3
    assert llm.yes_probability(restated) > 0.7
    assert isinstance(llm.invoke(restated, max_tokens=2), AIMessage)
