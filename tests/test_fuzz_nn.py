"""Generated bad input against nn and the CLI, checked against the error policy.

Each test throws hypothesis-generated input (wrong types, NaN and huge
numbers, bad shapes and labels, corrupt files, bad command lines) at one
public entry point and accepts exactly two outcomes:

* a correct result (checked: shapes, finite numbers, the state that was saved), or
* an exception of the documented kind (``TypeError``/``ValueError`` for bad
  input, ``OverflowError`` for numbers that overflow, ``OSError`` for files)
  raised by glassgrad's own checks — not from inside numpy, json or Python —
  with a short message that names the function, option or file; and after a
  failed load or a failed step the model is exactly as it was.

The CLI must exit 0, or 2 with one ``glassgrad: error:`` line.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
from glassgrad.cli import main

ROOT = Path(__file__).resolve().parent.parent
OURS = tuple(str(ROOT / package) for package in ("nn", "engine", "glassgrad"))
SHORT = 400
"""The longest message that still counts as short."""

FUZZ = settings(max_examples=60)

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.complex_numbers(),
    st.text(max_size=8), st.binary(max_size=4), st.lists(st.integers(-3, 3), max_size=3),
    st.sampled_from([np.int64(3), np.float32(0.5), np.array([1.0, 2.0]), 10**5000, object()]),
)
"""Values of every wrong kind (and some right ones)."""


def check_policy(error: BaseException, *names: str, allowed: tuple[type, ...] = (
        TypeError, ValueError, OverflowError)) -> None:
    """``error`` is of an allowed kind, raised by our code, short, and names one of ``names``."""
    assert isinstance(error, allowed), repr(error)
    last = traceback.extract_tb(error.__traceback__)[-1].filename
    assert last.startswith(OURS), f"raised inside {last}: {error!r}"
    message = str(error)
    assert len(message) <= SHORT, message[:SHORT]
    assert any(name in message for name in names), message


def outcome(call: Any) -> tuple[Any, BaseException | None]:
    """(result, None) or (None, the exception)."""
    try:
        return call(), None
    except Exception as error:
        return None, error


# -- fit ---------------------------------------------------------------------------------

features = st.one_of(
    hnp.arrays(st.sampled_from([np.float64, np.int64, np.bool_, np.complex128, "U3"]),
               hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)),
    hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.just(2)),
               elements=st.floats(-1e3, 1e3) | st.sampled_from([math.nan, math.inf, 1e300])),
    junk,
)
labels = st.one_of(
    hnp.arrays(np.float64, st.integers(0, 6),
               elements=st.sampled_from([-1.0, 0.0, 1.0, 2.0, 5.0, 0.5, math.nan])),
    junk,
)
settings_ = st.fixed_dictionaries({}, optional={
    "loss": st.sampled_from(["hinge", "bce", "mse", "softmax", "huber"]) | junk,
    "optimizer": st.sampled_from(["sgd", "adam", "rmsprop"]) | junk,
    "lr": st.floats(0, 10) | junk,
    "steps": st.integers(-2, 3) | junk,
    "batch_size": st.none() | st.integers(-1, 4) | junk,
    "l2": st.floats(0, 1) | junk,
    "seed": st.integers(-2, 3) | junk,
    "validation": st.tuples(features, labels) | junk,
})


@FUZZ
@given(X=features, y=labels, options=settings_)
def test_fit_trains_or_refuses_by_name(X, y, options):
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    history, error = outcome(lambda: nn.fit(model, X, y, progress=False, **options))
    if error is None:
        assert all(math.isfinite(v) for v in history["loss"])
        assert len(history["loss"]) == options.get("steps", 100)
        return
    check_policy(error, "fit", "lr", "loss", "seed", "SGD", "Adam", "(")
    if not isinstance(error, OverflowError):  # bad input is refused before training
        assert model.state_dict() == before


@FUZZ
@given(X=features)
def test_predict_gives_outputs_or_refuses_by_name(X):
    model = nn.MLP(2, [2, 3], seed=0)
    result, error = outcome(lambda: nn.predict(model, X, batched=False))
    if error is None:
        assert result.shape == (len(result), 3) and np.all(np.isfinite(result))
    else:
        check_policy(error, "predict", "(")


# -- optimizers and schedules --------------------------------------------------------------


@FUZZ
@given(kind=st.sampled_from([nn.SGD, nn.Adam]), name=st.sampled_from(
    ["lr", "momentum", "dampening", "weight_decay", "betas", "eps"]), value=junk)
def test_optimizer_settings_are_checked_by_name(kind, name, value):
    if name not in kind.__init__.__code__.co_varnames:
        name = "lr"
    params = nn.MLP(2, [2, 1], seed=0).parameters()
    opt, error = outcome(lambda: kind(params, **{name: value}))
    if error is None:
        assert all(math.isfinite(x) for x in (opt.lr, getattr(opt, "eps", 0.0)))
    else:
        check_policy(error, kind.__name__)


@FUZZ
@given(kind=st.sampled_from([nn.SGD, nn.Adam]), lr=st.floats(0, 1e300),
       momentum=st.sampled_from([0.0, 0.9]),
       grads=st.lists(st.floats(-1e308, 1e308) | st.sampled_from([1e200, -1e200, 0.0]),
                      min_size=9, max_size=9))
def test_optimizer_steps_are_all_or_nothing(kind, lr, momentum, grads):
    model = nn.MLP(2, [2, 1], seed=0)
    opt = kind(model.parameters(), lr=lr, **({"momentum": momentum} if kind is nn.SGD else {}))
    for p, g in zip(opt.params, grads):
        p.grad = g
    before = ([p.data for p in opt.params], opt.steps, repr(vars(opt)))
    _, error = outcome(opt.step)
    if error is None:
        assert opt.steps == 1 and all(math.isfinite(p.data) for p in opt.params)
    else:
        check_policy(error, f"{kind.__name__}.step", allowed=(OverflowError,))
        assert ([p.data for p in opt.params], opt.steps, repr(vars(opt))) == before


@FUZZ
@given(kind=st.sampled_from([nn.constant, nn.linear, nn.cosine]),
       start=st.floats(0, 10) | junk, end=st.floats(0, 10) | junk,
       steps=st.integers(-2, 50) | junk)
def test_schedules_give_finite_rates_or_refuse_by_name(kind, start, end, steps):
    schedule, error = outcome(lambda: kind(start) if kind is nn.constant
                              else kind(start, end, steps))
    if error is None:
        assert all(math.isfinite(schedule(k)) and schedule(k) >= 0 for k in range(60))
    else:
        check_policy(error, kind.__name__, allowed=(ValueError,))


# -- datasets ----------------------------------------------------------------------------

sizes = st.integers(-3, 40) | st.integers(10**8, 10**30) | junk


@FUZZ
@given(name=st.sampled_from(sorted(nn.datasets.DATASETS)), n=sizes,
       noise=st.floats(0, 1) | junk, seed=st.integers(-2, 2**33) | junk)
def test_datasets_make_points_or_refuse_by_name(name, n, noise, seed):
    make = nn.datasets.DATASETS[name]
    extra = {"std": noise} if name == "blobs" else {"noise": noise}
    data, error = outcome(lambda: make(n, seed=seed, **extra))
    if error is None:
        X, y = data
        assert X.shape == (n, 2) and y.shape == (n,) and np.all(np.isfinite(X))
    else:
        check_policy(error, name, "seed")


@FUZZ
@given(fraction=st.floats(0, 1) | junk, seed=st.integers(-2, 3) | junk)
def test_train_test_split_splits_or_refuses_by_name(fraction, seed):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    split, error = outcome(lambda: nn.datasets.train_test_split(X, y, fraction, seed))
    if error is None:
        assert len(split.y_train) + len(split.y_test) == 10
        assert sorted(np.concatenate([split.y_train, split.y_test])) == list(range(10))
    else:
        check_policy(error, "train_test_split", "seed")


# -- model files ----------------------------------------------------------------------------

json_junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats()
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=8,
)


def good_document() -> dict[str, Any]:
    model = nn.MLP(2, [3, 1], seed=1)
    return {"format": "glassgrad-model", "version": 1, "architecture": model.config(),
            "parameters": model.state_dict()}


def check_load(text: str | bytes) -> None:
    """``nn.load`` and ``Module.load`` of a file with ``text``: the saved model or a
    named error, and a model that failed to load is unchanged."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "replace"))
        model = nn.MLP(2, [3, 1], seed=0)
        before = model.state_dict()
        loaded, error = outcome(lambda: nn.load(path))
        if error is None:
            assert loaded.state_dict() == json.loads(path.read_text())["parameters"]
        else:
            check_policy(error, "fuzzed.json", allowed=(ValueError, OSError))
        _, error = outcome(lambda: model.load(path))
        if error is None:
            assert model.state_dict() == json.loads(path.read_text())["parameters"]
        else:
            check_policy(error, "fuzzed.json", allowed=(ValueError, OSError))
            assert model.state_dict() == before


