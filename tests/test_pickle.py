"""Graphs and models pickle and copy, at any depth (ops travel by registry name)."""

import copy
import pickle

import nn
from engine import Value


def test_a_small_model_deep_copies_and_pickles_with_its_numbers() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    clone = copy.deepcopy(model)
    again = pickle.loads(pickle.dumps(model))
    for p, q, r in zip(model.parameters(), clone.parameters(), again.parameters()):
        assert p.data == q.data == r.data and q is not p and r is not p


def test_a_graph_after_backward_pickles_with_data_grads_and_ops() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + b**2).tanh()
    out.backward()
    back = pickle.loads(pickle.dumps(out))
    assert (back.data, back.grad, back.op) == (out.data, out.grad, out.op)
    leaves = sorted((n for n in back.children[0].children[0].children), key=lambda n: n.label)
    assert [(n.label, n.data, n.grad) for n in leaves] == [("a", 2.0, a.grad), ("b", -3.0, b.grad)]


def test_a_100000_deep_chain_copies_without_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    assert copy.deepcopy(y).data == 1.0
    assert pickle.loads(pickle.dumps(y)).data == 1.0
