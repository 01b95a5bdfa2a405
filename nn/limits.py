"""How big a model may be, checked before anything is allocated.

Every parameter is a Python ``Value`` of about 250 bytes, and training visits
each one per sample, so :data:`MAX_PARAMETERS` (one million: about 0.25 GB of
parameters alone) is far past what the scalar engine trains in reasonable
time. Modules refuse a size over it before they make a single ``Value``.

While a file is loaded, :func:`parameter_budget` lowers the bound to the
number of parameters the file holds, so a tiny file declaring a huge
architecture is refused at once instead of being built.

>>> check_parameter_count(10**9, "MLP(2, [1000000000])")  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: MLP(2, [1000000000]): 1,000,000,000 parameters is more than nn.MAX_PARAMETERS ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["MAX_PARAMETERS", "check_parameter_count", "claim_parameters", "parameter_budget"]

MAX_PARAMETERS = 1_000_000
"""The most parameters one module may have."""


@dataclass
class _Budget:
    remaining: int
    reason: str


_BUDGET: ContextVar[_Budget | None] = ContextVar("parameter_budget", default=None)


@contextmanager
def parameter_budget(limit: int, reason: str) -> Iterator[None]:
    """Within this block, modules made together may have at most ``limit``
    parameters in all; ``reason`` says why (e.g. ``"the file holds 12"``)."""
    token = _BUDGET.set(_Budget(limit, reason))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def check_parameter_count(count: int, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` if a module of ``count``
    parameters may not be made (over :data:`MAX_PARAMETERS`, or over the
    active :func:`parameter_budget`); allocate nothing."""
    budget = _BUDGET.get()
    if budget is not None and count > budget.remaining:
        raise ValueError(f"{where} declares {count:,} parameters, but {budget.reason}")
    if count > MAX_PARAMETERS:
        raise ValueError(f"{where}: {count:,} parameters is more than nn.MAX_PARAMETERS = "
                         f"{MAX_PARAMETERS:,} (each is a Python object of ~250 bytes)")


def claim_parameters(count: int, where: str) -> None:
    """:func:`check_parameter_count`, then count ``count`` parameters as made:
    what a module that creates its own ``Value`` parameters calls first."""
    check_parameter_count(count, where)
    budget = _BUDGET.get()
    if budget is not None:
        budget.remaining -= count
