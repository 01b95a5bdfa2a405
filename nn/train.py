"""``fit``: the training loop, on the scalar ``Value`` graph or, with
``batched=True``, on the compiled numpy program of ``engine.batch``.

Both modes compute the same numbers: the batched program is a trace of the
very graph the scalar mode builds, run for all samples at once.
"""

from __future__ import annotations

import functools
import importlib.util
import numbers
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

from engine import Value, no_grad
from engine.batch import compile_batch
from engine.checks import short_repr, to_float
from nn.datasets import Seed, make_generator
from nn.dropout import Dropout
from nn.losses import Loss, get_loss, l2_penalty, mean
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer, hyperparameter
from nn.schedules import Schedule, as_schedule

__all__ = ["OPTIMIZERS", "Progress", "fit", "predict", "progress_bar"]

OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}
"""Optimizers by name, with their default settings."""


Progress = bool | Literal["text"]
"""A progress setting: True (a bar: tqdm's notebook widget where ipywidgets is
installed, else text), "text" (always the text bar, redrawn at most once a
second; it also shows in a notebook exported to HTML, where a widget shows only
if its scripts load) or False (no bar)."""


def progress_bar(progress: Progress = True) -> Any:
    """The tqdm bar maker for a ``progress`` setting (see :data:`Progress`);
    callers pass ``disable=not progress``."""
    if not (isinstance(progress, bool) or progress == "text"):
        raise ValueError(f"progress: expected True, False or 'text', got {progress!r}")
    if progress is True and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
        return tqdm
    from tqdm import tqdm as text_bar
    # few redraws: an export that keeps every redraw (nbconvert --execute) stays short
    return functools.partial(text_bar, mininterval=1.0) if progress == "text" else text_bar


def _drops_at_random(model: Module) -> bool:
    """Whether ``model`` holds a Dropout that is in training mode."""
    return any(isinstance(m, Dropout) and m.training and m.p > 0 for m in model.modules())


@contextmanager
def _evaluation_mode(model: Module) -> Iterator[None]:
    """``model.eval()`` for the duration, then every module's mode as it was."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, mode in modes:
            module.training = mode


def _nin(model: Module) -> int:
    nin = getattr(model, "nin", None)
    if not isinstance(nin, int):
        raise TypeError(f"fit: the model must say how many inputs it takes (.nin), "
                        f"got {type(model).__name__}")
    return nin


def _nout(model: Module, nin: int) -> int:
    with no_grad():
        return len(_outputs(model([0.0] * nin)))


def _outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _features(X: Any, nin: int, where: str) -> np.ndarray:
    """``X`` as an (n, nin) array of finite floats (a 1-D array is a column
    when ``nin`` is 1; an empty one is 0 rows), or an error naming ``where``."""
    array = _real_array(X, f"{where} X")
    if array.ndim == 1 and (nin == 1 or array.size == 0):
        array = array.reshape(-1, nin)
    if array.ndim != 2 or array.shape[1] != nin:
        raise ValueError(f"{where}: X must have shape (n, {nin}), got {array.shape}")
    return array


def _real_array(data: Any, where: str) -> np.ndarray:
    """``data`` as a float array of finite real numbers: no complex numbers,
    strings or objects silently converted or cut."""
    try:
        array = np.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{where}: expected an array of numbers: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected real numbers, got an array of {array.dtype} "
                        f"({short_repr(data)})")
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: contains NaN or infinite values")
    return array


def _samples(X: Any, y: Any, nin: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    X = _features(X, nin, where)
    y = _real_array(y, f"{where} y")
    if y.shape != (len(X),):
        raise ValueError(f"{where}: y must have shape ({len(X)},), got {y.shape}")
    if len(X) == 0:
        raise ValueError(f"{where}: no samples")
    return X, y


def _encode(rule: Loss, y: np.ndarray, nout: int, where: str) -> np.ndarray:
    """The loss's numeric targets for labels ``y``; bad labels name ``where``."""
    try:
        return rule.encode(y, nout)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _trace(model: Module, nin: int, ntargets: int, loss: Loss | None) -> tuple[Any, ...]:
    """One sample's graph with leaf Values standing for its features and targets."""
    xs = [Value(0.0, label=f"x{i}") for i in range(nin)]
    ts = [Value(0.0, label=f"t{j}") for j in range(ntargets)]
    outs = _outputs(model(xs))
    sample_loss = loss(outs if len(outs) > 1 else outs[0], ts) if loss else outs[0]
    return xs, ts, outs, sample_loss


