"""Scratch ops: define ops in a test without leaving them in ``engine.REGISTRY``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine.op import REGISTRY

__all__ = ["temporary_ops"]


@contextmanager
def temporary_ops() -> Iterator[None]:
    """Remove from ``engine.REGISTRY``, on exit, every op defined inside.

    ``REGISTRY`` is global, and tests that sample ops from it would pick up
    a deliberately broken op another test defined; wrap such definitions:

    >>> from engine import REGISTRY, define_op
    >>> with temporary_ops():
    ...     twice = define_op("twice_scratch", lambda x: 2 * x, [2.0])
    ...     "twice_scratch" in REGISTRY
    True
    >>> "twice_scratch" in REGISTRY
    False
    """
    before = set(REGISTRY)
    try:
        yield
    finally:
        for name in [name for name in REGISTRY if name not in before]:
            del REGISTRY[name]
