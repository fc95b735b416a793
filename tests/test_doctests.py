"""Every module in ``rag/`` has its doctests run (worked examples in docstrings stay true)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rag

MODULES = sorted(m.name for m in pkgutil.walk_packages(rag.__path__, "rag.")
                 if not m.name.endswith("__main__"))


def test_every_module_is_listed():
    assert {"rag.engine", "rag.figures", "rag.citations", "rag.llms.scripted"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
