"""micrograd's ``Neuron``, ``Layer`` and ``MLP``, with activations and
initialisations to choose from.

With the defaults they are micrograd's own: after ``random.seed(s)`` an
``MLP`` draws the very same weights, computes the same floats and prints the
same reprs. Every node they make is tagged with where it was made
(``layers.1.neurons.3``), so drawings can group a model by layer and neuron.
"""

from __future__ import annotations

import itertools
import numbers
import random
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import numpy as np

from engine import REGISTRY, Op, Value, current_scope, name_scope
from engine.checks import to_float
from nn.dropout import Dropout
from nn.init import draw_weights, make_rng
from nn.limits import check_parameter_count, claim_parameters
from nn.module import Module

__all__ = [
    "MLP", "MODULES", "Layer", "Linear", "Neuron", "activation_op", "build", "prefixed",
    "register_module",
]

LINEAR = "linear"


def activation_op(name: str) -> Op | None:
    """The engine op behind activation ``name`` (None for ``"linear"``).

    Any one-input op in ``engine.REGISTRY`` works: relu, tanh, sigmoid, gelu,
    softplus, the perceptron's ``step`` (from :mod:`nn.functional`; its
    derivative is taken as 0), ... and ops you define with ``engine.define_op``.
    """
    if name == LINEAR:
        return None
    op = REGISTRY.get(name) if isinstance(name, str) else None
    if op is None or op.arity != 1:
        choices = [LINEAR] + [n for n, o in REGISTRY.items() if o.arity == 1]
        raise ValueError(f"activation: unknown activation {name!r}; "
                         f"choose one of {', '.join(choices)}")
    return op


def _display_name(activation: str) -> str:
    """'ReLU', 'Linear', 'GELU', 'Tanh': how reprs name an activation."""
    op = activation_op(activation)
    if op is None:
        return "Linear"
    return op.symbol if op.symbol[:1].isupper() and op.symbol.isascii() else op.name.capitalize()


def _check_size(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{what}: expected a positive integer, got {n!r}")
    return int(n)


def as_inputs(x: Any, nin: int, where: str) -> list[Any]:
    """One sample's inputs as a list of ``nin`` numbers or Values: from a
    list, tuple or 1-D numpy array (or a lone number/Value when nin is 1)."""
    if isinstance(x, np.ndarray):
        if x.ndim == 0 and nin == 1:
            return [x.item()]
        if x.ndim != 1:
            raise ValueError(f"{where}: expected one sample (a 1-D array of {nin}), "
                             f"got an array of shape {x.shape}")
        items: list[Any] = x.tolist()
    elif isinstance(x, (list, tuple)):
        items = list(x)
    elif isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool):
        items = [x]
    else:
        raise TypeError(f"{where}: expected a list, tuple or numpy array of numbers, "
                        f"got {type(x).__name__}")
    if len(items) != nin:
        raise ValueError(f"{where}: expected {nin} input(s), got {len(items)}")
    return items


