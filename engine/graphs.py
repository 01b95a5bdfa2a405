"""Pickling and copying ``Value`` graphs without recursion.

``pickle`` and ``copy.deepcopy`` follow a node's inputs recursively, so a
deep graph (a long chain) would exceed the recursion limit. Instead a
computed node is reduced to its whole graph as one flat list in topological
order: leaves as themselves (so a model's parameters keep their identity),
every computed node as a record of its fields and the positions of its
inputs in the list. Ops travel by registry name (see ``Op.__reduce__``).
"""

from __future__ import annotations

from typing import Any

from engine.autograd import topological_order
from engine.op import Op
from engine.value import Value, fill

__all__ = ["reduce_value"]

Record = tuple[type, float, float, str, str, "Op | None", tuple[int, ...]]
"""A computed node: class, data, grad, label, scope, op, input positions."""

_new = object.__new__


def reduce_value(node: Value) -> tuple[Any, ...]:
    """The ``__reduce__`` answer for ``node``: a leaf by its fields, a computed
    node by the flat list of its graph."""
    if not node._children:
        return (_leaf, (type(node), node._data, node._grad, node.label, node._scope, node._fn))
    order = topological_order(node)
    position = {n: i for i, n in enumerate(order)}
    items: list[Value | Record] = [
        n if not n._children else (
            type(n), n._data, n._grad, n.label, n._scope, n._fn,
            tuple(position[c] for c in n._children),
        )
        for n in order
    ]
    return (_graph, (items,))


def _leaf(cls: type, data: float, grad: float, label: str, scope: str, op: Op | None) -> Value:
    node = fill(_new(cls), data, (), op, label, scope)
    node._grad = grad
    return node


def _graph(items: list[Value | Record]) -> Value:
    """Rebuild a graph from ``reduce_value``'s list; the output is the last item."""
    nodes: list[Value] = []
    for item in items:
        if isinstance(item, Value):
            nodes.append(item)
            continue
        cls, data, grad, label, scope, op, inputs = item
        node = fill(_new(cls), data, tuple(nodes[i] for i in inputs), op, label, scope)
        node._grad = grad
        nodes.append(node)
    return nodes[-1]
