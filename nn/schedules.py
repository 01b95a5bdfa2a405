"""Learning-rate schedules: callables from step number ``k`` to a learning rate.

``linear(1.0, 0.1, 100)`` is micrograd's demo schedule ``1.0 - 0.9*k/100``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.checks import short_repr
from nn.optim import hyperparameter

__all__ = ["Schedule", "as_schedule", "constant", "cosine", "linear"]

Schedule = Callable[[int], float]


def _positive_steps(steps: Any, where: str) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"{where}: steps must be a positive integer, got {short_repr(steps)}")
    return int(steps)


def _rates(schedule: Any, name: str) -> None:
    """Check a schedule's ``start`` and ``end`` learning rates."""
    hyperparameter(schedule.start, f"{name} start")
    hyperparameter(schedule.end, f"{name} end")


@dataclass(frozen=True)
class constant:
    """The same learning rate at every step."""

    lr: float

    def __post_init__(self) -> None:
        hyperparameter(self.lr, "constant lr")

    def __call__(self, k: int) -> float:
        """The learning rate at step ``k``."""
        return self.lr


@dataclass(frozen=True)
class linear:
    """From ``start`` at step 0 down (or up) to ``end`` at step ``steps``, in a
    straight line: ``start - (start - end) * k / steps``, then ``end``."""

    start: float
    end: float
    steps: int

    def __post_init__(self) -> None:
        _positive_steps(self.steps, "linear")
        _rates(self, "linear")

    def __call__(self, k: int) -> float:
        """The learning rate at step ``k`` (``end`` after the last step)."""
        return self.start - (self.start - self.end) * min(k, self.steps) / self.steps


@dataclass(frozen=True)
class cosine:
    """Cosine annealing from ``start`` at step 0 to ``end`` at step ``steps``:
    ``end + (start - end) * (1 + cos(pi * k / steps)) / 2``."""

    start: float
    end: float
    steps: int

    def __post_init__(self) -> None:
        _positive_steps(self.steps, "cosine")
        _rates(self, "cosine")

    def __call__(self, k: int) -> float:
        """The learning rate at step ``k``."""
        k = min(k, self.steps)
        return self.end + (self.start - self.end) * (1.0 + math.cos(math.pi * k / self.steps)) / 2


def as_schedule(lr: float | Schedule) -> Schedule:
    """A schedule for ``lr``: a number becomes :class:`constant`, a callable stays."""
    if callable(lr):
        return lr
    return constant(hyperparameter(lr, "lr (a number or a schedule k -> lr)"))
