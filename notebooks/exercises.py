"""Checks for the notebooks' exercises: each says clearly whether an answer is right.

A notebook imports this file from its own folder (``from exercises import check``).
Every check raises ``AssertionError`` with a message naming the exercise when the
answer is wrong, so a notebook run in CI fails loudly if a pre-filled answer breaks.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any


def _numbers(x: Any) -> list[float]:
    """``x`` as a flat list of floats (a number, a ``Value``, a numpy array or
    scalar, or a sequence of them)."""
    if isinstance(x, numbers.Real):
        return [float(x)]
    if isinstance(getattr(x, "data", None), numbers.Real):  # a Value
        return [float(x.data)]
    if hasattr(x, "tolist"):  # numpy
        x = x.tolist()
    if isinstance(x, Iterable):
        return [value for item in x for value in _numbers(item)]
    raise TypeError(f"expected a number or a list of numbers, got {x!r}")


def check(what: str, got: Any, expected: Any, *, tol: float = 1e-6, hint: str = "") -> None:
    """Print a tick if ``got`` equals ``expected`` within ``tol``; else raise, naming ``what``."""
    got_numbers, expected_numbers = _numbers(got), _numbers(expected)
    right = len(got_numbers) == len(expected_numbers) and all(
        math.isclose(g, e, rel_tol=tol, abs_tol=tol)
        for g, e in zip(got_numbers, expected_numbers)
    )
    if not right:
        message = f"{what}: not yet. You have {_show(got_numbers)}"
        message += f", expected {_show(expected_numbers)}."
        raise AssertionError(message + (f" Hint: {hint}" if hint else ""))
    print(f"✓ {what}: {_show(got_numbers)}")


def check_that(what: str, condition: bool, problem: str) -> None:
    """Print a tick if ``condition`` holds; else raise with ``problem`` explaining what is wrong."""
    if not condition:
        raise AssertionError(f"{what}: not yet. {problem}")
    print(f"✓ {what}")


def check_order(order_of: Callable[[Any], list[Any]], output: Any) -> None:
    """Check that ``order_of(output)`` lists every node of ``output``'s graph once,
    children before the nodes made from them."""
    order = order_of(output)
    reachable, stack = set(), [output]
    while stack:
        node = stack.pop()
        if id(node) not in reachable:
            reachable.add(id(node))
            stack.extend(node.children)
    position = {id(node): k for k, node in enumerate(order)}
    check_that("every node listed once", len(position) == len(order) == len(reachable),
               f"the graph has {len(reachable)} nodes; your order lists {len(order)} entries "
               f"({len(position)} different nodes).")
    late = [(node, child) for node in order for child in node.children
            if position.get(id(child), len(order)) > position[id(node)]]
    check_that("children before the nodes made from them", not late,
               f"{late[0][1]!r} comes after {late[0][0]!r}, which was computed from it."
               if late else "")
    check_that("the output comes last", bool(order) and order[-1] is output,
               "the last entry is not the output.")


def _show(numbers: list[float]) -> str:
    """A short, readable rendering of a list of numbers (a single one without brackets)."""
    shown = [f"{n:.6g}" for n in numbers]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"
