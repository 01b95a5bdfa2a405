"""Programs written for micrograd 0.1.0 and for the Zero-to-Hero lecture's
``Value`` run unchanged on ``engine`` (once ``micrograd.engine`` becomes
``engine``) and give the same numbers."""

from __future__ import annotations

import importlib.util
import math
import random
import types
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

import engine

README_EXAMPLE = """
from micrograd.engine import Value

a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
g.backward()
"""


def run_as_glassgrad(program: str) -> dict[str, Any]:
    """Run micrograd program text with its import switched to ``engine``."""
    namespace: dict[str, Any] = {}
    exec(program.replace("micrograd.engine", "engine"), namespace)
    return namespace


def test_micrograd_readme_example():
    ns = run_as_glassgrad(README_EXAMPLE)
    assert f"{ns['g'].data:.4f}" == "24.7041"
    assert f"{ns['a'].grad:.4f}" == "138.8338"
    assert f"{ns['b'].grad:.4f}" == "645.5773"


def test_micrograd_readme_example_gives_micrograd_numbers_exactly_enough():
    pytest.importorskip("micrograd")
    theirs: dict[str, Any] = {}
    exec(README_EXAMPLE, theirs)
    ours = run_as_glassgrad(README_EXAMPLE)
    for name in "abcdefg":
        assert math.isclose(ours[name].data, theirs[name].data, rel_tol=1e-12), name
    for name in "ab":
        assert math.isclose(ours[name].grad, theirs[name].grad, rel_tol=1e-12), name


def test_lecture_expression_graph():
    Value = engine.Value
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    assert L.data == -8.0
    L.backward()
    grads = {n.label: n.grad for n in (L, f, d, c, e, a, b)}
    assert grads == {"L": 1.0, "f": 4.0, "d": -2.0, "c": -2.0, "e": -2.0, "a": 6.0, "b": -4.0}


def lecture_neuron(decomposed_tanh: bool) -> dict[str, engine.Value]:
    Value = engine.Value
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    if decomposed_tanh:  # the lecture's second version: tanh from exp, -, /
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.backward()
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "o": o}


@pytest.mark.parametrize("decomposed_tanh", [False, True])
def test_lecture_tanh_neuron(decomposed_tanh):
    nodes = lecture_neuron(decomposed_tanh)
    assert math.isclose(nodes["o"].data, math.sqrt(0.5), rel_tol=1e-9)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}
    for name, grad in expected.items():
        assert math.isclose(nodes[name].grad, grad, rel_tol=1e-6, abs_tol=1e-12), name


def test_lecture_graph_walk_over_prev_and_op():
    # The lecture's trace(): collect nodes and edges through _prev, label with _op.
    a, b = engine.Value(2.0, label="a"), engine.Value(-3.0, label="b")
    out = (a * b + a).tanh()
    nodes: set[engine.Value] = set()
    edges: set[tuple[engine.Value, engine.Value]] = set()

    def build(v: engine.Value) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(out)
    assert len(nodes) == 5 and len(edges) == 5
    assert {n._op for n in nodes} == {"", "*", "+", "tanh"}
    assert all(isinstance(id(n), int) and isinstance(n.label, str) for n in nodes)


# -- micrograd's own nn.py, run on our engine ---------------------------------------


def micrograd_nn(on_glassgrad: bool) -> types.ModuleType:
    """micrograd's installed ``nn`` module, optionally re-run with ``engine``."""
    pytest.importorskip("micrograd")
    spec = importlib.util.find_spec("micrograd.nn")
    assert spec is not None and spec.origin is not None
    with open(spec.origin, encoding="utf-8") as file:
        source = file.read()
    if on_glassgrad:
        source = source.replace("micrograd.engine", "engine")
    module = types.ModuleType("nn_under_test")
    exec(compile(source, spec.origin, "exec"), module.__dict__)
    return module


