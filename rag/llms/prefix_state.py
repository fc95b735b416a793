"""The system prompt, read once per machine: llama.cpp's state after reading it, saved to a file.

Reading the default model's system prompt (170 tokens) takes ~1.9 s on 2 cores; restoring the
saved state takes ~5 ms (a 5 MB file). So a new process (``python -m rag ask``, the app, the
API server) starts as if it had read the prompt, and questions read only their own evidence.

The file is a cache, never trusted beyond its name: the name hashes everything the state
depends on (the model file, the text, the context size, threads and batch, the llama.cpp
build and this CPU, since another CPU's kernels give slightly different numbers), and a file
llama.cpp cannot read is deleted and the prompt read again. It is written atomically
(``rag.cachefile``); only the newest state per model file is kept.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import platform
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.cachefile import replace_atomically

log = logging.getLogger(__name__)

SUFFIX = ".kvstate"


@lru_cache(maxsize=1)
def _machine() -> str:
    """This CPU as llama.cpp's kernels see it: model name and feature flags."""
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith(("model name", "flags", "Features")):
                cpu += "|" + line.split(":", 1)[-1].strip()
                if line.startswith(("flags", "Features")):
                    break
    except OSError:
        cpu += "|" + platform.processor()
    return cpu


def state_path(folder: Path, model_path: str, text: str, n_ctx: int, n_threads: int,
               n_batch: int) -> Path:
    """Where the state after reading ``text`` with this model and these settings is kept."""
    import llama_cpp

    model = Path(model_path)
    stat = model.stat()
    key = "\n".join(map(str, (model.resolve(), stat.st_size, stat.st_mtime_ns, n_ctx,
                              n_threads, n_batch, llama_cpp.__version__, _machine(), text)))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    return folder / f"{model.name}.{digest}{SUFFIX}"


def restore(llama: Any, path: Path) -> bool:
    """Load the state at ``path`` into ``llama`` (True), or leave it empty (False: no file,
    or one llama.cpp rejects, which is then deleted). Call with the model's lock held."""
    import llama_cpp
    import numpy as np

    if not path.is_file():
        return False
    capacity = llama.n_ctx()
    tokens = (llama_cpp.llama_token * capacity)()
    count = ctypes.c_size_t(0)
    ok = llama_cpp.llama_state_load_file(llama._ctx.ctx, str(path).encode(), tokens, capacity,
                                         ctypes.byref(count))
    if not ok or not 0 < count.value <= capacity:
        log.warning("The saved prompt state %s could not be read; reading the prompt again.",
                    path)
        path.unlink(missing_ok=True)
        llama.reset()  # n_tokens 0: the next read clears whatever the failed load left
        return False
    n = count.value
    llama.input_ids[:n] = np.ctypeslib.as_array(tokens)[:n]
    llama.n_tokens = n  # so that llama-cpp-python matches the next prompt's prefix to it
    return True


def save(llama: Any, path: Path) -> None:
    """Write ``llama``'s current state to ``path`` atomically and drop older states of the
    same model file; a failure is logged and otherwise ignored (the file is only a cache)."""
    import llama_cpp

    n = llama.n_tokens
    tokens = (llama_cpp.llama_token * n)(*llama.input_ids[:n])
    def write(tmp: Path) -> None:
        if not llama_cpp.llama_state_save_file(llama._ctx.ctx, str(tmp).encode(), tokens, n):
            raise OSError("llama.cpp could not write it")

    try:
        replace_atomically(path, write)
        model_name = path.name.rsplit(".", 2)[0]  # no glob: a file name may hold "[" or "*"
        for old in path.parent.iterdir():
            if (old != path and old.name.endswith(SUFFIX)
                    and old.name.rsplit(".", 2)[0] == model_name):
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("Could not save the prompt state to %s (%s); the prompt is read again "
                    "at the next start.", path, exc)
