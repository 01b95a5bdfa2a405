"""Normalisations: ``RMSNorm`` and ``LayerNorm`` rescale one sample's
vector; ``BatchNorm`` normalises each feature across a batch of samples.

Each is written with engine ops, so every step is a node you can draw and
its gradient is checked like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine import Value
from engine.checks import short_repr, to_float
from nn.layers import _check_size, _scope_if_top_level, register_module
from nn.limits import claim_parameters
from nn.module import Module

__all__ = ["BatchNorm", "LayerNorm", "RMSNorm"]

Scalar = Value | float


def _vector(x: Any, dim: int, where: str) -> list[Any]:
    if not isinstance(x, (list, tuple)) or len(x) != dim:
        raise ValueError(f"{where}: expected a list of {dim} numbers or Values, "
                         f"got {short_repr(x)}")
    return list(x)


def _mean(xs: Sequence[Any]) -> Any:
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total * (1.0 / len(xs))


class _Affine(Module):
    """The optional learned gain ``g.<i>`` (starting at 1) and bias ``b.<i>``
    (starting at 0) a normalisation applies after rescaling."""

    def __init__(self, dim: int, affine: bool, eps: float, kind: str) -> None:
        self.dim = _check_size(dim, f"{kind} dim")
        self.eps = to_float(eps, f"{kind} eps")
        if self.eps <= 0:
            raise ValueError(f"{kind} eps: expected a number > 0, got {eps!r}")
        self.affine = bool(affine)
        claim_parameters(2 * self.dim if self.affine else 0, f"{kind}({self.dim})")
        with _scope_if_top_level(kind.lower()):
            self.g = [Value(1.0, label=f"g{i}") for i in range(self.dim)] if affine else []
            self.b = [Value(0.0, label=f"b{i}") for i in range(self.dim)] if affine else []

    def _scaled(self, xs: list[Any]) -> list[Any]:
        if not self.affine:
            return xs
        return [x * g + b for x, g, b in zip(xs, self.g, self.b)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``g.<i>`` then ``b.<i>`` when ``affine``; none otherwise."""
        return ([(f"g.{i}", g) for i, g in enumerate(self.g)]
                + [(f"b.{i}", b) for i, b in enumerate(self.b)])

    def config(self) -> dict[str, Any]:
        """``{"type": ..., "dim": ..., "eps": ..., "affine": ...}``."""
        return {"type": type(self).__name__, "dim": self.dim, "eps": self.eps,
                "affine": self.affine}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """A new normalisation with the architecture ``config``."""
        return cls(config["dim"], eps=config["eps"], affine=config["affine"])  # type: ignore[call-arg]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dim})"


@register_module
class RMSNorm(_Affine):
    """``x_i / sqrt(mean(x ** 2) + eps)``: one sample's vector rescaled to a
    root mean square of 1, as in microgpt (no learned gain unless ``affine``)."""

    def __init__(self, dim: int, *, eps: float = 1e-5, affine: bool = False) -> None:
        super().__init__(dim, affine, eps, "RMSNorm")

    def __call__(self, x: Any) -> list[Any]:
        """The normalised vector for one sample ``x`` (``dim`` numbers or Values)."""
        xs = _vector(x, self.dim, repr(self))
        scale = (_mean([xi * xi for xi in xs]) + self.eps) ** -0.5
        return self._scaled([xi * scale for xi in xs])


