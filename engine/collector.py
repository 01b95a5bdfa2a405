"""Pacing Python's cyclic garbage collector while graphs are trained.

glassgrad's graphs hold no reference cycles: a graph is freed by reference
counting the moment its output is dropped. Python's cyclic collector does not
know that. It runs after every ``threshold0`` (700) net new objects, and
every so often walks *all* live objects, so a training step that builds a
60,000-node graph pays for walks over that graph again and again: on the
microgpt workload, three quarters of the forward pass.

The policy, applied by ``backward()`` and ``grad()``:

* After a graph of ``n`` computed nodes is back-propagated, ``threshold0`` is
  raised to ``4 * n`` (about twice the objects such a graph holds) if that is
  more than the user's own setting and than the current raise (so it follows
  the largest graph). Graphs of that size are then built and freed between two
  collections; ``threshold1`` and ``threshold2`` are left alone.
* Cycles are still collected: garbage that refcounting cannot free (the
  user's cycles) counts towards the raised threshold like anything else, so a
  collection runs after at most about twice the graph's worth of it.
* When a collection starts, and since the previous one no graph was
  back-propagated and fewer than ``n`` nodes were made (graphs are no longer
  being built), the user's thresholds are put back exactly. A ``gc.collect()``
  between training steps therefore keeps the pacing.
* Thresholds the user sets are respected: the engine only raises from them,
  notices when they change (they become the new base and are never
  overwritten by a restore), never touches a collector that is disabled
  (``gc.disable()``) or whose ``threshold0`` is 0, and stops altogether after
  ``pace_collector(False)``.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from engine.value import next_id

__all__ = ["collector_paced", "collector_stopped", "pace_collector"]

NODES_TO_OBJECTS = 4
"""``threshold0`` while graphs are built, per node of the latest graph."""

_lock = threading.RLock()  # re-entrant: a collection may start while it is held
_enabled = True
_base: tuple[int, ...] | None = None  # the user's thresholds while ours are set
_ours: tuple[int, ...] | None = None  # the thresholds we set (None: not raised)
_graph_nodes = 0  # nodes in the largest back-propagated graph while raised
_mark = 0  # next_id() at the latest collection
_backwards = 0  # backward passes since the latest collection


def pace_collector(enabled: bool = True) -> None:
    """Turn the engine's pacing of the garbage collector on or off (default
    on). Turning it off puts the user's thresholds back at once."""
    global _enabled
    if not isinstance(enabled, bool):
        raise TypeError(f"pace_collector: enabled must be True or False, got {enabled!r}")
    with _lock:
        _enabled = enabled
        if not enabled:
            _restore()


def collector_paced() -> bool:
    """Whether ``threshold0`` is raised right now by the engine's pacing."""
    return _ours is not None


@contextmanager
def collector_stopped() -> Iterator[None]:
    """Stop the cyclic collector for the duration of a big build that makes no
    cycles (tracing a graph, planning a drawing): its many small containers
    would otherwise trigger full collections that walk the whole, maybe
    million-node, graph again and again. Back on afterwards if it was on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def graph_done(nodes: int) -> None:
    """Called by backward with the size of the graph just back-propagated:
    raise ``threshold0`` in proportion to it (see the module's policy)."""
    global _base, _ours, _graph_nodes, _mark, _backwards
    if not _enabled or not gc.isenabled():
        return
    with _lock:
        _backwards += 1
        current = gc.get_threshold()
        if current != _ours:  # not raised, or the user set new thresholds
            _base, _ours = current, None
        assert _base is not None
        if _base[0] == 0:
            return
        wanted = NODES_TO_OBJECTS * nodes
        if wanted <= _base[0] or (_ours is not None and wanted <= _ours[0]):
            return
        _graph_nodes, _mark = nodes, next_id()
        _ours = (wanted, *_base[1:])
        gc.set_threshold(*_ours)
        if _on_collection not in gc.callbacks:
            gc.callbacks.append(_on_collection)


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    """A gc callback: at the start of a collection, put the user's thresholds
    back if graphs are no longer being built (or forget ours if the user
    changed them)."""
    global _base, _ours, _mark, _backwards
    if phase != "start" or _ours is None:
        return
    with _lock:
        if _ours is None:
            return
        made = next_id() - _mark
        _mark += made
        backwards, _backwards = _backwards, 0
        if gc.get_threshold() != _ours:
            _base, _ours = None, None  # the user's own setting stays
        elif not backwards and made < _graph_nodes:
            _restore()


def _restore() -> None:
    """Put the user's thresholds back if ours are set (lock held)."""
    global _base, _ours
    if _ours is not None and gc.get_threshold() == _ours and _base is not None:
        gc.set_threshold(*_base)
    _base, _ours = None, None
