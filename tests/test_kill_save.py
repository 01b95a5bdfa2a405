"""SIGKILL a process while it saves a model, again and again: the file is
always a complete model (the old one or the new one) and killed saves leave
at most their own temporary file, which the next save removes."""

import os
import random
import signal
import time

import pytest

import nn
from engine.files import TEMPORARY_MARK

KILLS = 40

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _save_forever(models, path):
    """In a forked child: save the models in turn until killed."""
    try:
        while True:
            for model in models:
                model.save(path)
    finally:
        os._exit(1)


def test_killed_saves_leave_a_complete_model_and_no_litter(tmp_path):
    models = [nn.MLP(20, [40, 1], seed=s) for s in range(2)]  # ~50 kB of JSON each
    states = [m.state_dict() for m in models]
    path = tmp_path / "model.json"
    models[0].save(path)
    chooser = random.Random(0)
    mid_save = 0
    for _ in range(KILLS):
        child = os.fork()
        if child == 0:
            _save_forever(models, path)
        time.sleep(chooser.uniform(0.0, 0.03))
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        assert nn.load(path).state_dict() in states
        leftovers = [p for p in tmp_path.iterdir() if TEMPORARY_MARK in p.name]
        assert len(leftovers) <= 1, leftovers  # only the save that was just killed
        mid_save += len(leftovers)
    assert mid_save > 0  # some kills did land in the middle of a save (about 40%)
    models[1].save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
