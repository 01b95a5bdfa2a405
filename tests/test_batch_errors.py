"""Batched mode rejects bad input with clear errors and never returns a silent NaN."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Value
from engine.batch import compile_batch


def program_of(make):
    x, w = Value(1.0), Value(1.0)
    return compile_batch(make(x, w), inputs=[x], params=[w])


def test_log_of_a_negative_sample_names_the_op_and_the_sample():
    program = program_of(lambda x, w: (w * x).log())
    with pytest.raises(ValueError, match=r"batch sample 2: log\(-3\.0\)"):
        program([[1.0], [2.0], [-3.0], [-4.0]])


def test_overflow_names_the_op_and_the_sample():
    program = program_of(lambda x, w: (w * x).exp())
    with pytest.raises(OverflowError, match=r"batch sample 1: exp\(1000\.0\)"):
        program([[1.0], [1000.0]])


def test_overflow_in_a_fused_sum_names_the_sample():
    program = program_of(lambda x, w: w * x + 1e308)
    with pytest.raises(OverflowError, match=r"add.*inf in batch sample 1"):
        program([[1.0], [1e308]])


def test_division_by_zero_in_one_sample():
    program = program_of(lambda x, w: w / x)
    with pytest.raises(ZeroDivisionError, match=r"batch sample 0: div\(1\.0, 0\.0\)"):
        program([[0.0], [2.0]])


def test_an_undefined_gradient_names_the_op_and_the_sample():
    program = program_of(lambda x, w: (w * x).sqrt())
    program([[0.0]], grad=False)  # sqrt(0) is fine going forward ...
    with pytest.raises(OverflowError, match=r"sqrt\(0\.0\).*batch sample 1"):
        program([[1.0], [0.0]])  # ... but its derivative is infinite


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([1.0, 2.0], r"shape \(B, 1\).*got shape \(2,\)"),
        ([[1.0, 2.0]], r"shape \(B, 1\).*got shape \(1, 2\)"),
        (np.zeros((0, 1)), r"B >= 1"),
        ([[1.0], [float("nan")]], r"batch sample 1, input 0 is nan"),
    ],
)
def test_bad_batches(batch, message):
    program = program_of(lambda x, w: w * x)
    with pytest.raises(ValueError, match=message):
        program(batch)


def test_a_batch_of_strings_is_a_type_error():
    with pytest.raises(TypeError, match="batch must be an array of real numbers"):
        program_of(lambda x, w: w * x)([["a"]])


def test_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'max'"):
        program_of(lambda x, w: w * x)([[1.0]], reduction="max")


def test_params_and_inputs_must_be_distinct_leaves():
    x, w = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"params must be leaf Values.*computed by mul"):
        compile_batch(w * x, inputs=[x], params=[w * 2])
    with pytest.raises(ValueError, match="inputs must be leaf Values"):
        compile_batch(w * x, inputs=[x + 1], params=[w])
    with pytest.raises(ValueError, match="listed twice"):
        compile_batch(w * x, inputs=[x], params=[w, x])


def test_non_values_are_type_errors():
    x = Value(1.0)
    with pytest.raises(TypeError, match="loss must be a Value"):
        compile_batch(1.0, inputs=[x], params=[])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="params must be Values, got float"):
        compile_batch(x * 2, inputs=[x], params=[2.0])  # type: ignore[list-item]


def test_hand_built_nodes_cannot_be_replayed():
    x = Value(1.0)
    drawn = Value(3.0, (x,), "+")
    with pytest.raises(TypeError, match="built by hand"):
        compile_batch(drawn, inputs=[x], params=[])


def test_param_values_replace_the_parameters_data_and_are_checked():
    program = program_of(lambda x, w: (w * x - 1.0) ** 2)
    result = program([[2.0]], param_values=[3.0])  # w = 3 instead of its .data, 1
    assert result.loss == 25.0 and result.grads is not None and result.grads.tolist() == [20.0]
    with pytest.raises(ValueError, match=r"param_values must have shape \(1,\).*\(2,\)"):
        program([[2.0]], param_values=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"param_values\[0\] .* is nan"):
        program([[2.0]], param_values=[float("nan")])
    with pytest.raises(TypeError, match="param_values must be an array of numbers"):
        program([[2.0]], param_values=["w"])