@FUZZ
@given(data=st.binary(max_size=200) | st.text(max_size=200))
def test_random_bytes_are_refused_by_file_name(data):
    check_load(data)


@FUZZ
@given(where=st.sampled_from(["format", "version", "architecture", "parameters",
                              "architecture.nin", "architecture.nouts",
                              "architecture.activation", "architecture.type",
                              "parameters.layers.0.neurons.0.w0", "cut"]),
       value=json_junk | st.integers(10**5, 10**30) | st.lists(st.integers(-1, 10**7),
                                                                   max_size=3),
       cut=st.integers(0, 400))
def test_corrupt_model_files_are_refused_and_leave_the_model_alone(where, value, cut):
    document = good_document()
    if where == "cut":
        check_load(json.dumps(document)[:cut])
        return
    part, _, field = where.partition(".")
    if field:
        document[part][field] = value
    else:
        document[part] = value
    check_load(json.dumps(document))


CONFIG_KEYS = ["nin", "nout", "nouts", "activation", "bias", "n_embd", "n_head", "n_layer",
               "block_size", "vocab_size", "chars", "num", "dim", "eps", "affine", "momentum",
               "p", "std"]


@FUZZ
@given(kind=st.sampled_from(sorted(nn.layers.MODULES)),
       fields=st.dictionaries(st.sampled_from(CONFIG_KEYS), json_junk | st.integers(1, 10**9),
                              max_size=8),
       parameters=st.dictionaries(st.text(max_size=6), st.floats(-1, 1), max_size=20))
