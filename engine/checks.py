"""The one family of input checks: finite real numbers, and short quotes of
bad input for error messages. ``engine``, ``nn`` and ``viz`` all use these.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["cut", "listed", "short_repr", "to_float", "to_float_array"]

QUOTE_LIMIT = 60
"""How many characters of an offending value an error message quotes."""


def short_repr(x: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(x)`` cut to ``limit`` characters (with ``...``), and never failing:
    a huge int or a broken ``__repr__`` still gives a readable quote."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 200:
        return f"an int of about {int(x.bit_length() * math.log10(2)) + 1} digits"
    try:
        text = repr(x)
    except Exception:  # a user's __repr__ may raise anything
        text = f"<{type(x).__name__} object>"
    return cut(text, limit)


def cut(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_float(x: Any, where: str) -> float:
    """``x`` as a finite float, or a ``TypeError``/``ValueError``/``OverflowError``
    that names ``where`` and quotes what was given. Accepts int, float and any
    real number type (numpy scalars, fractions); rejects bool, complex, strings,
    containers."""
    if type(x) is float or type(x) is int or (
        isinstance(x, numbers.Real) and not isinstance(x, bool)
    ):
        try:
            value = float(x)
        except OverflowError:
            raise OverflowError(f"{where}: {short_repr(x, 40)} is too large for a float") from None
    else:
        raise TypeError(
            f"{where}: expected a real number, got {type(x).__name__} {short_repr(x)}")
    if not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {short_repr(x)}")
    return value


def listed(items: Any, where: str) -> list[Any]:
    """``items`` (any iterable) as a list, or a ``TypeError`` naming ``where``
    and quoting what was given if it is not iterable."""
    try:
        return list(items)
    except TypeError:
        raise TypeError(
            f"{where}: expected a list, got {type(items).__name__} {short_repr(items)}") from None


def to_float_array(x: Any, where: str) -> Any:
    """``x`` as a float64 numpy array, or a ``TypeError`` naming ``where`` if it
    is not an array (or nested list) of real numbers: strings, complex numbers,
    bools, objects and ragged lists are refused rather than converted or cut."""
    import numpy  # only array callers pay for it

    try:
        array = numpy.asarray(x)
    except (TypeError, ValueError):  # ragged nesting, a failing __array__
        array = None
    if array is None or array.dtype.kind not in "iuf":
        kind = "ragged" if array is None else f"{array.dtype} array"
        raise TypeError(f"{where} must be an array of real numbers, got {kind} {short_repr(x)}")
    return array.astype(float, copy=False)
