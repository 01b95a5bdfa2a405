"""Matplotlib plots: a 2-D classifier's decision boundary and training curves.

matplotlib is the optional ``plot`` extra, imported only when a plot is made.
Both functions return the Figure and, given ``path``, save it atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine import Value, no_grad
from engine.files import atomic_path
from viz.labels import data_of

__all__ = ["plot_decision_boundary", "plot_history"]


def _pyplot(where: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            f"{where} needs matplotlib: pip install glassgrad[plot]"
        ) from None
    return plt


def _new_axes(plt: Any, ax: Any, ncols: int = 1, width: float = 5.0) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, 4.2), layout="constrained")
    plt.close(fig)  # returned, not left open: Jupyter shows it once, loops do not leak
    return fig, axes


def _save(fig: Any, path: str | os.PathLike[str] | None) -> None:
    if path is None:
        return
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=120, format=Path(path).suffix.lstrip(".") or "png")


def _one_sample(model: Callable[..., Any], where: str) -> Callable[[np.ndarray], np.ndarray]:
    """Batch a model that takes one sample (a list of floats) and returns a
    Value, a number, or a list of them (class scores)."""

    def predict(points: np.ndarray) -> np.ndarray:
        rows: list[Any] = []
        with no_grad():
            for point in points:
                out = model([float(v) for v in point])
                if isinstance(out, (list, tuple)):
                    rows.append([data_of(o, f"{where}: the model's output") for o in out])
                else:
                    rows.append(data_of(out, f"{where}: the model's output"))
        return np.asarray(rows, dtype=float)

    return predict


def _takes_one_sample(predict: Callable[..., Any], point: np.ndarray) -> bool:
    """Whether ``predict`` is a model of one sample: called on a list of two
    floats (under ``no_grad``) it returns a Value or a list of Values."""
    try:
        with no_grad():
            out = predict([float(v) for v in point])
    except (TypeError, ValueError, IndexError, KeyError, AttributeError):
        return False  # e.g. numpy indexing p[:, 0] on a list: an array function
    if isinstance(out, (list, tuple)):
        return bool(out) and all(isinstance(o, Value) for o in out)
    return isinstance(out, Value)


def plot_decision_boundary(
    predict: Callable[..., Any],
    X: Any,
    y: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    ax: Any = None,
    resolution: int = 50,
    batched: bool | None = None,
    title: str | None = None,
) -> Any:
    """Plot the regions a 2-D classifier assigns to each class, with the data.

    ``predict`` maps an (n, 2) array to n scores (class by sign for ±1 labels,
    else by 0.5) or to (n, k) class scores (argmax); or it is a model called
    on one sample (a list of two floats) returning a Value or a list of
    Values -- then it runs under ``engine.no_grad()`` on a ``resolution`` x
    ``resolution`` grid (the default 50 keeps that to a few seconds).
    ``batched`` forces either reading (default: a model is recognised by
    returning Values for one sample). Returns the Figure.
    """
    where = "plot_decision_boundary"
    if not callable(predict):
        raise TypeError(f"{where}: predict must be callable, got {type(predict).__name__}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{where}: X must have shape (n, 2) with n >= 1, got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"{where}: y must have shape ({len(X)},), got {y.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{where}: X contains NaN or infinite values")
    if not isinstance(resolution, int) or isinstance(resolution, bool) or resolution < 2:
        raise ValueError(f"{where}: resolution must be an integer >= 2, got {resolution!r}")
    plt = _pyplot(where)
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 0.25
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    if batched is None:
        batched = not _takes_one_sample(predict, grid[0])
    run = predict if batched else _one_sample(predict, where)
    scores = np.asarray(run(grid), dtype=float)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.shape[0] != len(grid) or scores.ndim not in (1, 2):
        raise ValueError(
            f"{where}: predict returned shape {scores.shape} for {len(grid)} points; "
            "expected (n,) scores or (n, k) class scores"
        )
    if not np.isfinite(scores).all():
        raise ValueError(f"{where}: predict returned NaN or infinite scores")
    classes = np.unique(y)
    if scores.ndim == 2:
        regions = scores.argmax(axis=1)
    else:
        threshold = 0.0 if classes.min() < 0 else 0.5
        regions = (scores > threshold).astype(int)
    fig, axes = _new_axes(plt, ax)
    levels = np.arange(regions.max() + 2) - 0.5
    axes.contourf(gx, gy, regions.reshape(gx.shape), levels=levels, cmap="coolwarm", alpha=0.35)
    if scores.ndim == 1:
        axes.contour(gx, gy, scores.reshape(gx.shape), levels=[threshold], colors="k",
                     linewidths=1)
    axes.scatter(X[:, 0], X[:, 1], c=np.searchsorted(classes, y), cmap="coolwarm",
                 s=22, edgecolors="k", linewidths=0.5)
    axes.set_xlim(lo[0], hi[0])
    axes.set_ylim(lo[1], hi[1])
    if title:
        axes.set_title(title)
    _save(fig, path)
    return fig


def _series(history: Mapping[str, Any], key: str) -> list[float] | None:
    values = history.get(key)
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"plot_history: history[{key!r}] must be a list of numbers")
    result = []
    for i, v in enumerate(values):
        result.append(data_of(v, f"plot_history: history[{key!r}][{i}]"))
    return result


def plot_history(
    history: Mapping[str, Any], *, path: str | os.PathLike[str] | None = None
) -> Any:
    """Plot training curves from ``{"loss": [...], "accuracy": [...]}``, with
    ``"val_loss"``/``"val_accuracy"`` too when present (accuracy is optional),
    against the step number counted from 1, as ``fit``'s progress shows it.
    Returns the Figure."""
    if not isinstance(history, Mapping):
        raise TypeError(f"plot_history: history must be a dict, got {type(history).__name__}")
    if "loss" not in history:
        raise ValueError(f"plot_history: history needs a 'loss' list, got keys {list(history)}")
    curves = {k: _series(history, k) for k in ("loss", "val_loss", "accuracy", "val_accuracy")}
    panels = [("loss", "val_loss")]
    if curves["accuracy"] is not None or curves["val_accuracy"] is not None:
        panels.append(("accuracy", "val_accuracy"))
    plt = _pyplot("plot_history")
    fig, axes = _new_axes(plt, None, ncols=len(panels), width=4.5)
    axes = np.atleast_1d(axes)
    for axis, keys in zip(axes, panels):
        for key, style in zip(keys, ("-", "--")):
            values = curves[key]
            if values:
                axis.plot(range(1, len(values) + 1), values, style, label=key.replace("_", " "))
        axis.set_xlabel("step")
        axis.set_title(keys[0])
        axis.grid(alpha=0.3)
        axis.legend()
    _save(fig, path)
    return fig
