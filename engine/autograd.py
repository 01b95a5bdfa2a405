"""Reverse-mode differentiation over ``Value`` graphs, without recursion.

``backward`` fills in ``.grad`` fields; ``grad`` returns gradients as new
values and, with ``create_graph=True``, as differentiable graphs of their own
(the route to second derivatives). Both walk one topological order: an
explicit stack finds the nodes and creation order sorts them, so a graph of
any depth works at Python's default recursion limit.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from engine.checks import listed, short_repr
from engine.collector import graph_done
from engine.mode import enable_grad
from engine.op import _bad_gradient, _derivative_error, _real_local
from engine.value import Value

__all__ = ["backward", "grad", "reverse_topological_order", "topological_order"]


def _reachable(outputs: tuple[Value, ...]) -> set[Value]:
    """Every node the ``outputs`` depend on, themselves included (iterative)."""
    seen = set(outputs)
    stack = list(outputs)
    while stack:
        for child in stack.pop()._children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


_creation = operator.attrgetter("_id")


def topological_order(output: Value, *more_outputs: Value) -> list[Value]:
    """Every node ``output`` (and any ``more_outputs``) depends on, children before
    the nodes made from them; a single ``output`` comes last.

    A node is always made after its children, so creation order is a
    topological order: no depth-first search (nor recursion) needed."""
    return sorted(_reachable((output, *more_outputs)), key=_creation)


def reverse_topological_order(output: Value, *more_outputs: Value) -> list[Value]:
    """Every node ``output`` (and any ``more_outputs``) depends on, each before all
    of its children; leaves last. This is the order backward visits nodes."""
    return sorted(_reachable((output, *more_outputs)), key=_creation, reverse=True)


def backward(output: Value) -> None:
    """Set ``.grad`` of every node under ``output`` to d(output)/d(node).

    Nodes computed from others are reset first, so they hold this pass's
    gradient; leaves accumulate across passes, as in PyTorch."""
    if not output._children:
        output._grad += 1.0
        return
    order = _computed_nodes(output)
    order.sort(key=_creation, reverse=True)
    output._grad = 1.0
    for node in order:
        op = node._fn
        if op is not None:
            op.push(node, node._grad)
    graph_done(len(order))


def _computed_nodes(output: Value) -> list[Value]:
    """The computed nodes (those with children) that ``output`` depends on, itself
    included, each with its ``.grad`` reset to 0.0. Leaves are skipped: backward
    never pushes from them, and they are most of the repeated visits."""
    output._grad = 0.0
    seen = {output}
    stack = [output]
    while stack:
        for child in stack.pop()._children:
            if child._children and child not in seen:
                child._grad = 0.0
                seen.add(child)
                stack.append(child)
    return list(seen)


def grad(
    output: Value, inputs: Value | Sequence[Value], create_graph: bool = False
) -> list[Value]:
    """d(output)/d(input) for each of ``inputs``, leaving every ``.grad`` alone.
    ``inputs`` may be one ``Value`` (the result is then a list of one).

    With ``create_graph=True`` each result is a node computed from the graph
    of ``output``, so it can be differentiated again (second derivatives,
    Hessians, Newton steps). Otherwise results are plain leaves. An input
    that ``output`` does not depend on gets 0.0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if not isinstance(create_graph, bool):
        raise TypeError(f"grad: create_graph must be True or False, got {short_repr(create_graph)}")
    inputs = [inputs] if isinstance(inputs, Value) else listed(inputs, "grad: inputs")
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__} {short_repr(x)}")
    order = topological_order(output)
    needed = _on_a_path_to(order, inputs)
    order.reverse()  # outputs first
    if create_graph:
        with enable_grad():
            grads = _accumulate(order, needed, output, symbolic=True)
    else:
        grads = _accumulate(order, needed, output, symbolic=False)
    graph_done(len(order))
    results = []
    for x in inputs:
        g = grads.get(x, 0.0)
        if not isinstance(g, Value):
            g = Value(g)
        results.append(g)
    return results


def _on_a_path_to(order: list[Value], inputs: list[Value]) -> set[Value]:
    """The nodes in ``order`` that are one of ``inputs`` or depend on one."""
    needed = set(inputs)
    for node in order:
        if node not in needed and any(c in needed for c in node._children):
            needed.add(node)
    return needed


def _accumulate(
    order: list[Value], needed: set[Value], output: Value, symbolic: bool
) -> dict[Value, Any]:
    """Sweep ``order`` (outputs first) collecting gradients in a dict: floats, or (symbolic)
    ``Value`` graphs built by evaluating each derivative on the nodes."""
    grads: dict[Value, Any] = {output: 1.0}
    for node in order:
        op = node._fn
        if op is None or node not in grads or node not in needed:
            continue
        g = grads[node]
        if type(g) is float and g == 0.0:
            continue
        children = node._children
        xs = list(children) if symbolic else [c._data for c in children]
        out = node if symbolic else node._data
        for i, child in enumerate(children):
            if child not in needed:
                continue
            try:
                local = op.local(i, xs, out)
            except Exception as error:
                raise _derivative_error(error, node) from error
            if type(local) is not float and not (symbolic and isinstance(local, Value)):
                local = _real_local(local, node, i)
            total = _times(g, local)
            if child in grads:
                total = grads[child] + total
            if (total - total != 0.0) if type(total) is float else not symbolic:
                total = _bad_gradient(node, i, total)  # raises: not a finite float
            grads[child] = total
    return grads


def _times(g: Any, local: Any) -> Any:
    """g * local, without building nodes for a factor that is exactly 1."""
    if type(local) is float and local == 1.0:
        return g
    if type(g) is float and g == 1.0:
        return local
    return g * local
