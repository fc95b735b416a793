"""Writing a cache file so that a crash leaves the old file or the new one, never half of one.

The saved keyword index (``rag.keywords``) and the saved system prompt state
(``rag.llms.prefix_state``) are both written this way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through ``write(temporary path)``, a file in the same folder, then
    rename it into place. The temporary file is removed on any failure; errors propagate."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
