"""The ``slow`` marker means what it says: only slow tests may load a llama.cpp model."""

import pytest

from rag.errors import ModelError
from rag.llms import build_chat_model
from tests.conftest import make_settings


def test_loading_a_real_model_outside_a_slow_test_fails(tmp_path):
    model = build_chat_model("local:smollm2-135m", make_settings(tmp_path))
    with pytest.raises((RuntimeError, ModelError), match="slow"):
        model.invoke("hi")