class _Scalar:
    """Batch losses on the plain ``Value`` graph (micrograd's way)."""

    def __init__(self, model: Module, loss: Loss, params: list[Value], l2: float) -> None:
        self.model, self.loss, self.params, self.l2 = model, loss, params, l2

    def _total(self, X: np.ndarray, T: np.ndarray) -> tuple[Any, np.ndarray]:
        """The batch's mean loss plus the penalty, and the outputs' values."""
        outputs = [_outputs(self.model(row)) for row in X.tolist()]
        losses = [self.loss(out if len(out) > 1 else out[0], t if len(t) > 1 else t[0])
                  for out, t in zip(outputs, T.tolist())]
        values = np.array([[o.data for o in out] for out in outputs])
        total = mean(losses)
        if self.l2:
            total = total + l2_penalty(self.params, self.l2)
        return total, values

    def step(self, X: np.ndarray, T: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and outputs for a batch, leaving d(loss)/d(param) in each ``.grad``."""
        total, outputs = self._total(X, T)
        for p in self.params:
            p.grad = 0.0
        total.backward()
        return total.data, outputs

    def evaluate(self, X: np.ndarray, T: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and outputs for a batch, without gradients, in evaluation mode."""
        with no_grad(), _evaluation_mode(self.model):
            total, outputs = self._total(X, T)
        return total.data, outputs


class _Batched:
    """Batch losses from the compiled numpy program of one sample's graph."""

    def __init__(self, model: Module, loss: Loss, params: list[Value], l2: float,
                 nin: int, ntargets: int) -> None:

        xs, ts, outs, sample_loss = _trace(model, nin, ntargets, loss)
        if l2:  # depends on no sample: the program computes it once per call
            sample_loss = sample_loss + l2_penalty(params, l2)
        self.params = params
        self.program = compile_batch(sample_loss, inputs=xs + ts, params=params, outputs=outs)

    def step(self, X: np.ndarray, T: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and outputs for a batch, leaving d(loss)/d(param) in each ``.grad``.
        The batch mean of (loss + penalty) is the mean loss plus the penalty."""
        result = self.program(np.hstack([X, T]), grad=True, reduction="mean")
        assert result.grads is not None  # asked for with grad=True
        for p, g in zip(self.params, result.grads.tolist()):
            p.grad = g
        return result.loss, result.outputs

    def evaluate(self, X: np.ndarray, T: np.ndarray) -> tuple[float, np.ndarray]:
        """Loss and outputs for a batch, without gradients."""
        result = self.program(np.hstack([X, T]), grad=False, reduction="mean")
        return result.loss, result.outputs


def fit(
    model: Module,
    X: Any,
    y: Any,
    *,
    loss: str | Loss = "hinge",
    optimizer: str | Optimizer = "sgd",
    lr: float | Schedule = 0.1,
    steps: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    validation: tuple[Any, Any] | None = None,
    batched: bool = False,
    seed: Seed = None,
    progress: Progress = True,
) -> dict[str, list[float]]:
    """Train ``model`` on samples ``X`` (n, nin) with labels ``y`` (n,) for
    ``steps`` optimizer steps, and return the history.

    * ``loss``: "hinge" (labels ±1 or 0/1), "bce" (0/1), "softmax" (class
      numbers, one output per class), "mse", or a :class:`nn.losses.Loss`;
      each step minimises the batch mean plus ``l2 * sum(p * p)``.
    * ``optimizer``: "sgd", "adam" or an :class:`nn.optim.Optimizer` over
      the model's parameters; ``lr`` a number or a schedule ``k -> lr``
      (e.g. ``nn.schedules.linear(1.0, 0.1, 100)``, micrograd's demo).
    * ``batch_size``: None for the whole set each step, else a random
      minibatch per step drawn with ``seed`` (None: numpy's global generator,
      as micrograd's demo does).
    * ``validation``: ``(X_val, y_val)`` to score after every step.
    * ``batched``: run the compiled numpy program instead of the scalar graph
      (same results, much faster). A model with Dropout in training mode
      trains in scalar mode only: a compiled program would repeat one set of
      drops at every step.
    * ``progress``: True, "text" (a text bar, which survives export to HTML)
      or False.

    The model trains in the mode it is in (training mode unless you called
    ``model.eval()``); the validation set is always scored in evaluation mode.

    Returns ``{"loss": [...], "accuracy": [...]}`` with one entry per step
    (computed before that step's update, as micrograd's demo prints them), plus
    ``"val_loss"`` and ``"val_accuracy"`` for the same weights when
    ``validation`` is given. Losses include the L2 penalty.
    """
    nin = _nin(model)
    X, y = _samples(X, y, nin, "fit")
    rule = get_loss(loss)
    nout = _nout(model, nin)
    T = _encode(rule, y, nout, "fit")
    params = model.parameters()
    _check_settings(steps, batch_size, l2)
    schedule = as_schedule(lr)
    opt = _optimizer(optimizer, params, schedule(0))
    held_out = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError(f"fit: validation must be a pair (X_val, y_val), "
                            f"got {short_repr(validation)}")
        X_val, y_val = _samples(*validation, nin, "fit validation")
        held_out = (X_val, y_val, _encode(rule, y_val, nout, "fit validation"))
    if batched and _drops_at_random(model):
        raise ValueError("fit: batched=True would repeat one set of Dropout drops at every "
                         "step; train with batched=False (fresh drops for every sample), "
                         "or call model.eval() to train without dropout")
    trainer = (_Batched(model, rule, params, float(l2), nin, T.shape[1]) if batched
              else _Scalar(model, rule, params, float(l2)))
    minibatches = make_generator(seed) if batch_size is not None and batch_size < len(y) else None

    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if held_out is not None:
        history.update(val_loss=[], val_accuracy=[])
    bar = progress_bar(progress)(range(steps), desc="training", unit="step",
                                  disable=not progress)
    for k in bar:
        if minibatches is not None:  # micrograd's way: a random subset each step
            chosen = minibatches.permutation(len(y))[:batch_size]
            Xb, yb, Tb = X[chosen], y[chosen], T[chosen]
        else:
            Xb, yb, Tb = X, y, T
        total, outputs = trainer.step(Xb, Tb)
        accuracy = rule.accuracy(outputs, yb)
        history["loss"].append(float(total))
        history["accuracy"].append(accuracy)
        if held_out is not None:
            val_loss, val_outputs = trainer.evaluate(held_out[0], held_out[2])
            history["val_loss"].append(float(val_loss))
            history["val_accuracy"].append(rule.accuracy(val_outputs, held_out[1]))
        opt.lr = hyperparameter(schedule(k), f"fit: the lr schedule at step {k}")
        opt.step()
        bar.set_postfix(loss=f"{total:.4f}", acc=f"{accuracy:.1%}", refresh=False)
    bar.close()
    return history


def _check_settings(steps: Any, batch_size: Any, l2: Any) -> None:
    if (isinstance(steps, bool) or not isinstance(steps, numbers.Integral)
            or not 0 <= int(steps) <= sys.maxsize):
        raise ValueError(f"fit: steps must be an integer from 0 to {sys.maxsize:,}, "
                         f"got {short_repr(steps)}")
    if batch_size is not None and (isinstance(batch_size, bool)
                                   or not isinstance(batch_size, numbers.Integral)
                                   or batch_size < 1):
        raise ValueError(f"fit: batch_size must be a positive integer or None, "
                         f"got {short_repr(batch_size)}")
    if to_float(l2, "fit l2") < 0:
        raise ValueError(f"fit: l2 must be a number >= 0, got {short_repr(l2)}")


def _optimizer(optimizer: str | Optimizer, params: list[Value], lr: float) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer in OPTIMIZERS:
        return OPTIMIZERS[optimizer](params, lr=lr)
    raise ValueError(f"fit: unknown optimizer {optimizer!r}; choose one of "
                     f"{', '.join(OPTIMIZERS)} or pass an nn.optim.Optimizer")


def predict(model: Module, X: Any, batched: bool | None = None) -> np.ndarray:
    """The model's outputs for every row of ``X``: shape (n,) for a model with
    one output, else (n, nout); 0 rows give an empty array. No graph is
    kept. ``batched`` (default: for more than one row) runs the
    compiled numpy program; it refuses a model whose Dropout is in training
    mode (call ``model.eval()`` first)."""
    nin = _nin(model)
    X = _features(X, nin, "predict")
    if len(X) == 0:
        nout = _nout(model, nin)
        return np.empty((0,) if nout == 1 else (0, nout))
    if batched is None:
        batched = len(X) > 1
    if batched and _drops_at_random(model):
        raise ValueError("predict: the model is in training mode, so its Dropout drops inputs "
                         "at random; call model.eval() first (or pass batched=False to see "
                         "fresh random drops for every row)")
    if batched:

        xs, _, outs, first = _trace(model, nin, 0, None)
        program = compile_batch(first, inputs=xs, params=model.parameters(), outputs=outs)
        values = np.asarray(program(X, grad=False).outputs, dtype=float)
    else:
        with no_grad():
            values = np.array([[o.data for o in _outputs(model(row))] for row in X.tolist()])
        values = values.reshape(len(X), -1)
    return values[:, 0] if values.shape[1] == 1 else values