def test_any_declared_module_is_built_exactly_or_refused(kind, fields, parameters):
    check_load(json.dumps({"format": "glassgrad-model", "version": 1,
                           "architecture": {"type": kind, **fields}, "parameters": parameters}))


@pytest.mark.parametrize("depth", [10, 1000, 100_000])
def test_deeply_nested_files_are_refused_by_name(depth):
    check_load('{"format": "glassgrad-model", "version": 1, "architecture": '
               + "[" * depth + "]" * depth + ', "parameters": {}}')


# -- the command line -----------------------------------------------------------------------

BAD_VALUES = ["", "0", "-1", "x", "1e3", "nan", "inf", "-inf", "9" * 30, "9" * 5000, "1,,0",
              ",", "2,-3", "0x10", "½", "\x00", " ", "1.5", "/dev/null", "/", "swish",
              "/nonexistent/model.json"]
OPTIONS = ["--samples", "--steps", "--hidden", "--lr", "--noise", "--momentum", "--l2",
           "--batch-size", "--seed", "--dataset", "--activation", "--loss", "--optimizer",
           "--init", "--schedule", "--save"]


@contextlib.contextmanager
def _in_a_scratch_folder():
    """Run in an empty temporary folder, so a ``--save x`` that succeeds writes
    nowhere it would stay."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(previous)


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(OPTIONS), st.sampled_from(BAD_VALUES)),
                        min_size=1, max_size=3))
def test_bad_command_lines_get_one_line_and_status_2(changes):
    argv = ["train", "--steps", "1", "--samples", "20", "--hidden", "2", "--no-progress"]
    for option, value in changes:
        argv += [option, value]
    out, err = io.StringIO(), io.StringIO()
    with _in_a_scratch_folder(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit_:
            status = exit_.code
    if status == 0:
        assert "final loss" in out.getvalue()
        return
    message = err.getvalue()
    assert status == 2 and message.startswith("glassgrad: error:"), (argv, message)
    assert message.count("\n") == 1 and len(message) <= SHORT, message[:SHORT]
    assert "Traceback" not in message
