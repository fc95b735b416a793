"""Prompt templates live as files in ``prompts/``; variables are ``{name}`` placeholders.

    >>> render("answer", evidence="[1] Peskov spoke.", question="Who spoke?").splitlines()[-1]
    'Question: Who spoke?'

A missing variable is an error (never a silently empty prompt).
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from rag.config import PROJECT_ROOT
from rag.errors import ConfigError

PROMPTS_DIR = PROJECT_ROOT / "prompts"


@cache
def load(name: str, folder: Path = PROMPTS_DIR) -> str:
    """The text of ``prompts/<name>.txt``."""
    path = folder / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise ConfigError(f"Prompt file {path} is missing; restore it from the repository.") from None


def variables(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def render(name: str, **values: str) -> str:
    """Fill a prompt file's placeholders; every placeholder must be given."""
    template = load(name)
    missing = variables(template) - set(values)
    if missing:
        raise ConfigError(f"Prompt {name!r} needs {', '.join(sorted(missing))}.")
    return template.format(**values)
