"""The engine's pacing of Python's garbage collector (engine.collector) is
safe: user cycles are still collected while graphs are trained, thresholds the
user sets are honoured, and the user's thresholds come back when graphs stop."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from engine import Value
from engine.collector import NODES_TO_OBJECTS, collector_paced, pace_collector


@pytest.fixture(autouse=True)
def user_thresholds() -> Iterator[tuple[int, ...]]:
    """Each test starts unpaced from the default thresholds, and leaves them so."""
    pace_collector(False)
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    pace_collector(True)
    yield (700, 10, 10)
    pace_collector(False)
    gc.set_threshold(*saved)
    pace_collector(True)


def train_step(params: list[Value]) -> int:
    """Build a graph of a few thousand nodes and back-propagate it; its size."""
    loss = sum((p * p).relu() for p in params)
    assert isinstance(loss, Value)
    loss.backward()
    return len(params) * 3


class Cycle:
    """Cyclic garbage: refcounting alone never frees it."""

    def __init__(self) -> None:
        self.me = self
        self.payload = bytearray(10_000)


def test_backward_raises_threshold0_in_proportion_to_the_graph() -> None:
    params = [Value(0.01 * i) for i in range(2_000)]
    train_step(params)
    assert collector_paced()
    threshold0, threshold1, threshold2 = gc.get_threshold()
    assert threshold0 >= NODES_TO_OBJECTS * 2_000 * 3
    assert (threshold1, threshold2) == (10, 10)


def test_cycles_made_while_training_are_still_collected() -> None:
    params = [Value(0.01 * i) for i in range(2_000)]
    collections = sum(s["collections"] for s in gc.get_stats())
    first: list[weakref.ref[Cycle]] = []
    for step in range(100):  # 400 cycles a step: several thresholds' worth in all
        train_step(params)
        for _ in range(400):
            cycle = Cycle()
            if step < 5:
                first.append(weakref.ref(cycle))
        del cycle
    assert sum(s["collections"] for s in gc.get_stats()) > collections
    assert all(ref() is None for ref in first), "early cycles were never collected"
    alive = sum(isinstance(o, Cycle) for o in gc.get_objects())
    assert alive <= gc.get_threshold()[0], alive  # garbage bounded by the raised threshold


def test_thresholds_the_user_sets_are_kept() -> None:
    params = [Value(0.01 * i) for i in range(2_000)]
    train_step(params)
    gc.set_threshold(123, 5, 6)  # the user takes over while paced
    for _ in range(3):
        train_step(params)
        [Cycle() for _ in range(100)]  # collections run and see the user's setting
    threshold0, threshold1, threshold2 = gc.get_threshold()
    assert (threshold1, threshold2) == (5, 6)
    assert threshold0 in (123, NODES_TO_OBJECTS * 6_000)  # never lowered below the user's
    pace_collector(False)
    assert gc.get_threshold() == (123, 5, 6)


def test_the_users_thresholds_come_back_when_graphs_stop() -> None:
    params = [Value(0.01 * i) for i in range(2_000)]
    train_step(params)
    assert collector_paced()
    gc.collect()  # right after a backward: training goes on, the pacing stays
    assert collector_paced()
    for _ in range(3_000):  # other work, no graphs: plenty of allocations
        [Cycle() for _ in range(10)]
    assert not collector_paced()
    assert gc.get_threshold() == (700, 10, 10)


def test_a_disabled_collector_or_pacing_off_is_left_alone() -> None:
    params = [Value(0.01 * i) for i in range(2_000)]
    pace_collector(False)
    train_step(params)
    assert gc.get_threshold() == (700, 10, 10) and not collector_paced()
    pace_collector(True)
    gc.disable()
    try:
        train_step(params)
        assert gc.get_threshold() == (700, 10, 10) and not collector_paced()
    finally:
        gc.enable()
    gc.set_threshold(0, 10, 10)  # automatic collection off: stays off
    train_step(params)
    assert gc.get_threshold() == (0, 10, 10)


def test_pace_collector_refuses_a_non_bool() -> None:
    with pytest.raises(TypeError, match="pace_collector"):
        pace_collector(1)  # type: ignore[arg-type]


def test_collector_stopped_restores_the_collector_as_it_was():
    from engine.collector import collector_stopped

    assert gc.isenabled()
    with collector_stopped():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_stopped():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a user's gc.disable() stays
    finally:
        gc.enable()
