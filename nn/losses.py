"""Losses: per-sample functions of a model's outputs and targets, built from
engine ops so they run on ``Value`` graphs (and on floats), plus the L2 penalty.

Each :class:`Loss` also says how to encode class labels as numeric targets
and how to score accuracy, so :func:`nn.fit` can take plain labels.

>>> from engine import Value
>>> hinge(Value(0.5), 1.0).data
0.5
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import Value, name_scope, ops

__all__ = [
    "LOSSES",
    "Loss",
    "binary_cross_entropy",
    "get_loss",
    "hinge",
    "l2_penalty",
    "logsumexp",
    "mean",
    "mse",
    "softmax_cross_entropy",
]

Scalar = Value | float


def _listed(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def mean(values: Sequence[Scalar]) -> Any:
    """The average of ``values``, as micrograd's demo computes it:
    ``sum(values) * (1.0 / len(values))``."""
    if len(values) == 0:
        raise ValueError("mean: no values to average")
    with name_scope("mean"):
        return sum(values) * (1.0 / len(values))


def mse(output: Scalar | Sequence[Scalar], target: float | Sequence[Any]) -> Any:
    """Squared error of one sample, averaged over its outputs:
    ``mean((o_j - t_j) ** 2)``."""
    outs, targets = _listed(output), _listed(target)
    if len(outs) != len(targets):
        raise ValueError(f"mse: {len(outs)} output(s) but {len(targets)} target(s)")
    with name_scope("mse"):
        return mean([(o - t) ** 2 for o, t in zip(outs, targets)])


def hinge(score: Scalar, target: Any) -> Any:
    """SVM max-margin loss of one sample, ``relu(1 - y * score)``, for a
    target ``y`` of -1 or +1 (micrograd's demo)."""
    with name_scope("hinge"):
        return ops.relu(1 + -target * score)


def binary_cross_entropy(logit: Scalar, target: Any) -> Any:
    """Cross-entropy of a logit ``z`` against a target ``t`` in [0, 1]:
    ``softplus(z) - t * z``, which equals ``-t log σ(z) - (1-t) log(1-σ(z))``
    without ever taking the log of a rounded-off 0."""
    with name_scope("binary_cross_entropy"):
        return ops.softplus(logit) - target * logit


def _logaddexp(a: Any, b: Any) -> Any:
    """log(e^a + e^b) = max(a, b) + softplus(-|a - b|), with max written as
    ``a/2 + b/2 + |a - b|/2`` (halved first, so 1e308 and 1e308 do not overflow;
    a tie sends half the gradient to each): stable, and only engine ops."""
    gap = ops.abs(a - b)
    return a * 0.5 + b * 0.5 + gap * 0.5 + ops.softplus(-gap)


def logsumexp(values: Sequence[Scalar]) -> Any:
    """``log(sum(exp(v)))`` over ``values`` without overflow.

    Values are combined pairwise, as a balanced tree: the graph is only
    log2(n) ``logaddexp`` deep, which batched mode runs in fewer steps."""
    level = list(values)
    if not level:
        raise ValueError("logsumexp: no values")
    while len(level) > 1:
        paired = [_logaddexp(a, b) for a, b in zip(level[::2], level[1::2])]
        level = paired + level[len(paired) * 2:]
    return level[0]


def softmax_cross_entropy(logits: Sequence[Scalar], target: Sequence[Any]) -> Any:
    """Cross-entropy of ``softmax(logits)`` against a target distribution
    (usually one-hot): ``logsumexp(logits) - sum(t_j * z_j)``."""
    zs, ts = _listed(logits), _listed(target)
    if len(zs) != len(ts):
        raise ValueError(f"softmax_cross_entropy: {len(zs)} logit(s) but {len(ts)} target(s)")
    if len(zs) < 2:
        raise ValueError("softmax_cross_entropy: needs at least 2 classes (logits); "
                         "for one logit use binary_cross_entropy")
    with name_scope("softmax_cross_entropy"):
        picked = sum((t * z for t, z in zip(ts, zs) if not (type(t) is float and t == 0.0)), 0.0)
        return logsumexp(zs) - picked


def l2_penalty(params: Iterable[Value], alpha: float = 1.0) -> Any:
    """``alpha * sum(p * p)``: micrograd's demo regulariser with alpha=1e-4."""
    with name_scope("l2_penalty"):
        return alpha * sum(p * p for p in params)


@dataclass(frozen=True)
class Loss:
    """A per-sample loss with what training needs to know about it.

    ``fn(outputs, targets)`` is the loss of one sample; ``encode(y, nout)``
    turns labels into an (n, k) array of numeric targets; ``accuracy(outputs,
    y)`` scores an (n, nout) array of outputs against the labels.
    """

    name: str
    fn: Callable[[Any, Any], Any]
    encode: Callable[[np.ndarray, int], np.ndarray]
    accuracy: Callable[[np.ndarray, np.ndarray], float]

    def __call__(self, outputs: Any, targets: Any) -> Any:
        """The loss of one sample."""
        return self.fn(outputs, targets)


def _single(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Adapt a one-output loss to lists: ``[score]``, ``[target]``."""
    def adapted(outputs: Any, targets: Any) -> Any:
        (out,), (target,) = _listed(outputs), _listed(targets)
        return fn(out, target)
    return adapted


def _need_outputs(name: str, nout: int, single: bool) -> None:
    if single and nout != 1:
        raise ValueError(f"{name} loss needs a model with 1 output, this one has {nout}")
    if not single and nout < 2:
        raise ValueError(f"{name} loss needs a model with one output per class (2 or more)")


def _check_labels(y: np.ndarray, loss: str, expected: str, *choices: set[float]) -> None:
    """Raise ``ValueError`` naming ``loss`` and the offending labels unless
    every label of ``y`` comes from one of the ``choices`` of label sets."""
    present = np.unique(y)
    if any(np.isin(present, sorted(choice)).all() for choice in choices):
        return
    known = np.isin(present, sorted(set().union(*choices)))
    bad = present[~known] if not known.all() else present
    shown = ", ".join(f"{x:g}" if isinstance(x, float) else repr(x)[:20]
                      for x in bad[:5].tolist()) + (", ..." if len(bad) > 5 else "")
    raise ValueError(f"{loss} loss: labels must be {expected}, got {shown}")


def _encode_sign(y: np.ndarray, nout: int) -> np.ndarray:
    _need_outputs("hinge", nout, single=True)
    _check_labels(y, "hinge", "-1/+1 or 0/1", {-1.0, 1.0}, {0.0, 1.0})
    return np.where(y > 0, 1.0, -1.0).reshape(-1, 1)


def _encode_binary(y: np.ndarray, nout: int) -> np.ndarray:
    _need_outputs("bce", nout, single=True)
    _check_labels(y, "bce", "0 or 1", {0.0, 1.0})
    return np.where(y > 0, 1.0, 0.0).reshape(-1, 1)


def _encode_one_hot(y: np.ndarray, nout: int, loss: str = "softmax") -> np.ndarray:
    _need_outputs(loss, nout, single=False)
    _check_labels(y, loss, f"class numbers 0..{nout - 1}", set(range(nout)))
    return np.eye(nout)[np.asarray(y).astype(int)]


def _encode_mse(y: np.ndarray, nout: int) -> np.ndarray:
    if nout == 1:
        return np.asarray(y, dtype=float).reshape(-1, 1)
    return _encode_one_hot(y, nout, "mse")


def _sign_accuracy(outputs: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((outputs[:, 0] > 0) == (np.asarray(y) > 0)))


def _argmax_accuracy(outputs: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(outputs, axis=1) == np.asarray(y)))


def _nearest_label_accuracy(outputs: np.ndarray, y: np.ndarray) -> float:
    """For one regression output trained on labels: the share of samples whose
    output is nearest to their own label among all labels seen."""
    if outputs.shape[1] > 1:
        return _argmax_accuracy(outputs, y)
    y = np.asarray(y, dtype=float)
    labels = np.unique(y)
    nearest = labels[np.argmin(np.abs(outputs[:, :1] - labels[None, :]), axis=1)]
    return float(np.mean(nearest == y))


LOSSES: dict[str, Loss] = {
    "hinge": Loss("hinge", _single(hinge), _encode_sign, _sign_accuracy),
    "bce": Loss("bce", _single(binary_cross_entropy), _encode_binary, _sign_accuracy),
    "softmax": Loss("softmax", softmax_cross_entropy, _encode_one_hot, _argmax_accuracy),
    "mse": Loss("mse", mse, _encode_mse, _nearest_label_accuracy),
}
"""The losses :func:`nn.fit` and ``glassgrad train`` know by name."""


def get_loss(loss: str | Loss) -> Loss:
    """``loss`` itself, or the :class:`Loss` registered under that name."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"loss: unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
