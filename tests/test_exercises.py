"""The notebooks' answer checks (notebooks/exercises.py): a right answer gets a
tick, a wrong one an AssertionError that names the exercise and says what is
wrong, for numbers, Values, numpy scalars and arrays alike."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from engine import Value, topological_order

_spec = importlib.util.spec_from_file_location(
    "exercises", Path(__file__).parent.parent / "notebooks" / "exercises.py")
assert _spec is not None and _spec.loader is not None
exercises = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(exercises)


def test_right_answers_get_a_tick(capsys: pytest.CaptureFixture[str]) -> None:
    exercises.check("a number", 2.0, 2)
    exercises.check("a Value", Value(0.25), np.float64(0.25))
    exercises.check("a matrix", [[4.0, 2.0], [2.0, 12.0]], np.array([[4, 2], [2, 12]]))
    exercises.check_that("a condition", True, "unused")
    assert capsys.readouterr().out.count("✓") == 4


def test_wrong_answers_say_what_is_wrong() -> None:
    with pytest.raises(AssertionError, match=r"dq/da: not yet\. You have -6, expected -12\. "
                                             r"Hint: q = a²b"):
        exercises.check("dq/da", -6, -12, hint="q = a²b")
    with pytest.raises(AssertionError, match="expected"):
        exercises.check("two numbers", [1.0], [1.0, 2.0])
    with pytest.raises(AssertionError, match=r"the loss went down: not yet\. it rose"):
        exercises.check_that("the loss went down", False, "it rose")


def test_a_wrong_topological_order_is_explained() -> None:
    x = Value(3.0)
    y = x * x + x
    with pytest.raises(AssertionError, match="every node listed once"):
        exercises.check_order(lambda root: [root], y)
    with pytest.raises(AssertionError, match="comes after"):
        exercises.check_order(lambda root: list(reversed(topological_order(root))), y)

