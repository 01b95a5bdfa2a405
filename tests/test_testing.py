"""engine.testing itself: gradcheck's verdicts and messages, the strategies'
guarantees, and that a wrong derivative in a user-defined op is caught and
shrunk to a small readable counterexample that names the op."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from engine import REGISTRY, Domain, Value, define_op, no_grad, ops
from engine.testing import (
    Application,
    Expression,
    expressions,
    gradcheck,
    gradcheck_parameters,
    gradgradcheck,
    numeric_gradient,
    op_inputs,
    temporary_ops,
    values,
)


@pytest.fixture
def scratch_ops() -> Iterator[None]:
    """Ops a test defines are removed from the global REGISTRY afterwards,
    so registry-wide tests never meet them."""
    with temporary_ops():
        yield


def bad_cube_op():
    """x**3 with a planted wrong derivative (2x² instead of 3x²)."""
    return define_op("test_bad_cube", lambda x: x**3, [lambda x: 2 * x**2])


def fails_gradcheck(expr: Expression) -> bool:
    try:
        gradcheck(expr, expr.inputs)
    except AssertionError:
        return True
    return False


# -- gradcheck: verdicts ---------------------------------------------------------------


def test_gradcheck_passes_correct_functions_and_returns_true() -> None:
    assert gradcheck(lambda x, y: (x * y).tanh() + x.log() / y, [0.7, -1.2]) is True
    assert gradcheck(lambda x: x.sigmoid() * x, 0.3) is True  # a single number
    assert gradcheck(ops.pow, [1.5, 2.5]) is True  # an Op is a function of Values
    assert gradgradcheck(lambda x, y: (x * y).sin() * y.exp(), [0.3, 2.0]) is True


def test_gradcheck_accepts_values_and_numpy_numbers_and_leaves_them_alone() -> None:
    a, b = Value(2.0, label="a"), Value(-1.0)
    assert gradcheck(lambda x, y: x * y * y, [a, np.float64(3.0)])
    assert gradcheck(lambda x, y: x * y * y, (a, b))
    assert (a.data, a.grad, b.grad) == (2.0, 0.0, 0.0)


def test_gradcheck_works_inside_no_grad() -> None:
    with no_grad():
        assert gradgradcheck(lambda x: x.exp() * x, 0.5)


def test_numeric_gradient_is_a_central_difference() -> None:
    gx, gy = numeric_gradient(lambda x, y: x * x * y, [3.0, 2.0])
    assert gx == pytest.approx(12.0, abs=1e-8)
    assert gy == pytest.approx(9.0, abs=1e-8)


def test_gradcheck_parameters_checks_a_loss_that_reads_model_parameters() -> None:
    w, b = Value(0.5), Value(-1.0)
    before = (w.data, b.data, w.grad, b.grad)
    assert gradcheck_parameters(lambda: (w * 3.0 + b).tanh() * w, {"w": w, "b": b})
    assert (w.data, b.data, w.grad, b.grad) == before  # moved in place, then put back


def test_gradcheck_parameters_names_the_parameter_and_restores_it(scratch_ops) -> None:
    bad = bad_cube_op()
    w, b = Value(0.5), Value(2.0)
    with pytest.raises(AssertionError, match=r"d\(loss\)/d\(layer\.w\)(.|\n)*test_bad_cube"):
        gradcheck_parameters(lambda: bad(w) * b, {"layer.w": w, "layer.b": b})
    assert w.data == 0.5
    with pytest.raises(TypeError, match=r"parameters\[0\] must be a Value"):
        gradcheck_parameters(lambda: w * 2.0, [1.0])


# -- gradcheck: messages a person can act on -------------------------------------------


def test_wrong_derivative_message_names_input_values_errors_point_and_op(scratch_ops) -> None:
    bad = bad_cube_op()
    with pytest.raises(AssertionError) as caught:
        gradcheck(lambda x, y: bad(x * y) + y.exp(), [Value(0.5, label="w"), 1.5])
    message = str(caught.value)
    assert "d(f)/d(w)" in message  # which input, by its label
    assert "at:        w=0.5, x1=1.5" in message  # the point
    assert re.search(r"analytic:\s+1\.6875\b", message)  # 2*(0.75)**2 * 1.5
    assert re.search(r"numeric:\s+2\.5312(4|5)", message)  # 3*(0.75)**2 * 1.5
    assert "abs error: 0.844  (atol=1e-05)" in message
    assert "rel error: 0.333  (rtol=0.001" in message
    assert "op 'test_bad_cube': at test_bad_cube(0.75)" in message  # the culprit


def test_gradgradcheck_catches_a_derivative_that_ignores_value_nodes(scratch_ops) -> None:
    # Right on floats, but it returns a float even for Values: the second
    # derivative through it silently vanishes.
    flat_sin = define_op(
        "test_flat_sin", math.sin,
        [lambda x: math.cos(x.data if isinstance(x, Value) else x)],
    )
    assert gradcheck(flat_sin, 0.3)
    with pytest.raises(AssertionError, match=r"d²\(f\)/d\(x0\)d\(x0\)") as caught:
        gradgradcheck(lambda x: flat_sin(x) * x, 0.3)
    assert "op 'test_flat_sin'" in str(caught.value)


def test_gradgradcheck_names_an_op_whose_derivative_rejects_values(scratch_ops) -> None:
    define_op("test_math_exp", math.exp, [math.exp])
    f = REGISTRY["test_math_exp"]
    assert gradcheck(f, 0.2)
    with pytest.raises(TypeError, match=r"op 'test_math_exp'.*engine\.ops\.exp"):
        gradgradcheck(lambda x: f(x) * x, 0.2)


def test_checking_at_a_kink_says_so() -> None:
    with pytest.raises(AssertionError, match=r"relu.*is 0\.0, within \S+ of 0\.0, a kink"):
        gradcheck(ops.relu, 0.0)


def test_a_point_where_no_step_can_be_evaluated_is_a_clear_value_error(scratch_ops) -> None:
    only_at_zero = define_op("test_only_at_zero",
                             lambda x: 0.0 if x == 0 else math.log(-1.0), [0.0])
    with pytest.raises(ValueError, match=r"gradcheck: f cannot be evaluated at x0 \+ h for "
                                         r"any step h from 0\.001 down to .*test_only_at_zero"):
        gradcheck(only_at_zero, 0.0)


@pytest.mark.parametrize(
    ("f", "inputs", "kwargs", "error", "pattern"),
    [
        (42, [1.0], {}, TypeError, r"gradcheck: f must be callable, got int 42"),
        (lambda x: 3.0, [1.0], {}, TypeError, r"f must return a Value.*float 3\.0"),
        (ops.exp, [], {}, ValueError, r"inputs is empty"),
        (ops.exp, "1.0", {}, TypeError, r"inputs must be a number.*str '1\.0'"),
        (ops.exp, [math.nan], {}, ValueError, r"inputs\[0\]: expected a finite number"),
        (ops.exp, [True], {}, TypeError, r"inputs\[0\]: expected a real number"),
        (ops.exp, [1.0], {"eps": 0.0}, ValueError, r"eps must be > 0, got 0\.0"),
        (ops.exp, [1.0], {"atol": -1.0}, ValueError, r"atol must be >= 0, got -1\.0"),
        (ops.exp, [1.0], {"rtol": "x"}, TypeError, r"rtol: expected a real number"),
    ],
)
def test_bad_arguments_are_named(f, inputs, kwargs, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        gradcheck(f, inputs, **kwargs)


# -- strategies ------------------------------------------------------------------------


@given(values(Domain(low=0.0, avoid=(1.0,)), bound=2.0, margin=0.1))
def test_values_stay_inside_the_domain_away_from_edges_and_kinks(x: float) -> None:
    assert 0.1 <= x <= 2.0
    assert abs(x - 1.0) >= 0.1


@given(op_inputs("pow"))
def test_op_inputs_follow_the_op_domains(point: tuple[float, float]) -> None:
    base, exponent = point
    assert 0.1 <= base <= 3.0 and -3.0 <= exponent <= 3.0


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: values(Domain(low=5.0), bound=3.0), r"values: no room"),
        (lambda: values(bound=math.inf), r"values: bound must be a positive finite"),
        (lambda: values("x"), r"values: domain must be an engine\.Domain"),
        (lambda: op_inputs("no_such_op"), r"op_inputs: no op named 'no_such_op'"),
        (lambda: expressions(max_ops=0), r"expressions: max_ops must be an int >= 1"),
    ],
)
def test_strategy_arguments_are_checked(make, pattern) -> None:
    with pytest.raises((ValueError, TypeError), match=pattern):
        make()


def _formula_value(expr: Expression, xs: list[float]) -> float:
    """Evaluate str(expr) as Python, op names bound to the registry's ops."""
    namespace: dict[str, object] = {**REGISTRY, **{f"x{i}": x for i, x in enumerate(xs)}}
    formula, _, definitions = str(expr).partition(" where ")
    for definition in re.split(r", (?=h\d+ = )", definitions) if definitions else []:
        name, _, body = definition.partition(" = ")
        namespace[name] = eval(body, {}, namespace)
    return eval(formula, {}, namespace)


