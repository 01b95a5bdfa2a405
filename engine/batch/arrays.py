"""An op's own forward and derivatives, evaluated on numpy arrays (one lane per sample).

Nothing here restates what an op computes. For each op, in this order:

1. ``op.array_forward`` when the op declares one (``define_op(..., array_forward=...)``);
2. ``op.forward`` called on arrays as it is (``operator.add`` and friends, and any
   definition written with plain arithmetic), or, for a bare ``math`` function, the
   numpy ufunc of the same name;
3. ``np.frompyfunc`` over the float definition: correct for every op, only slower.

What is checked: a candidate from 1-2 must reproduce the float definition (to 1e-12
relative) at every probe lane — per input, both signs of 1e-6, 1e-3, 0.3 ... 15, 42,
150, 1e3, 1e5 and 1e8, plus points 1e-6, 1e-3 and 0.5 inside each finite edge of the
op's ``Domain`` and on both sides of each point it avoids; for several inputs, every
combination (up to 1,024 lanes). Lanes where the float definition fails or is not
finite are left out. A declared ``array_forward`` that disagrees is an error naming the
op and the lane; the guesses of 2 are simply not used. Derivatives are treated the
same way (called on arrays, checked, else run lane by lane). Results are cached per op.
Probes are not a proof: ``engine.testing.check_array_forward`` searches further.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from engine.checks import short_repr
from engine.op import Domain, Op

__all__ = ["array_derivative", "array_forward", "first_failing_lane"]

ArrayFunction = Callable[..., Any]

_MAGNITUDES = (1e-6, 1e-3, 0.3, 0.85, 1.7, 2.5, 3.1, 7.5, 15.0, 42.0, 150.0, 1e3, 1e5, 1e8)
_INSIDE = (1e-6, 1e-3, 0.5)  # how far inside an edge, or beside an avoided point
_MAX_LANES = 1024


def _probe_column(domain: Domain) -> list[float]:
    """Probe values for one input: every scale of both signs, and points near the
    domain's edges and avoided points, all inside the domain."""
    points = [sign * m for m in _MAGNITUDES for sign in (1.0, -1.0)]
    for edge, inward in ((domain.low, 1.0), (domain.high, -1.0)):
        if math.isfinite(edge):
            points += [edge + inward * d * max(1.0, abs(edge)) for d in _INSIDE]
    for p in domain.avoid:
        points += [p + sign * d * max(1.0, abs(p)) for d in _INSIDE for sign in (1.0, -1.0)]
    return [x for x in dict.fromkeys(points)
            if domain.low < x < domain.high and x not in domain.avoid]


@cache
def _probe_lanes(op: Op) -> list[tuple[float, ...]]:
    """Probe points (lanes) for ``op``: every combination of its inputs' probe values
    (cycled instead when there would be more than ``_MAX_LANES``), keeping the lanes
    where the float forward gives a finite result."""
    columns = [_probe_column(domain) for domain in op.domains]
    if math.prod(len(c) for c in columns) <= _MAX_LANES:
        points = list(itertools.product(*columns))
    else:
        points = [tuple(c[(k * (j + 1) + j) % len(c)] for j, c in enumerate(columns))
                  for k in range(_MAX_LANES)]
    lanes = []
    for point in points:
        try:
            op.evaluate(*point)
        except (ArithmeticError, ValueError, TypeError):
            continue
        lanes.append(point)
    return lanes


RTOL = 1e-12
"""How far (relative) an op on arrays may be from its float forward: a few ulps of
numpy's and libm's rounding."""


class Disagreement(NamedTuple):
    """Where a function on arrays and the float definition differ (or why it failed)."""

    point: tuple[float, ...]
    on_arrays: Any
    expected: Any


def disagreement(candidate: ArrayFunction, reference: Callable[..., float],
                 lanes: list[tuple[float, ...]], min_lanes: int = 2) -> Disagreement | None:
    """The first lane where ``candidate`` on arrays differs from ``reference`` on
    floats by more than ``RTOL`` (lanes where ``reference`` fails or is not finite
    are skipped), None if they agree everywhere; a candidate that fails on arrays
    disagrees everywhere, and so does one left with fewer than ``min_lanes`` lanes
    to compare (with none and ``min_lanes=0``: no verdict, None)."""
    expected, kept = [], []
    for point in lanes:
        try:
            value = float(reference(*point))
        except Exception:  # the reference fails here: no verdict from this lane
            continue
        if math.isfinite(value):
            expected.append(value)
            kept.append(point)
    if len(kept) < min_lanes:
        return Disagreement(lanes[0] if lanes else (), "no lanes", "to compare")
    if not kept:
        return None
    args = [np.array(column, dtype=float) for column in zip(*kept)]
    try:
        with np.errstate(all="ignore"):
            result = np.broadcast_to(np.asarray(candidate(*args), dtype=float), args[0].shape)
    except Exception as error:  # not array-aware (or broken on arrays)
        return Disagreement(kept[0], f"{type(error).__name__}: {error}", expected[0])
    close = np.isclose(result, expected, rtol=RTOL, atol=1e-300)
    if close.all():
        return None
    lane = int(np.flatnonzero(~close)[0])
    return Disagreement(kept[lane], float(result[lane]), expected[lane])


