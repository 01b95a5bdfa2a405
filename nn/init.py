"""Weight initialisations: where a neuron's first weights are drawn from.

Every scheme draws from a ``random.Random``-like source (anything with
``uniform`` and ``gauss``), by default Python's global ``random`` module, so
that ``random.seed(s)`` fixes the weights exactly as it does in micrograd.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

__all__ = ["INITS", "RandomSource", "draw_weights", "make_rng"]


RandomSource = Any
"""Python's ``random`` module or a ``random.Random``: anything with
``uniform(a, b)`` and ``gauss(mu, sigma)``."""


def _uniform(rng: RandomSource, fan_in: int, fan_out: int) -> float:
    """micrograd's choice: uniform on (-1, 1), whatever the layer's size."""
    return rng.uniform(-1, 1)


def _xavier(rng: RandomSource, fan_in: int, fan_out: int) -> float:
    """Xavier/Glorot uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out))."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound)


def _he(rng: RandomSource, fan_in: int, fan_out: int) -> float:
    """He/Kaiming normal for ReLU layers: N(0, 2 / fan_in)."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


INITS: dict[str, Callable[[RandomSource, int, int], float]] = {
    "uniform": _uniform,
    "xavier": _xavier,
    "glorot": _xavier,
    "he": _he,
    "kaiming": _he,
}
"""Initialisation schemes by name; each draws one weight."""


def draw_weights(
    init: str, fan_in: int, fan_out: int, rng: RandomSource | None = None
) -> list[float]:
    """``fan_in`` weights for one neuron, drawn with scheme ``init`` from ``rng``
    (Python's global ``random`` when None)."""
    try:
        scheme = INITS[init]
    except (KeyError, TypeError):
        raise ValueError(
            f"init: unknown initialisation {init!r}; choose one of {', '.join(INITS)}"
        ) from None
    source = random if rng is None else rng
    return [scheme(source, fan_in, fan_out) for _ in range(fan_in)]


def make_rng(seed: int | random.Random | None) -> random.Random | None:
    """A generator for ``seed``: None keeps Python's global ``random`` (micrograd
    parity), an int seeds a private ``random.Random``, a ``Random`` is used as is."""
    if seed is None or isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed: expected an int, a random.Random or None, got {seed!r}")
