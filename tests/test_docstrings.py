"""Every example in a docstring of engine, nn and viz runs as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import engine
import nn
import viz
from engine.testing import temporary_ops

SUBMODULES = sorted(
    info.name
    for package in (engine, nn, viz)
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
)
MODULES = ["engine", "nn", "viz", *SUBMODULES]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    with temporary_ops():  # examples may define ops; keep the registry as it was
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_the_packages_have_examples() -> None:
    finder = doctest.DocTestFinder()
    examples = sum(
        len(test.examples)
        for name in MODULES
        for test in finder.find(importlib.import_module(name))
    )
    assert examples >= 20