def train_micrograd_mlp(nn: types.ModuleType, steps: int) -> tuple[list[float], list[float]]:
    """A few SGD steps of micrograd's demo loss on six points; losses and weights."""
    random.seed(1337)
    model = nn.MLP(2, [4, 4, 1])
    xs = [[2.0, 1.0], [-1.0, 0.5], [0.3, -2.0], [1.5, 1.5], [-0.7, -0.2], [0.1, 0.9]]
    ys = [1.0, -1.0, -1.0, 1.0, -1.0, 1.0]
    losses = []
    for step in range(steps):
        scores = [model(x) for x in xs]
        hinge = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
        loss = sum(hinge) * (1.0 / len(hinge)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * step / steps) * 0.1 * p.grad
        losses.append(loss.data)
    return losses, [p.data for p in model.parameters()]


def test_micrograd_nn_module_trains_identically_on_our_engine():
    their_losses, their_params = train_micrograd_mlp(micrograd_nn(on_glassgrad=False), 8)
    our_losses, our_params = train_micrograd_mlp(micrograd_nn(on_glassgrad=True), 8)
    assert our_losses == pytest.approx(their_losses, rel=1e-9)
    assert our_params == pytest.approx(their_params, rel=1e-9, abs=1e-12)
    assert our_losses[-1] < our_losses[0]


# -- the same random program on both engines ----------------------------------------


@dataclass
class Program:
    """Python text building a graph from ``Value``s, then calling backward."""

    text: str
    names: list[str]


leaf_numbers = st.integers(-12, 12).map(lambda k: k / 4)  # exact, zeros included
constants = st.sampled_from([-2.0, -0.5, 0.5, 1.0, 3.0])
exponents = st.sampled_from([1, 2, 3, -1, -2, 0.5])


@st.composite
def programs(draw: st.DrawFn) -> Program:
    names = [f"v{i}" for i in range(draw(st.integers(1, 3)))]
    lines = [f"{name} = Value({draw(leaf_numbers)!r})" for name in names]
    for _ in range(draw(st.integers(1, 10))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        c, k = draw(constants), draw(exponents)
        expression = draw(
            st.sampled_from(
                [
                    f"{a} + {b}", f"{a} - {b}", f"{a} * {b}", f"{a} / {b}",
                    f"-{a}", f"{a} ** {k}", f"{a}.relu()",
                    f"{a} + {c}", f"{c} + {a}", f"{a} - {c}", f"{c} - {a}",
                    f"{c} * {a}", f"{a} * {c}", f"{a} / {c}", f"{c} / {a}",
                ]
            )
        )
        name = f"v{len(names)}"
        lines.append(f"{name} = {expression}")
        names.append(name)
    lines.append(f"{names[-1]}.backward()")
    return Program("\n".join(lines), names)


def run_program(program: Program, value_class: type) -> dict[str, tuple[Any, Any]] | Exception:
    """(data, grad) of every named node, or the exception the program raised."""
    namespace: dict[str, Any] = {"Value": value_class}
    try:
        exec(program.text, namespace)
    except Exception as error:  # micrograd raises plain Python errors
        return error
    return {name: (namespace[name].data, namespace[name].grad) for name in program.names}


def is_finite_real(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


@given(programs())
def test_random_programs_match_micrograd(program):
    micrograd_engine = pytest.importorskip("micrograd.engine")
    note(program.text)
    theirs = run_program(program, micrograd_engine.Value)
    ours = run_program(program, engine.Value)
    if isinstance(theirs, Exception) or not all(
        is_finite_real(x) for pair in theirs.values() for x in pair
    ):
        # micrograd failed or produced inf/nan/complex: we must raise instead.
        assert isinstance(ours, (ArithmeticError, ValueError)), (theirs, ours)
        return
    # micrograd divides as a * b**-1; keep away from cancellations where that
    # last-bit difference decides a relu or blows up in a reciprocal.
    assume(all(d == 0 or abs(d) > 1e-6 for d, _ in theirs.values()))
    assert not isinstance(ours, Exception), ours
    for name in program.names:
        (our_data, our_grad), (their_data, their_grad) = ours[name], theirs[name]
        assert math.isclose(our_data, their_data, rel_tol=1e-9, abs_tol=1e-12), name
        assert math.isclose(our_grad, their_grad, rel_tol=1e-9, abs_tol=1e-9), name