def _lane_by_lane(function: Callable[..., float], arity: int) -> ArrayFunction:
    """``function`` applied to each lane: the always-correct slow path."""
    ufunc = np.frompyfunc(function, arity, 1)

    def apply(*args: Any) -> np.ndarray:
        return np.asarray(ufunc(*args), dtype=float)

    return apply


def _numpy_twin(function: Callable[..., Any]) -> ArrayFunction | None:
    """The numpy ufunc named like a ``math`` function (``math.exp`` -> ``np.exp``)."""
    if getattr(function, "__module__", None) != "math":
        return None
    twin = getattr(np, getattr(function, "__name__", ""), None)
    return twin if isinstance(twin, np.ufunc) else None


@cache
def array_forward(op: Op) -> ArrayFunction:
    """``op``'s forward on arrays of equal shape (or broadcastable ones).

    Raises ``ValueError`` naming the op if its declared ``array_forward`` disagrees
    with its ``forward`` at a probe lane (see the module docstring)."""
    lanes = _probe_lanes(op)
    declared = getattr(op, "array_forward", None)
    if declared is not None:
        wrong = disagreement(declared, op.forward, lanes)
        if wrong is None:
            return declared
        raise ValueError(
            f"{op.name}: array_forward disagrees with forward at "
            f"{', '.join(repr(x) for x in wrong.point)}: {short_repr(wrong.on_arrays, 80)} on "
            f"arrays, {short_repr(wrong.expected)} from forward; fix array_forward "
            "(engine.testing.check_array_forward searches for such points)")
    for candidate in (op.forward, _numpy_twin(op.forward)):
        if candidate is not None and disagreement(candidate, op.forward, lanes) is None:
            return candidate
    return _lane_by_lane(op.forward, op.arity)


@cache
def array_derivative(op: Op, index: int) -> ArrayFunction | float:
    """The ``index``-th local derivative of ``op`` on arrays: a function of the input
    arrays and the output array, or the derivative's constant."""
    derivative = op.derivatives[index]
    takes_output = op.takes_output[index]
    if takes_output is None:
        return float(derivative)  # type: ignore[arg-type]
    assert callable(derivative)

    def on_floats(*xs_and_out: float) -> float:
        xs = xs_and_out[:-1]
        return float(derivative(*xs_and_out) if takes_output else derivative(*xs))

    lanes = _probe_lanes(op)
    if lanes:
        outputs = [op.evaluate(*point) for point in lanes]
        direct = _direct(derivative, takes_output)
        with_output = [(*point, out) for point, out in zip(lanes, outputs)]
        if disagreement(direct, on_floats, with_output) is None:
            return direct
    return _lane_by_lane(on_floats, op.arity + 1)


def _direct(derivative: Callable[..., Any], takes_output: bool) -> ArrayFunction:
    """The derivative called on arrays as written, always given the output last."""
    if takes_output:
        return derivative
    return lambda *xs_and_out: derivative(*xs_and_out[:-1])


def first_failing_lane(op: Op, args: list[np.ndarray]) -> tuple[int, BaseException]:
    """The first lane where the float forward of ``op`` fails or is not finite,
    with the engine's own error for it (which names the op and its operands)."""
    lanes = np.broadcast_arrays(*args)
    for lane, point in enumerate(zip(*(a.tolist() for a in lanes))):
        try:
            op.evaluate(*point)
        except (ArithmeticError, ValueError, TypeError) as error:
            return lane, error
    with np.errstate(all="ignore"):
        result = np.broadcast_to(np.asarray(array_forward(op)(*lanes), dtype=float),
                                 lanes[0].shape)
    lane = int(np.flatnonzero(~np.isfinite(result))[0])
    operands = ", ".join(repr(float(a[lane])) for a in lanes)
    return lane, ValueError(f"{op.name}({operands}): result is {result[lane]} on arrays")
