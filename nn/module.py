"""``Module``: the base of every model — parameters, gradients and state.

A module lists its parameters by name (``named_parameters``); everything else
(``parameters``, ``zero_grad``, ``state_dict``, saving) is derived from that.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from engine import Value
from engine.checks import short_repr, to_float

__all__ = ["Module"]


class Module:
    """Base class of glassgrad models, micrograd-compatible.

    Subclasses override :meth:`named_parameters` (and :meth:`config` to be
    saved and rebuilt); micrograd-style subclasses that only override
    :meth:`parameters` still train, but have no named state to save.
    """

    def __call__(self, x: Any) -> Any:
        """The module's output for one sample ``x``."""
        raise NotImplementedError(f"{type(self).__name__} does not define __call__")

    training: bool = True
    """Training mode (the default) or evaluation mode; see :meth:`train`."""

    def train(self, mode: bool = True) -> Module:
        """Put this module and every module inside it in training mode (or,
        with ``mode=False``, evaluation mode); returns the module. Dropout
        drops and BatchNorm uses batch statistics only in training mode."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode for the whole tree: ``train(False)``."""
        return self.train(False)

    def modules(self) -> list[Module]:
        """This module and every module inside it (held in an attribute, or
        in a list or tuple attribute), depth first."""
        found: list[Module] = [self]
        for attribute in vars(self).values():
            items = attribute if isinstance(attribute, (list, tuple)) else [attribute]
            for item in items:
                if isinstance(item, Module):
                    found.extend(item.modules())
        return found

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, e.g. ``layers.0.neurons.2.w1``."""
        return []

    def parameters(self) -> list[Value]:
        """Every parameter, in a fixed order (micrograd's order for MLPs)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (before a new backward pass)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The parameters' values by name: a plain dict of floats."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state`` (as made by :meth:`state_dict`).

        All-or-nothing: missing or unexpected names, or a value that is not a
        finite real number, raise before any parameter changes. Linear in
        the number of parameters.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}: expected a mapping of names to numbers, "
                            f"got {type(state).__name__}")
        named = self.named_parameters()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = [name for name in state if name not in names]
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(f"missing {_some(missing)}")
            if unexpected:
                problems.append(f"unexpected {_some(unexpected)}")
            raise ValueError(f"{where}: parameters do not match this model: "
                             + "; ".join(problems))
        values = [to_float(state[name], f"{where}: parameter {name!r}") for name, _ in named]
        for (_, p), value in zip(named, values):
            p.data = value

    def config(self) -> dict[str, Any]:
        """The architecture as JSON-ready data, enough to rebuild the module."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and parameters to ``path`` as JSON, atomically."""
        from nn.serialization import save

        save(self, path)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Load parameters saved by :meth:`save` into this module; the file's
        architecture must match. On any error the module is left unchanged."""
        from nn.serialization import load_into

        load_into(self, path)


def _some(names: list[Any], shown: int = 3) -> str:
    listed = ", ".join(short_repr(name) for name in names[:shown])
    return listed + (f" (and {len(names) - shown} more)" if len(names) > shown else "")
