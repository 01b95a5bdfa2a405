"""Optimizers: SGD (momentum, Nesterov, weight decay) and Adam, stepping each
parameter's ``.data`` by its ``.grad`` exactly as PyTorch's documented update
rules do.

>>> from engine import Value
>>> w = Value(1.0); w.grad = 0.5
>>> SGD([w], lr=0.1).step(); w.data
0.95
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from engine import Value
from engine.checks import short_repr, to_float

__all__ = ["SGD", "Adam", "Optimizer", "hyperparameter"]


def hyperparameter(x: Any, where: str, low: float = 0.0, below: float = math.inf) -> float:
    """``x`` as a finite float in [low, below), or a ``ValueError`` naming
    ``where`` and quoting ``x``: the one check of learning rates, momenta and
    other training settings."""
    try:
        value = to_float(x, where)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not low <= value < below:
        bound = "" if below == math.inf else f" and < {below}"
        raise ValueError(f"{where}: expected a finite number >= {low}{bound}, "
                         f"got {short_repr(x)}")
    return value


class Optimizer:
    """Holds the parameters and the learning rate ``lr`` (which a schedule may
    change between steps); subclasses implement :meth:`step`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: expected an iterable of parameters, "
                            f"got {short_repr(params)}") from None
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got no parameters to optimize")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameters must be Values, "
                                f"got {type(p).__name__}")
        self.lr = hyperparameter(lr, f"{type(self).__name__} lr")
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        raise NotImplementedError

    def _apply(self, data: list[float], **state: list[float]) -> None:
        """Finish a step atomically: check that every new parameter value and
        every new state number is finite, then write ``data`` into the
        parameters and ``state`` into the attributes of those names. A step
        that would overflow raises ``OverflowError`` naming the optimizer, the
        parameter and the number, and changes nothing."""
        for what, values in [("value", data), *state.items()]:
            if not math.isfinite(sum(values)):  # one fast pass; find the culprit if any
                for i, x in enumerate(values):
                    if not math.isfinite(x):
                        raise OverflowError(
                            f"{type(self).__name__}.step: {_describe(i, self.params[i])} "
                            f"(gradient {self.params[i].grad!r}) would get {what} {x}; "
                            f"nothing was changed (lower lr or clip gradients)")
        for name, values in state.items():
            setattr(self, name, values)
        for p, x in zip(self.params, data):
            p.data = x
        self.steps += 1


def _describe(i: int, p: Value) -> str:
    """'parameter 3 (layers.0.neurons.1.w0)': a parameter's place and name."""
    name = ".".join(part for part in (p.scope, p.label) if part)
    return f"parameter {i} ({name})" if name else f"parameter {i}"


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``:

    ``g = grad + weight_decay * p``; with momentum ``b = momentum * b +
    (1 - dampening) * g`` (``b = g`` on the first step) and ``g = b``, or
    ``g = g + momentum * b`` with ``nesterov``; then ``p -= lr * g``.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.01,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = hyperparameter(momentum, "SGD momentum")
        self.dampening = hyperparameter(dampening, "SGD dampening", below=1.0 + 1e-12)
        self.weight_decay = hyperparameter(weight_decay, "SGD weight_decay")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening 0")
        self.buffers: list[float] = []

    def step(self) -> None:
        """One SGD update of every parameter (all or nothing, see ``_apply``)."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if mu == 0.0:
            self._apply([p.data - lr * (p.grad + wd * p.data if wd else p.grad)
                         for p in self.params])
            return
        first = not self.buffers
        data, buffers = [], []
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd != 0.0 else p.grad
            b = g if first else mu * self.buffers[i] + (1.0 - self.dampening) * g
            buffers.append(b)
            data.append(p.data - lr * (g + mu * b if self.nesterov else b))
        self._apply(data, buffers=buffers)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (weight decay added to the gradient, not
    decoupled as in AdamW):

    ``g = grad + weight_decay * p``; ``m = b1 m + (1-b1) g``;
    ``v = b2 v + (1-b2) g²``; ``p -= lr * m̂ / (sqrt(v̂) + eps)`` with
    ``m̂ = m / (1 - b1^t)`` and ``v̂ = v / (1 - b2^t)``.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam betas: expected two numbers, got {short_repr(betas)}")
        self.betas = (hyperparameter(betas[0], "Adam betas[0]", below=1.0),
                      hyperparameter(betas[1], "Adam betas[1]", below=1.0))
        self.eps = hyperparameter(eps, "Adam eps")
        self.weight_decay = hyperparameter(weight_decay, "Adam weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every parameter (all or nothing, see ``_apply``)."""
        b1, b2 = self.betas
        t = self.steps + 1
        correction1 = 1.0 - b1 ** t
        correction2 = 1.0 - b2 ** t
        data, m, v = [], [], []
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            m_i = b1 * self.m[i] + (1.0 - b1) * g
            v_i = b2 * self.v[i] + (1.0 - b2) * g * g
            m.append(m_i)
            v.append(v_i)
            data.append(p.data - self.lr * (m_i / correction1)
                        / (math.sqrt(v_i / correction2) + self.eps))
        self._apply(data, m=m, v=v)
