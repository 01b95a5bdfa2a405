"""Numeric derivatives that adapt to the scale of the point: central
differences over a ladder of shrinking steps, combined by Richardson
extrapolation (Ridders' method), each with its own error estimate.

Why not one fixed step: an absolute step of 1e-6 is too big where the
function changes fast or near an edge of its domain (``tanh(1e6 * x)`` at 0,
``log`` at 1e-5) and too small where ``x`` is large (``x * 1.0`` at 1e15,
where 1e-6 is below the spacing of floats). Here the first step is
``first_step * max(|x|, 1)``, then it halves, up to ``MAX_LEVELS`` times, and
stops early as soon as an extrapolated value is known to the accuracy the
caller asked for. Steps where the function cannot be evaluated (outside its
domain, or overflowing) are skipped until one works.

A central difference with step h is off by ``c1 h² + c2 h⁴ + ...``
(truncation) plus about ``ulp(f) / h`` (rounding). Richardson extrapolation
cancels the ``h²``, ``h⁴`` ... terms from pairs of steps; the difference
between neighbouring entries of the tableau estimates the error, and the
entry with the smallest such estimate is the answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

__all__ = ["Estimate", "NoStep", "derivative"]

MAX_LEVELS = 50
"""At most this many successful steps (each half the last)."""

MAX_COLUMNS = 6
"""Richardson extrapolation goes at most this many orders deep (h², h⁴, ... h¹²)."""

CHECK_RATIO = 2.0**-10
"""A settled estimate is confirmed by one plain central difference with a step
this much smaller: with steps far larger than the period of an oscillation
(``sin`` at 1e10, stepping by 1e7) the differences can settle on an alias."""

SETTLED = 0.01
"""An estimate is final once its error is below this fraction of what the
caller allows."""

MAX_TRIES = 1100
"""Steps tried in all, failed ones included (enough to halve down to subnormals)."""


class Estimate(NamedTuple):
    """One numeric derivative: the value, its own error estimate, the step it
    came from, and the rounding noise of a central difference at that step."""

    value: float
    error: float
    step: float
    noise: float


class _Failed(NamedTuple):
    """A step where f could not be evaluated: which side, and why."""

    sign: str
    cause: BaseException


class _Differences(NamedTuple):
    """Central differences at one step (a list per component of f)."""

    values: list[float]
    noise: list[float]
    step: float


class NoStep(ValueError):
    """The function could not be evaluated at any step around the point."""

    def __init__(self, sign: str, point: float, first: float, last: float,
                 cause: BaseException) -> None:
        super().__init__(sign, point, first, last, cause)
        self.sign, self.point, self.first, self.last, self.cause = sign, point, first, last, cause


def derivative(
    f: Callable[[float], Sequence[float]],
    x: float,
    first_step: float,
    allowed: Callable[[float], float],
) -> list[Estimate]:
    """d f/d x at ``x`` for each component of ``f`` (a function returning a
    sequence of floats), by Ridders' method.

    ``allowed(value)`` is the error the caller can live with at a value (for
    gradcheck, ``atol + rtol * |value|``). Estimates are ranked by their error
    relative to it (an absolute ranking would prefer small garbage from steps
    that straddle a pole over a large right value), and the search stops once
    every component's error is below ``SETTLED`` of it (after at least two
    steps, and confirmed by a step ``CHECK_RATIO`` times smaller), or after
    ``MAX_LEVELS`` steps. Raises :class:`NoStep` if ``f`` fails on every step.
    """
    h = first_step * max(abs(x), 1.0)
    smallest = 16.0 * math.ulp(x) if x != 0.0 else 1e-300
    best: list[Estimate] | None = None
    aliased: list[Estimate] | None = None  # what settled on an alias, if anything did
    rows: list[list[list[float]]] = []  # the tableau: rows[k][j] is a list of components
    failure = _Failed("+", ValueError("no step was small enough"))
    first = h
    tries = levels = 0
    while h > smallest and levels < MAX_LEVELS and tries < MAX_TRIES:
        tries += 1
        sides = _sides(f, x, h)
        if isinstance(sides, _Failed):
            failure = sides
            rows = []  # the ladder broke: extrapolate only over consecutive steps
            h *= 0.5
            continue
        levels += 1
        best = _extrapolate(rows, sides, best, allowed)
        if levels >= 2 and all(e.error <= SETTLED * allowed(e.value) for e in best):
            check = h * CHECK_RATIO
            if _confirmed(f, x, check, best, allowed):
                return best
            h, rows, best, aliased = check, [], None, best  # an alias: go on below
            continue
        h *= 0.5
    if best is None and aliased is None:
        raise NoStep(failure.sign, x, first, h * 2.0, failure.cause)
    return best or aliased or []


def _extrapolate(rows: list[list[list[float]]], sides: _Differences,
                 best: list[Estimate] | None, allowed: Callable[[float], float]
                 ) -> list[Estimate]:
    """Add the central differences at one more (halved) step to the tableau
    ``rows`` as a new row of Richardson extrapolations; return the best
    estimates so far."""
    row = [sides.values]
    for j in range(1, min(len(rows), MAX_COLUMNS - 1) + 1):
        factor = 4.0**j
        row.append([(factor * a - b) / (factor - 1.0)
                    for a, b in zip(row[j - 1], rows[-1][j - 1])])
        errors = [max(abs(r - a), abs(r - b))
                  for r, a, b in zip(row[j], row[j - 1], rows[-1][j - 1])]
        best = _better(best, row[j], errors, sides, allowed)
    rows.append(row)
    if best is None:  # one step alone: no error estimate yet
        best = [Estimate(d, math.inf, sides.step, n) for d, n in zip(sides.values, sides.noise)]
    return best


def _confirmed(
    f: Callable[[float], Sequence[float]], x: float, h: float, best: list[Estimate],
    allowed: Callable[[float], float],
) -> bool:
    """Whether a plain central difference with the small step h agrees with
    every settled estimate, up to its own rounding noise."""
    sides = _sides(f, x, h)
    if isinstance(sides, _Failed):
        return True  # nothing to contradict the estimate
    return all(max(abs(d - e.value) - 10.0 * n, 0.0) <= 10.0 * SETTLED * allowed(e.value)
               for e, d, n in zip(best, sides.values, sides.noise))


def _sides(f: Callable[[float], Sequence[float]], x: float, h: float) -> _Differences | _Failed:
    """The central differences of f at x with step h, the rounding noise of
    each, and the step actually taken; or which side failed and why."""
    upper, lower = x + h, x - h
    try:
        above = f(upper)
    except (ArithmeticError, ValueError) as error:
        return _Failed("+", error)
    try:
        below = f(lower)
    except (ArithmeticError, ValueError) as error:
        return _Failed("-", error)
    width = upper - lower
    differences = [(a - b) / width for a, b in zip(above, below)]
    if not all(math.isfinite(d) for d in differences):
        return _Failed("+", OverflowError("the difference of f's values overflowed"))
    noise = [(math.ulp(a) + math.ulp(b)) / width for a, b in zip(above, below)]
    return _Differences(differences, noise, width / 2.0)


def _better(
    best: list[Estimate] | None, values: list[float], errors: list[float],
    sides: _Differences, allowed: Callable[[float], float],
) -> list[Estimate]:
    """``best`` with each component replaced where the new error is smaller
    relative to what is allowed. An error estimate is never below the rounding
    noise: extrapolating values that rounding made equal would otherwise look
    exact."""
    fresh = [Estimate(v, max(e, n), sides.step, n)
             for v, e, n in zip(values, errors, sides.noise)]
    if best is None:
        return fresh
    return [new if _score(new, allowed) < _score(old, allowed) else old
            for new, old in zip(fresh, best)]


def _score(estimate: Estimate, allowed: Callable[[float], float]) -> float:
    """An estimate's error relative to what is allowed at its value."""
    room = allowed(estimate.value)
    if room > 0:
        return estimate.error / room
    return 0.0 if estimate.error == 0 else math.inf
