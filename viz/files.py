"""Atomic file writes for pictures: viz uses the engine's one atomic writer
(:mod:`engine.files`), so a reader never sees a half-written picture."""

from __future__ import annotations

from engine.files import atomic_path, write_atomically

__all__ = ["atomic_path", "write_atomic"]

write_atomic = write_atomically
"""Write bytes to a path atomically and return the path (``engine.files.write_atomically``)."""