@given(expressions(max_inputs=3, max_ops=12))
def test_expressions_are_finite_in_domain_and_print_as_their_formula(expr: Expression) -> None:
    assert 1 <= len(expr.inputs) <= 3 and 1 <= len(expr.applications) <= 12
    assert all(-3.0 <= x <= 3.0 for x in expr.inputs)
    out = expr.build()
    assert math.isfinite(out.data) and abs(out.data) <= 100.0
    # every op applied inside its domain, 0.1 from kinks and edges
    stack, seen = [out], set()
    while stack:
        node = stack.pop()
        if node.op is not None:
            for child, domain in zip(node.children, node.op.domains):
                assert domain.low + 0.1 <= child.data <= domain.high - 0.1
                assert all(abs(child.data - p) >= 0.1 for p in domain.avoid)
        stack.extend(c for c in node.children if id(c) not in seen)
        seen.update(id(c) for c in node.children)
    # the printed formula computes the same number: a counterexample can be replayed
    assert _formula_value(expr, list(expr.inputs)) == out.data


def test_expressions_are_dags_with_shared_deep_sub_expressions() -> None:
    no_shrinking = settings(phases=[Phase.generate])  # any example will do
    expr = find(expressions(max_ops=30), lambda e: e.reused >= 3 and e.depth >= 10,
                settings=no_shrinking)
    assert expr.reused >= 3 and expr.depth >= 10