class Neuron(Module):
    """One neuron: ``activation(b + sum(w_i * x_i))``.

    ``Neuron(nin, nonlin=True)`` is micrograd's: ReLU (or linear when
    ``nonlin=False``), weights uniform on (-1, 1) from Python's ``random``,
    bias 0. ``activation`` names any one-input engine op (or "linear") and
    overrides ``nonlin``; ``init`` picks a scheme from :data:`nn.init.INITS`;
    ``seed`` (an int or a ``random.Random``) makes the weights reproducible
    without touching the global generator.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        init: str = "uniform",
        fan_out: int = 1,
        seed: int | random.Random | None = None,
    ) -> None:
        self.nin = _check_size(nin, "Neuron nin")
        claim_parameters(self.nin + 1, f"Neuron({self.nin})")
        self.activation = activation if activation is not None else (
            "relu" if nonlin else LINEAR)
        self._act = activation_op(self.activation)
        self.nonlin = self._act is not None
        weights = draw_weights(init, self.nin, fan_out, make_rng(seed))
        with _scope_if_top_level("neuron"):
            self.w = [Value(wi, label=f"w{i}") for i, wi in enumerate(weights)]
            self.b = Value(0.0, label="b")

    def __call__(self, x: Any) -> Value:
        """The neuron's output for one sample ``x`` (``nin`` numbers or Values)."""
        act = self.b
        for wi, xi in zip(self.w, as_inputs(x, self.nin, repr(self))):
            act = act + wi * xi
        return act if self._act is None else self._act.unary(act)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """The weights ``w0, w1, ...`` then the bias ``b``."""
        return [(f"w{i}", wi) for i, wi in enumerate(self.w)] + [("b", self.b)]

    def config(self) -> dict[str, Any]:
        """``{"type": "Neuron", "nin": ..., "activation": ...}``."""
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Neuron:
        """A new ``Neuron`` with the architecture ``config``."""
        return cls(config["nin"], activation=config["activation"], seed=0)

    def __repr__(self) -> str:
        return f"{_display_name(self.activation)}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; keyword arguments go
    to every :class:`Neuron`. Called on one sample it returns a list of
    outputs, or a single ``Value`` when ``nout`` is 1 (as in micrograd)."""

    def __init__(
        self, nin: int, nout: int, *, seed: int | random.Random | None = None, **kwargs: Any
    ) -> None:
        self.nin = _check_size(nin, "Layer nin")
        self.nout = _check_size(nout, "Layer nout")
        check_parameter_count((self.nin + 1) * self.nout, f"Layer({self.nin}, {self.nout})")
        rng = make_rng(seed)
        self.neurons = []
        with _scope_if_top_level("layer"):
            for j in range(self.nout):
                with name_scope(f"neurons.{j}"):
                    self.neurons.append(Neuron(self.nin, fan_out=self.nout, seed=rng, **kwargs))

    def __call__(self, x: Any) -> Value | list[Value]:
        """Every neuron's output for one sample ``x``."""
        inputs = as_inputs(x, self.nin, f"Layer({self.nin}, {self.nout})")
        out = []
        for j, neuron in enumerate(self.neurons):
            with name_scope(f"neurons.{j}"):
                out.append(neuron(inputs))
        return out[0] if len(out) == 1 else out

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``neurons.<j>.<name>`` for each neuron's parameters."""
        return [(f"neurons.{j}.{name}", p)
                for j, n in enumerate(self.neurons) for name, p in n.named_parameters()]

    def config(self) -> dict[str, Any]:
        """``{"type": "Layer", "nin": ..., "nout": ..., "activation": ...}``."""
        return {"type": "Layer", "nin": self.nin, "nout": self.nout,
                "activation": self.neurons[0].activation}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A new ``Layer`` with the architecture ``config``."""
        return cls(config["nin"], config["nout"], activation=config["activation"], seed=0)

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(nin, [h1, h2, ..., nout])``.

    As in micrograd, hidden layers use ReLU and the last layer is linear, and
    a single output comes back as one ``Value``. ``activation`` sets the
    hidden layers' activation, or, given as a list, every layer's (one name
    per layer, the last included); ``output_activation`` sets the last
    layer's. Hidden layers of width 1 work. ``init`` and ``seed`` as for
    :class:`Neuron`. ``dropout`` > 0 puts a :class:`nn.Dropout` with that
    drop probability after every hidden layer (active in training mode only,
    see :meth:`Module.train`); the weights drawn do not depend on it.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str | Sequence[str] = "relu",
        output_activation: str = LINEAR,
        init: str = "uniform",
        seed: int | random.Random | None = None,
        dropout: float = 0.0,
    ) -> None:
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP nouts: expected a non-empty list of layer sizes, got {nouts!r}")
        sizes = [_check_size(nin, "MLP nin")] + [_check_size(n, "MLP layer size") for n in nouts]
        if isinstance(activation, str):
            activation_op(activation)  # checked even when there is no hidden layer
            activations = [activation] * (len(nouts) - 1) + [output_activation]
        else:
            activations = list(activation)
            if len(activations) != len(nouts):
                raise ValueError(f"MLP activation: expected one activation per layer "
                                 f"({len(nouts)}), got {len(activations)}")
        for name in activations:
            activation_op(name)
        check_parameter_count(sum((a + 1) * b for a, b in itertools.pairwise(sizes)),
                              f"MLP({sizes[0]}, {sizes[1:]})")
        self.nin = sizes[0]
        rng = make_rng(seed)
        self.layers = []
        for i, act in enumerate(activations):
            with name_scope(f"layers.{i}"):
                self.layers.append(
                    Layer(sizes[i], sizes[i + 1], activation=act, init=init, seed=rng))
        # one Dropout after each hidden layer, drawing its drops after the weights were drawn
        self.dropouts = ([Dropout(dropout, seed=rng) for _ in self.layers[:-1]]
                         if to_float(dropout, "MLP dropout") else [])

    def __call__(self, x: Any) -> Value | list[Value]:
        """The network's output for one sample ``x``."""
        out: Any = as_inputs(x, self.nin, f"MLP({self.nin}, ...)")
        for i, layer in enumerate(self.layers):
            with name_scope(f"layers.{i}"):
                out = layer(out)
            if i < len(self.dropouts):
                out = self.dropouts[i](out)
        return out

    @property
    def dropout(self) -> float:
        """The drop probability after each hidden layer (0.0: no dropout)."""
        return self.dropouts[0].p if self.dropouts else 0.0

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``layers.<i>.neurons.<j>.<name>`` for every parameter."""
        return [(f"layers.{i}.{name}", p)
                for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    @property
    def nouts(self) -> list[int]:
        """The layer sizes after the input."""
        return [layer.nout for layer in self.layers]

    def config(self) -> dict[str, Any]:
        """``{"type": "MLP", "nin": ..., "nouts": [...], "activation": [per layer]}``."""
        config = {"type": "MLP", "nin": self.nin, "nouts": self.nouts,
                  "activation": [layer.neurons[0].activation for layer in self.layers]}
        if self.dropouts:
            config["dropout"] = self.dropout
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MLP:
        """A new ``MLP`` with the architecture ``config``."""
        return cls(config["nin"], config["nouts"], activation=config["activation"], seed=0,
                   dropout=config.get("dropout", 0.0))

    def __repr__(self) -> str:
        parts = [str(layer) for layer in self.layers]
        for i, drop in reversed(list(enumerate(self.dropouts))):
            parts.insert(i + 1, repr(drop))
        return f"MLP of [{', '.join(parts)}]"


class Linear(Module):
    """``y = W x (+ b)``: ``nout`` weighted sums of ``nin`` inputs and no
    activation, the layer a Transformer is made of.

    Weights are drawn from a normal distribution with standard deviation
    ``std`` (0.08, as in Karpathy's microgpt), biases start at 0. Called on
    one sample (``nin`` numbers or Values) it returns a list of ``nout``
    Values. Parameters are named ``w.<out>.<in>`` and ``b.<out>``.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        bias: bool = True,
        std: float = 0.08,
        seed: int | random.Random | None = None,
    ) -> None:
        self.nin = _check_size(nin, "Linear nin")
        self.nout = _check_size(nout, "Linear nout")
        self.bias = bool(bias)
        claim_parameters((self.nin + self.bias) * self.nout, f"Linear({self.nin}, {self.nout})")
        self.std = to_float(std, "Linear std")
        rng = make_rng(seed) or random
        with _scope_if_top_level("linear"):
            self.w = [[Value(rng.gauss(0.0, self.std), label=f"w{o}.{i}") for i in range(self.nin)]
                      for o in range(self.nout)]
            self.b = [Value(0.0, label=f"b{o}") for o in range(self.nout)] if self.bias else []

    def __call__(self, x: Any) -> list[Value]:
        """The ``nout`` outputs for one sample ``x``."""
        inputs = as_inputs(x, self.nin, repr(self))
        outputs = []
        for o, row in enumerate(self.w):
            terms = [wi * xi for wi, xi in zip(row, inputs)]
            total = self.b[o] if self.bias else terms.pop(0)
            for term in terms:
                total = total + term
            outputs.append(total)
        return outputs

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``w.<out>.<in>`` for every weight, then ``b.<out>`` for every bias."""
        weights = [(f"w.{o}.{i}", w) for o, row in enumerate(self.w) for i, w in enumerate(row)]
        return weights + [(f"b.{o}", b) for o, b in enumerate(self.b)]

    def config(self) -> dict[str, Any]:
        """``{"type": "Linear", "nin": ..., "nout": ..., "bias": ...}``."""
        return {"type": "Linear", "nin": self.nin, "nout": self.nout, "bias": self.bias}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Linear:
        """A new ``Linear`` with the architecture ``config``."""
        return cls(config["nin"], config["nout"], bias=config["bias"], seed=0)

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout}{'' if self.bias else ', bias=False'})"


MODULES: dict[str, Any] = {}
"""The module types :func:`build` can rebuild from a saved architecture, by
their config's ``"type"``; each has a ``from_config`` class method."""


