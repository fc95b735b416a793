"""The embedding model without torch: int8 MiniLM on onnxruntime, behind one interface."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embeddings import EmbeddingModel, OnnxMiniLM, build_embeddings
from rag.errors import ModelFileError
from tests.conftest import make_settings


def test_vectors_are_unit_length_and_ranked_by_meaning(embeddings):
    v = embeddings.encode(["North Korean troops arrived in Russia.",
                           "Soldiers from Pyongyang were sent to the Russian Far East.",
                           "The festival drew a record crowd of visitors."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert embeddings.embed_query("x") == pytest.approx(embeddings.encode(["x"])[0].tolist())
    # batching (length-sorted, padded per batch) does not change a text's vector
    alone = embeddings.encode(["Soldiers from Pyongyang were sent to the Russian Far East."])
    assert np.allclose(alone[0], v[1], atol=1e-5)


def test_every_backend_is_an_embedding_model_with_a_recorded_name(tmp_path, embeddings):
    assert isinstance(embeddings, EmbeddingModel)
    assert embeddings.name == "local:all-minilm-l6-v2-int8"  # not the old fp32 index's name
    assert isinstance(build_embeddings(make_settings(tmp_path)), OnnxMiniLM)


def test_a_changed_model_file_is_refused(tmp_path, embeddings):
    bad = tmp_path / "model.onnx"
    data = bytearray(embeddings.model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    tampered = OnnxMiniLM("local:x", bad, embeddings.tokenizer_file, embeddings.sha256)
    with pytest.raises(ModelFileError, match="SHA-256"):
        tampered.encode(["hello"])