def test_formula_printing() -> None:
    mul, exp, log, add, sub = (REGISTRY[n] for n in ("mul", "exp", "log", "add", "sub"))
    A = Application
    tree = Expression([0.5, 2.0], [A(mul, (0, 1)), A(exp, (2,)), A(log, (0,)), A(add, (3, 4))])
    assert str(tree) == "exp(x0 * x1) + log(x0)"
    dag = Expression([0.5, 2.0], [A(mul, (0, 1)), A(exp, (2,)), A(log, (2,)), A(add, (3, 4)),
                                  A(sub, (5, -1.5))])
    assert str(dag) == "(exp(h0) + log(h0)) - (-1.5) where h0 = x0 * x1"
    assert repr(dag) == f"Expression({str(dag)!r}, inputs=[0.5, 2.0])"
    assert dag(Value(0.5), Value(2.0)).data == pytest.approx(math.e + 1.5)
    with pytest.raises(TypeError, match=r"Expression.build: takes 2 input\(s\), got 1"):
        dag.build([Value(1.0)])
    with pytest.raises(ValueError, match=r"application 0 refers to term 2"):
        Expression([1.0, 2.0], [Application(exp, (2,))])


# -- user-defined ops ------------------------------------------------------------------


def test_expressions_read_the_registry_at_draw_time(scratch_ops) -> None:
    strategy = expressions()  # made before the op exists
    define_op("test_late_op", lambda x: 2.0 * x, [2.0], domains=[Domain(low=0.0)])
    found = find(strategy, lambda e: "test_late_op" in e.ops,
                 settings=settings(phases=[Phase.generate]))
    assert "test_late_op(" in str(found)


def test_a_wrong_user_derivative_is_found_and_shrunk_to_a_readable_example(scratch_ops) -> None:
    bad_cube_op()
    smallest = find(expressions(), fails_gradcheck, settings=settings(max_examples=500))
    assert str(smallest) == "test_bad_cube(x0)"
    assert len(smallest.inputs) == 1
    with pytest.raises(AssertionError, match=r"f:\s+test_bad_cube\(x0\)(.|\n)*culprit.*"
                                             r"'test_bad_cube'"):
        gradcheck(smallest, smallest.inputs)


def test_a_property_test_over_expressions_fails_on_the_planted_op(scratch_ops) -> None:
    bad_cube_op()

    @settings(max_examples=200)
    @given(expressions(max_ops=6))
    def property_test(expr: Expression) -> None:
        gradcheck(expr, expr.inputs)

    with pytest.raises(AssertionError, match="test_bad_cube"):
        property_test()


def test_temporary_ops_cleans_up_even_after_an_error() -> None:
    with pytest.raises(RuntimeError), temporary_ops():
        define_op("test_scratch", lambda x: x, [1.0])
        raise RuntimeError("boom")
    assert "test_scratch" not in REGISTRY


@given(st.integers(min_value=1, max_value=3))
def test_builtin_ops_stay_in_the_registry(n: int) -> None:
    assert {"add", "mul", "exp", "log", "relu"} <= set(REGISTRY)
