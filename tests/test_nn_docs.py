"""The examples in nn's docstrings run as written."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["nn", "nn.losses", "nn.optim"])
def test_docstring_examples(name):
    failed, attempted = doctest.testmod(importlib.import_module(name))
    assert attempted > 0 and failed == 0
