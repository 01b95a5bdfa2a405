"""Optimizers: SGD (momentum, Nesterov, weight decay) and Adam, stepping each
parameter's ``.data`` by its ``.grad`` exactly as PyTorch's documented update
rules do.

Each rule is written once, on numpy vectors, in the optimizer's
:meth:`~Optimizer.update`: :meth:`~Optimizer.step` gathers the parameters'
``.data`` and ``.grad`` into vectors, updates, and writes the new values back,
while a compiled program's parameter vector is stepped with ``update`` directly,
with no per-``Value`` reads or writes (see ``nn.compiled``). Float64 vector
arithmetic rounds exactly as Python's float arithmetic does, so both give the
same numbers.

>>> from engine import Value
>>> w = Value(1.0); w.grad = 0.5
>>> SGD([w], lr=0.1).step(); w.data
0.95
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

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
        self.params = list(params)
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
        """Update every parameter once from its current ``.grad`` (all or
        nothing: a step that would overflow raises and changes nothing)."""
        values = np.array([p.data for p in self.params])
        self.update(values, np.array([p.grad for p in self.params]))
        for p, x in zip(self.params, values.tolist()):
            p.data = x

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        """One step of the update rule on ``values``, a vector standing for the
        parameters (in order), in place, given their gradients ``grads``. All or
        nothing: if a new value or state number would not be finite, it raises
        ``OverflowError`` naming the parameter and changes nothing."""
        raise NotImplementedError

    def _commit(self, values: np.ndarray, new: np.ndarray, grads: np.ndarray,
                **state: np.ndarray) -> None:
        """Finish an update: check that every new value and state number is
        finite, then write ``new`` into ``values`` and ``state`` into the
        attributes of those names, and count the step."""
        for what, numbers_ in [("value", new), *state.items()]:
            bad = np.flatnonzero(~np.isfinite(numbers_))
            if bad.size:
                i = int(bad[0])
                raise OverflowError(
                    f"{type(self).__name__}.step: {_describe(i, self.params[i])} "
                    f"(gradient {float(grads[i])!r}) would get {what} {float(numbers_[i])}; "
                    "nothing was changed (lower lr or clip gradients)")
        for name, numbers_ in state.items():
            setattr(self, name, numbers_)
        values[:] = new
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
        self.buffer = np.zeros(len(self.params))

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        """One SGD update of the parameter vector ``values``, in place (all or nothing)."""
        with np.errstate(over="ignore", invalid="ignore"):  # _commit names an overflow
            g = grads + self.weight_decay * values if self.weight_decay != 0.0 else grads
            mu, buffer = self.momentum, self.buffer
            if mu != 0.0:
                buffer = g if self.steps == 0 else mu * buffer + (1.0 - self.dampening) * g
                g = g + mu * buffer if self.nesterov else buffer
            new = values - self.lr * g
        self._commit(values, new, grads, buffer=buffer)


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
            raise ValueError(f"Adam betas: expected two numbers, got {betas!r}")
        self.betas = (hyperparameter(betas[0], "Adam betas[0]", below=1.0),
                      hyperparameter(betas[1], "Adam betas[1]", below=1.0))
        self.eps = hyperparameter(eps, "Adam eps")
        self.weight_decay = hyperparameter(weight_decay, "Adam weight_decay")
        self.m = np.zeros(len(self.params))
        self.v = np.zeros(len(self.params))

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        """One Adam update of the parameter vector ``values``, in place (all or nothing)."""
        b1, b2 = self.betas
        t = self.steps + 1
        with np.errstate(over="ignore", invalid="ignore"):  # _commit names an overflow
            g = grads + self.weight_decay * values if self.weight_decay else grads
            m = b1 * self.m + (1.0 - b1) * g
            v = b2 * self.v + (1.0 - b2) * g * g
            m_hat = m / (1.0 - b1 ** t)
            v_hat = v / (1.0 - b2 ** t)
            new = values - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        self._commit(values, new, grads, m=m, v=v)
