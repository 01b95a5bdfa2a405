"""Shared test set-up: hypothesis profiles.

* ``ci`` (the default here, and what ``./run test`` selects): derandomized,
  so every run draws the same examples; no deadline, since a noisy 2-core
  machine must not fail a test on timing; no example database.
* ``dev``: random and four times the examples, for exploring locally:
  ``HYPOTHESIS_PROFILE=dev ./run test``.
"""

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from engine import Value

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=400,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """Python's default recursion limit (1000) for the test, whatever it was."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@pytest.fixture
def million_deep_chain() -> tuple[Value, Value]:
    """``(x, y)`` with y = -(-(...(-x))): x = 0.5 negated 1,000,000 times."""
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    return x, y
