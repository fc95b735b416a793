from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError


def test_argument_beats_environment_beats_default():
    assert Settings.resolve(env={}).k == 6
    assert Settings.resolve(env={"RAG_K": "9"}).k == 9
    assert Settings.resolve(env={"RAG_K": "9"}, k=3).k == 3


def test_invalid_value_names_the_variable():
    with pytest.raises(ConfigError, match="RAG_K"):
        Settings.resolve(env={"RAG_K": "many"})


def test_k_cap_and_floor():
    with pytest.raises(ConfigError, match="RAG_K"):
        Settings.resolve(env={}, k=0)
    with pytest.raises(ConfigError, match="cap"):
        Settings.resolve(env={}, k=500)


def test_require_names_the_variable():
    s = Settings.resolve(env={})
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        s.require("openai_api_key", "The model openai:gpt-4o-mini")


def test_paths_and_unknown_setting():
    s = Settings.resolve(env={"RAG_DATA_DIR": "/tmp/x"})
    assert s.data_dir == Path("/tmp/x") and s.chroma_dir == Path("/tmp/x/chroma")
    with pytest.raises(ConfigError, match="Unknown setting"):
        Settings.resolve(env={}, colour="red")


def test_dotenv_is_read_but_never_overrides(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RAG_K=7\nRAG_LLM=ollama:qwen2.5\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_LLM", "local:smollm2-135m")
    s = Settings.resolve()
    assert s.k == 7
    assert s.llm == "local:smollm2-135m"