M = TypeVar("M")


def register_module(cls: M) -> M:
    """Class decorator: let :func:`build` (so ``nn.load``) rebuild ``cls`` from
    its ``config()``, through its ``from_config`` class method."""
    name = getattr(cls, "__name__", "")
    if not callable(getattr(cls, "from_config", None)):
        raise TypeError(f"register_module: {name} needs a from_config class method")
    MODULES[name] = cls
    return cls


for _kind in (Neuron, Layer, MLP, Linear, Dropout):
    register_module(_kind)


def build(config: Any) -> Module:
    """A new module with the architecture ``config`` (from ``Module.config()``);
    its weights are drawn from a private generator, so global ``random`` is untouched."""
    if not isinstance(config, dict) or config.get("type") not in MODULES:
        raise ValueError(f"build: expected an architecture with a 'type' among "
                         f"{', '.join(MODULES)}, got {config!r:.200}")
    kind = config["type"]
    try:
        module: Module = MODULES[kind].from_config(config)
        return module
    except KeyError as missing:
        raise ValueError(f"build: architecture of type {kind} lacks {missing}") from None
    except TypeError as error:
        raise ValueError(f"build: bad architecture {config!r:.200}: {error}") from None


def _scope_if_top_level(name: str) -> AbstractContextManager[None]:
    """``name_scope(name)`` for a module made on its own, so its parameters
    still carry a scope (drawings style scoped leaves as parameters); inside
    a bigger module, the scope that module set is enough."""
    return name_scope(name) if not current_scope() else nullcontext()


def prefixed(prefix: str, module: Module) -> list[tuple[str, Value]]:
    """``module``'s named parameters, each name prefixed with ``prefix.``:
    how a module lists the parameters of the modules inside it."""
    return [(f"{prefix}.{name}", p) for name, p in module.named_parameters()]
