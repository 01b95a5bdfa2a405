"""Recording state: whether ops build a graph, and which scope names new nodes.

Both live in one ``ContextVar``, so they are private to each thread and each
asyncio task, and reading them costs one lookup per op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from engine.checks import short_repr

__all__ = ["current_scope", "enable_grad", "is_grad_enabled", "name_scope", "no_grad"]


class _State(NamedTuple):
    recording: bool
    scope: str


STATE: ContextVar[_State] = ContextVar("glassgrad_state", default=_State(True, ""))  # noqa: B039 (immutable)


@contextmanager
def _set(state: _State) -> Iterator[None]:
    token = STATE.set(state)
    try:
        yield
    finally:
        STATE.reset(token)


def no_grad() -> AbstractContextManager[None]:
    """Inside ``with no_grad():`` ops compute values but record no parents,
    so nothing can be back-propagated through them (inference, updates)."""
    return _set(STATE.get()._replace(recording=False))


def enable_grad() -> AbstractContextManager[None]:
    """Turn recording back on inside a ``no_grad`` block."""
    return _set(STATE.get()._replace(recording=True))


def is_grad_enabled() -> bool:
    """Whether ops record their parents here and now."""
    return STATE.get().recording


def name_scope(name: str) -> AbstractContextManager[None]:
    """Tag every node made inside with ``name`` (nested scopes join with dots).

    ``nn`` modules use it so each node knows where it was made
    (``layers.1.neurons.3``), and drawings can group a graph by it."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name_scope: name must be a non-empty string, got {short_repr(name)}")
    state = STATE.get()
    scope = f"{state.scope}.{name}" if state.scope else name
    return _set(state._replace(scope=scope))


def current_scope() -> str:
    """The dotted scope new nodes are tagged with here ('' at top level)."""
    return STATE.get().scope
