"""An op's own forward and derivatives, evaluated on numpy arrays (one lane per sample).

Nothing here restates what an op computes. For each op, in this order:

1. ``op.array_forward`` when the op declares one (see the proposed ``define_op`` hook);
2. ``op.forward`` called on arrays as it is (``operator.add`` and friends, and any
   definition written with plain arithmetic), or, for a bare ``math`` function, the
   numpy ufunc of the same name;
3. ``np.frompyfunc`` over the float definition: correct for every op, only slower.

A candidate from 1-2 is used only after it reproduces the float definition on
sample points drawn from the op's own domains; derivatives are treated the same
way (called on arrays, checked, else run lane by lane). Results are cached per op.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from engine.op import Op

__all__ = ["array_derivative", "array_forward", "first_failing_lane"]

ArrayFunction = Callable[..., Any]

_PROBES = (0.3, 1.7, -0.6, 2.5, -1.9, 0.85, -0.35, 3.1)


def _probe_lanes(op: Op) -> list[np.ndarray] | None:
    """Sample points inside each input's domain, lanes where the float forward works."""
    columns = []
    for domain in op.domains:
        inside = [
            x for x in _PROBES
            if domain.low < x < domain.high and all(x != a for a in domain.avoid)
        ]
        if len(inside) < 2:
            low = domain.low if math.isfinite(domain.low) else domain.high - 4.0
            inside = [low + 0.25 * k for k in range(1, 9)]
            inside = [x for x in inside if x < domain.high and x not in domain.avoid]
        columns.append([inside[k % len(inside)] for k in range(len(_PROBES))])
    lanes = []
    for point in zip(*columns):
        try:
            op.evaluate(*point)
        except (ArithmeticError, ValueError, TypeError):
            continue
        lanes.append(point)
    if len(lanes) < 2:
        return None
    return [np.array(column, dtype=float) for column in zip(*lanes)]


def _agrees(candidate: ArrayFunction, reference: Callable[..., float], args: list[np.ndarray]
            ) -> bool:
    """Whether ``candidate`` on arrays matches ``reference`` lane by lane."""
    try:
        with np.errstate(all="ignore"):
            result = np.asarray(candidate(*args), dtype=float)
        expected = np.array([reference(*point) for point in zip(*args)], dtype=float)
    except Exception:  # any failure on arrays (or at a probe) means: not array-aware
        return False
    if result.shape not in ((), expected.shape):
        return False
    return bool(np.allclose(result, expected, rtol=1e-12, atol=1e-300))


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
    """``op``'s forward on arrays of equal shape (or broadcastable ones)."""
    probes = _probe_lanes(op)
    candidates = [getattr(op, "array_forward", None), op.forward, _numpy_twin(op.forward)]
    for candidate in candidates:
        if candidate is not None and probes is not None and _agrees(candidate, op.forward, probes):
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

    probes = _probe_lanes(op)
    if probes is not None:
        forward = array_forward(op)
        with np.errstate(all="ignore"):
            out = np.asarray(forward(*probes), dtype=float)
        direct = _direct(derivative, takes_output)
        if _agrees(direct, on_floats, [*probes, out]):
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
