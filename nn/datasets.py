"""Toy datasets made with numpy, seeded, and the UCI 8x8 digits.

Every generator takes ``seed``: None draws from numpy's global generator
(so ``np.random.seed(1337)`` then ``make_moons(100, noise=0.1)`` gives
exactly scikit-learn's points, as in micrograd's demo), an int seeds a private
generator, and a ``np.random.Generator`` or ``RandomState`` is used as is.
Each returns ``(X, y)``: an (n, 2) float array and an int array of labels.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from engine.checks import short_repr, to_float

__all__ = [
    "DATASETS",
    "MAX_SAMPLES",
    "Split",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_generator",
    "make_moons",
    "make_spirals",
    "make_xor",
    "train_test_split",
]

Seed = int | np.random.Generator | np.random.RandomState | None


def make_generator(seed: Seed) -> Any:
    """The numpy generator for ``seed`` (numpy's counterpart of
    :func:`nn.init.make_rng`): None is numpy's global generator, an int seeds
    a new ``RandomState``, a ``Generator`` or ``RandomState`` is used as is."""
    if seed is None:
        return np.random.mtrand._rand  # numpy's global RandomState
    if isinstance(seed, (np.random.Generator, np.random.RandomState)):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if not 0 <= int(seed) < 2**32:
            raise ValueError(f"seed: expected an int from 0 to 2**32 - 1, got {short_repr(seed)}")
        return np.random.RandomState(int(seed))
    raise TypeError(f"seed: expected an int, a numpy generator or None, got {short_repr(seed)}")


MAX_SAMPLES = 10_000_000
"""The most samples a toy dataset generator makes (160 MB of 2-D points)."""


def _count(n: Any, where: str, least: int = 1, most: int = MAX_SAMPLES) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not least <= int(n) <= most:
        raise ValueError(f"{where}: expected an integer from {least} to {most:,}, "
                         f"got {short_repr(n)}")
    return int(n)


def _noise(noise: float | None, where: str) -> float:
    """``noise`` (None: 0) as a finite float >= 0, or an error naming ``where``."""
    value = 0.0 if noise is None else to_float(noise, where)
    if value < 0:
        raise ValueError(f"{where}: expected a number >= 0, got {short_repr(noise)}")
    return value


def _fraction(x: Any, where: str) -> float:
    """``x`` as a float strictly between 0 and 1, or an error naming ``where``."""
    value = to_float(x, where)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{where}: expected a number in (0, 1), got {short_repr(x)}")
    return value


def _shuffle_and_jitter(
    X: np.ndarray, y: np.ndarray, rng: Any, noise: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the rows, then add Gaussian noise (scikit-learn's order of draws)."""
    order = np.arange(len(y))
    rng.shuffle(order)
    X, y = X[order], y[order]
    if noise is not None:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y


def make_moons(
    n_samples: int = 100, noise: float | None = None, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (labels 0 and 1), as scikit-learn's
    ``make_moons``: the same points for the same generator state."""
    n = _count(n_samples, "make_moons n_samples", 2)
    _noise(noise, "make_moons noise")
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.column_stack([
        np.append(np.cos(t_out), 1 - np.cos(t_in)),
        np.append(np.sin(t_out), 1 - np.sin(t_in) - 0.5),
    ])
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    return _shuffle_and_jitter(X, y, make_generator(seed), noise)


def make_circles(
    n_samples: int = 100, noise: float | None = None, factor: float = 0.8, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A circle (label 0) around a smaller one of radius ``factor`` (label 1)."""
    n = _count(n_samples, "make_circles n_samples", 2)
    _noise(noise, "make_circles noise")
    factor = _fraction(factor, "make_circles factor")
    n_out, n_in = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.column_stack([
        np.append(np.cos(t_out), factor * np.cos(t_in)),
        np.append(np.sin(t_out), factor * np.sin(t_in)),
    ])
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    return _shuffle_and_jitter(X, y, make_generator(seed), noise)


def make_spirals(
    n_samples: int = 100, classes: int = 2, noise: float | None = 0.1, turns: float = 1.0,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms from the origin outwards, each
    ``turns`` turns long (labels 0..classes-1)."""
    n = _count(n_samples, "make_spirals n_samples", 2)
    k = _count(classes, "make_spirals classes", 2)
    _noise(noise, "make_spirals noise")
    turns = to_float(turns, "make_spirals turns")
    labels = np.arange(n) % k
    radius = (np.arange(n) // k + 1) / ((n - 1) // k + 1)
    angle = 2 * np.pi * (turns * radius + labels / k)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return _shuffle_and_jitter(X, labels.astype(np.intp), make_generator(seed), noise)


def make_xor(
    n_samples: int = 100, noise: float | None = None, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in the square (-1, 1)², label 1 where x·y > 0: the
    classic problem no linear model solves."""
    n = _count(n_samples, "make_xor n_samples", 1)
    _noise(noise, "make_xor noise")
    rng = make_generator(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.intp)
    if noise is not None:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y


def make_blobs(
    n_samples: int = 100, centers: int = 3, std: float = 0.5, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """``centers`` Gaussian clusters with standard deviation ``std``, centred
    evenly on a circle of radius 2 (labels 0..centers-1)."""
    n = _count(n_samples, "make_blobs n_samples", 1)
    k = _count(centers, "make_blobs centers", 1)
    _noise(std, "make_blobs std")
    angles = 2 * np.pi * np.arange(k) / k
    middles = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    labels = np.arange(n) % k
    rng = make_generator(seed)
    X, y = _shuffle_and_jitter(middles[labels], labels.astype(np.intp), rng, std)
    return X, y


class Split(NamedTuple):
    """A train/test split of a dataset."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: Seed = 0
) -> Split:
    """Shuffle the samples with ``seed`` and hold out ``test_fraction`` of them."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: {len(X)} samples but {len(y)} labels")
    test_fraction = _fraction(test_fraction, "train_test_split test_fraction")
    order = make_generator(seed).permutation(len(y))
    n_test = max(1, round(len(y) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Split(X[train], y[train], X[test], y[test])


def load_digits(test_fraction: float = 0.25, seed: Seed = 0) -> Split:
    """The UCI 8x8 handwritten digits (1,797 images, 64 pixels scaled to
    [0, 1], labels 0-9) from scikit-learn's offline copy, split with ``seed``.

    Needs scikit-learn: ``pip install glassgrad[digits]``.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn: pip install glassgrad[digits]"
                          ) from None
    digits = sklearn_digits()
    X = np.asarray(digits.data, dtype=float) / 16.0
    return train_test_split(X, np.asarray(digits.target, dtype=np.intp), test_fraction, seed)


DATASETS = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "xor": make_xor,
    "blobs": make_blobs,
}
"""The 2-D toy datasets by name (``glassgrad train --dataset``)."""
