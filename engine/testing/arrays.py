"""Property-test an op on numpy arrays (what batched mode runs) against its
float ``forward``."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.checks import short_repr
from engine.op import Domain, Op
from engine.testing.strategies import magnitudes, resolve, values

__all__ = ["check_array_forward"]

def check_array_forward(op: Op | str, *, max_examples: int = 200) -> bool:
    """Search for inputs where ``op`` on arrays disagrees with ``op.forward``.

    Checks the function batched mode runs for ``op``: its declared
    ``array_forward``, else the array function :mod:`engine.batch` picked.
    Hypothesis draws batches of 1 to 8 lanes, each argument from the op's
    ``Domain`` at every scale (1e-12 to 1e12, both signs) and near 1; lanes
    where the float forward fails or is not finite are skipped. Each lane
    must agree to ``engine.batch.arrays.RTOL`` (1e-12) relative. Returns True, or raises
    ``AssertionError`` naming the op, the (shrunk) lane and both values.

    >>> import numpy as np
    >>> from engine import define_op
    >>> from engine.testing import temporary_ops
    >>> with temporary_ops():
    ...     cube = define_op("cube_checked", lambda x: x ** 3, [lambda x: 3 * x ** 2],
    ...                      array_forward=lambda x: x ** 3)
    ...     check_array_forward(cube)
    True
    """
    op = resolve(op, "check_array_forward")
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError("check_array_forward: max_examples must be an int >= 1, "
                         f"got {short_repr(max_examples)}")
    function = op.array_forward if op.array_forward is not None else _batched(op)
    lane = st.tuples(*(_anywhere(domain) for domain in op.domains))

    @settings(max_examples=max_examples)
    @given(st.lists(lane, min_size=1, max_size=8))
    def agrees(lanes: list[tuple[float, ...]]) -> None:
        _compare(op, function, lanes)

    agrees()
    return True


def _batched(op: Op) -> Any:
    """The array function batched mode uses for an op without ``array_forward``."""
    from engine.batch.arrays import array_forward  # numpy-only layer, imported when used

    return array_forward(op)


def _anywhere(domain: Domain) -> st.SearchStrategy[float]:
    """Inputs at every scale and near 1, inside the domain."""
    return st.one_of(magnitudes(domain, smallest=1e-12, largest=1e12),
                     values(domain, bound=20.0, margin=0.0))


def _compare(op: Op, function: Any, lanes: list[tuple[float, ...]]) -> None:
    """Raise AssertionError at the first lane where arrays and floats differ."""
    from engine.batch.arrays import disagreement  # numpy-only layer, imported when used

    wrong = disagreement(function, op.evaluate, lanes, min_lanes=0)
    if wrong is not None:
        raise AssertionError(
            f"check_array_forward: {op.name} on arrays gives {wrong.on_arrays!r} at "
            f"{', '.join(repr(x) for x in wrong.point)}, but forward gives {wrong.expected!r}")