@register_module
class LayerNorm(_Affine):
    """``(x_i - mean(x)) / sqrt(var(x) + eps) * g_i + b_i`` over one sample's
    vector (the variance is the biased one, as in PyTorch)."""

    def __init__(self, dim: int, *, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__(dim, affine, eps, "LayerNorm")

    def __call__(self, x: Any) -> list[Any]:
        """The normalised vector for one sample ``x``."""
        xs = _vector(x, self.dim, repr(self))
        mu = _mean(xs)
        centred = [xi - mu for xi in xs]
        scale = (_mean([c * c for c in centred]) + self.eps) ** -0.5
        return self._scaled([c * scale for c in centred])


@register_module
class BatchNorm(_Affine):
    """Each of ``dim`` features normalised across a batch of samples.

    In training mode (``model.train()``) a call takes the whole batch, a list
    of samples of ``dim`` numbers or Values, normalises with the batch's mean
    and (biased) variance — graph nodes, so gradients flow through them — and
    updates the running statistics: ``running = (1 - momentum) * running +
    momentum * batch`` (the variance unbiased), as PyTorch does. In
    evaluation mode (``model.eval()``) it uses the running statistics as
    constants, so any batch size works, one sample included.

    ``state_dict()`` holds the running statistics too (``running_mean.<i>``,
    ``running_var.<i>``), so saving keeps them.
    """

    def __init__(
        self, dim: int, *, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        super().__init__(dim, affine, eps, "BatchNorm")
        self.momentum = to_float(momentum, "BatchNorm momentum")
        if not 0.0 <= self.momentum <= 1.0:
            raise ValueError(f"BatchNorm momentum: expected a number in [0, 1], got {momentum!r}")
        self.running_mean = [0.0] * self.dim
        self.running_var = [1.0] * self.dim

    def __call__(self, batch: Any) -> list[list[Any]]:
        """The normalised batch: one list of ``dim`` Values per sample."""
        if not isinstance(batch, (list, tuple)) or not batch:
            raise ValueError(f"{self!r}: expected a non-empty list of samples, "
                             f"got {short_repr(batch)}")
        rows = [_vector(sample, self.dim, f"{self!r} sample {n}") for n, sample in enumerate(batch)]
        if not self.training:
            columns = [[(row[i] - self.running_mean[i]) * (self.running_var[i] + self.eps) ** -0.5
                        for row in rows] for i in range(self.dim)]
        else:
            if len(rows) < 2:
                raise ValueError(f"{self!r}: training mode needs a batch of 2 or more samples "
                                 f"(got 1); call .eval() to use the running statistics")
            columns = [self._normalised([row[i] for row in rows], i) for i in range(self.dim)]
        return [self._scaled([columns[i][n] for i in range(self.dim)]) for n in range(len(rows))]

    def _normalised(self, column: list[Any], i: int) -> list[Any]:
        """Feature ``i`` across the batch, normalised; updates its running statistics."""
        mu = _mean(column)
        centred = [x - mu for x in column]
        var = _mean([c * c for c in centred])
        n, m = len(column), self.momentum
        self.running_mean[i] = (1 - m) * self.running_mean[i] + m * _number(mu)
        self.running_var[i] = (1 - m) * self.running_var[i] + m * _number(var) * n / (n - 1)
        scale = (var + self.eps) ** -0.5
        return [c * scale for c in centred]

    def config(self) -> dict[str, Any]:
        """``{"type": "BatchNorm", "dim", "eps", "momentum", "affine"}``."""
        return {**super().config(), "momentum": self.momentum}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BatchNorm:
        """A new ``BatchNorm`` with the architecture ``config``."""
        return cls(config["dim"], eps=config["eps"], momentum=config["momentum"],
                   affine=config["affine"])

    def _statistics(self) -> dict[str, float]:
        return {**{f"running_mean.{i}": v for i, v in enumerate(self.running_mean)},
                **{f"running_var.{i}": v for i, v in enumerate(self.running_var)}}

    def state_dict(self) -> dict[str, float]:
        """Parameters and running statistics by name."""
        return {**super().state_dict(), **self._statistics()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set parameters and running statistics from ``state``; all-or-nothing."""
        where = f"{self!r}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}: expected a mapping of names to numbers, "
                            f"got {type(state).__name__}")
        names = list(self._statistics())
        missing = [name for name in names if name not in state]
        if missing:
            raise ValueError(f"{where}: missing running statistics {', '.join(missing[:3])}")
        values = [to_float(state[name], f"{where}: {name!r}") for name in names]
        if any(v < 0 for v in values[self.dim:]):
            raise ValueError(f"{where}: a running variance is negative")
        super().load_state_dict({k: v for k, v in state.items() if k not in set(names)})
        self.running_mean, self.running_var = values[:self.dim], values[self.dim:]


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)
