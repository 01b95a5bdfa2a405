"""From a traced one-sample graph to a list of batched steps.

1. Sort the nodes; mark which depend on a sample input ("per-sample") and which do
   not ("shared": parameters, constants and nodes made from them only).
2. Fuse affine trees: an op whose local derivatives are all constants (add, sub,
   neg, ...) is affine, and ``mul`` by a shared value is linear; a tree of such
   nodes, whose inner nodes feed nothing else, becomes one affine combination of
   its frontier rows with coefficients read from the shared values.
3. Give every remaining per-sample node a depth (1 + the deepest of its arguments)
   and group nodes by (depth, op): each group is one numpy call.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from engine import ops
from engine.batch.shared import SharedPart
from engine.batch.steps import Elementwise, Linear, Step
from engine.op import Op
from engine.value import Value

__all__ = ["Plan", "make_plan"]

_SPARSE = 4
"""A group of affine nodes runs as one dense product only if its matrix has at most
this many entries per nonzero (plus a little); sparser groups run node by node."""


@dataclass
class Plan:
    """Everything a batched program needs to run."""

    shared: SharedPart
    steps: list[Step]
    rows: int
    input_count: int
    materialized: list[tuple[int, int]]  # (row, shared index): shared values used per sample
    row_of: dict[Value, int]
    depth: int
    node_count: int


def _topological(roots: Sequence[Value]) -> list[Value]:
    seen = set(roots)
    stack = list(roots)
    while stack:
        for child in stack.pop()._children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(seen, key=operator.attrgetter("_id"))


def _intercept(op: Op) -> float | None:
    """``op(0, ..., 0)`` if every local derivative of ``op`` is a constant (the op is
    affine), else None."""
    if op.arity == 0 or any(t is not None for t in op.takes_output):
        return None
    try:
        return op.evaluate(*([0.0] * op.arity))
    except (ArithmeticError, ValueError, TypeError):
        return None


def make_plan(roots: Sequence[Value], inputs: Sequence[Value], params: Sequence[Value],
              requested: set[Value]) -> Plan:
    """Plan the batched replay of the graph under ``roots``."""
    order = _topological(roots)
    input_set = set(inputs)
    per_sample: set[Value] = set(input_set)
    depends_on_param: set[Value] = set(params)
    fanout: dict[Value, int] = defaultdict(int)
    for node in order:
        if node._children:
            if node._fn is None or node._fn.arity != len(node._children):
                raise TypeError(
                    f"compile_batch: node {node!r} was built by hand with op "
                    f"{node._op!r}; only nodes made by ops can be replayed"
                )
            if any(c in per_sample for c in node._children):
                per_sample.add(node)
                for c in node._children:
                    fanout[c] += 1
            if any(c in depends_on_param for c in node._children):
                depends_on_param.add(node)

    shared = SharedPart([n for n in order if n not in per_sample], params, depends_on_param)
    s_index = shared.index
    one = len(s_index)  # the index of the constant 1.0 in the shared vector

    computed = [n for n in order if n._children and n in per_sample]
    intercepts = {op: _intercept(op) for op in {n._fn for n in computed}}

    def is_linear(node: Value) -> bool:
        if intercepts.get(node._fn) is not None:
            return True
        return node._fn is ops.mul and sum(c in per_sample for c in node._children) == 1

    def absorbable(node: Value) -> bool:
        return (node._children != () and node in per_sample and fanout[node] == 1
                and node not in requested and is_linear(node))

    # 2. fuse affine trees, consumers first
    absorbed: set[Value] = set()
    affine: dict[Value, tuple[dict[tuple[Value, int], float], dict[int, float]]] = {}
    for node in reversed(computed):
        if node in absorbed or not is_linear(node):
            continue
        terms: dict[tuple[Value, int], float] = defaultdict(float)
        biases: dict[int, float] = defaultdict(float)
        stack = [(node, 1.0)]
        while stack:
            m, factor = stack.pop()
            c0 = intercepts.get(m._fn)
            if c0 is None:  # mul by a shared value
                a, b = m._children
                x, w = (a, b) if a in per_sample else (b, a)
                terms[x, s_index[w]] += factor
                continue
            if c0 != 0.0:
                biases[one] += factor * c0
            for child, d in zip(m._children, m._fn.derivatives):
                f = factor * float(d)
                if child not in per_sample:
                    biases[s_index[child]] += f
                elif absorbable(child):
                    absorbed.add(child)
                    stack.append((child, f))
                else:
                    terms[child, one] += f
        affine[node] = (terms, biases)

    # 3. rows, depths and groups
    row_of: dict[Value, int] = {x: k for k, x in enumerate(inputs)}
    rows = len(inputs)
    materialized: list[tuple[int, int]] = []

    def row(node: Value) -> int:
        nonlocal rows
        if node not in row_of:
            row_of[node] = rows
            materialized.append((rows, s_index[node]))
            rows += 1
        return row_of[node]

    depth: dict[Value, int] = dict.fromkeys(inputs, 0)
    kept = [n for n in computed if n not in absorbed]
    for node in kept:
        if node in affine:
            args = [x for x, _ in affine[node][0]]
        else:
            args = [c for c in node._children if c in per_sample]
            for c in node._children:
                if c not in per_sample:
                    row(c)
        depth[node] = 1 + max((depth[a] for a in args), default=0)
    for node in requested:
        if node not in per_sample:
            row(node)

    def key(node: Value) -> tuple[int, int, str, tuple[bool, ...]]:
        if node in affine:
            return depth[node], 0, "", ()
        wants = tuple(c in depends_on_param for c in node._children)
        return depth[node], 1, node._fn.name, wants

    steps: list[Step] = []
    for (_, elementwise, _, _), group in groupby(sorted(kept, key=key), key=key):
        nodes = list(group)
        if not elementwise:
            for part in _dense_parts(nodes, affine):
                steps.append(_linear_step(part, affine, row_of, rows, depends_on_param, shared))
                rows += len(part)
        else:
            steps.append(_elementwise_step(nodes, row_of, rows, depends_on_param))
            rows += len(nodes)
    return Plan(shared, steps, rows, len(inputs), materialized, row_of,
                max(depth.values(), default=0), len(order))


def _dense_parts(nodes: list[Value], affine: dict) -> list[list[Value]]:
    """``nodes`` as one group if its dense matrix is not too sparse, else one by one."""
    inputs = {x for n in nodes for x, _ in affine[n][0]}
    nonzeros = sum(len(affine[n][0]) for n in nodes)
    if len(nodes) * len(inputs) <= _SPARSE * nonzeros + 64:
        return [nodes]
    return [[n] for n in nodes]


def _linear_step(nodes: list[Value], affine: dict, row_of: dict[Value, int], start: int,
                 depends_on_param: set[Value], shared: SharedPart) -> Linear:
    input_nodes = sorted({x for n in nodes for x, _ in affine[n][0]}, key=row_of.__getitem__)
    column = {x: k for k, x in enumerate(input_nodes)}
    terms = [(j, column[x], f, s)
             for j, n in enumerate(nodes) for (x, s), f in affine[n][0].items()]
    biases = [(j, f, s) for j, n in enumerate(nodes) for s, f in affine[n][1].items()]
    sources = [s for *_, s in terms] + [s for *_, s in biases]
    shared_nodes = list(shared.index)
    shared_want_grad = any(s < len(shared_nodes) and shared_nodes[s] in depends_on_param
                           for s in sources)
    for k, n in enumerate(nodes):
        row_of[n] = start + k
    return Linear(nodes, slice(start, start + len(nodes)), [row_of[x] for x in input_nodes],
                  terms, biases, any(x in depends_on_param for x in input_nodes),
                  shared_want_grad)


def _elementwise_step(nodes: list[Value], row_of: dict[Value, int], start: int,
                      depends_on_param: set[Value]) -> Elementwise:
    op = nodes[0]._fn
    args = [[row_of[n._children[i]] for n in nodes] for i in range(op.arity)]
    wants_grad = [nodes[0]._children[i] in depends_on_param for i in range(op.arity)]
    for k, n in enumerate(nodes):
        row_of[n] = start + k
    return Elementwise(op, nodes, slice(start, start + len(nodes)), args, wants_grad)
