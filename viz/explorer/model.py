"""What an explorer page knows about a graph, as plain JSON-ready data.

Every number comes from the engine: node values and final gradients are
read from the nodes, the backward steps are
:func:`viz.backprop.backward_frames` (the frames :func:`viz.backprop_steps`
draws: the engine's own local steps in ``backward()``'s order, with its
local derivatives and upstream gradients), and local derivatives come from
each op's definition (``Op.local``). Numbers are shown two ways, both made
here: ``number()`` (4 significant digits, as in every drawing) and
``repr()`` (full precision, for the inspector). The page's script only
puts these strings in place; it computes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from engine import Constant, Value, topological_order
from viz.backprop import Frame, backward_frames, local_derivative, node_names
from viz.dot import grad_color, node_kind
from viz.labels import number

__all__ = ["GRADIENT_KIND", "graph_data"]

GRADIENT_KIND = "gradient"
"""The kind of a node that only a gradient graph (``create_graph=True``) has."""


def full(x: float) -> str:
    """``x`` at full precision (the shortest text that reads back as ``x``)."""
    return repr(float(x))


def _describe(node: Value, names: dict[Value, str]) -> dict[str, Any]:
    """The forward step that computes ``node``: formula with names and with numbers."""
    op = node.op
    if op is None:
        return {"expr": "", "nums": ""}
    args = node.children
    symbol = op.symbol
    if len(args) == 2 and not symbol.isalnum():
        expr = f"{names[args[0]]} {symbol} {names[args[1]]}"
        nums = f"{number(args[0].data)} {symbol} {number(args[1].data)}"
    else:
        expr = f"{symbol}({', '.join(names[a] for a in args)})"
        nums = f"{symbol}({', '.join(number(a.data) for a in args)})"
    return {"expr": expr, "nums": nums}


def _node(node: Value, kind: str, index: dict[Value, int], names: dict[Value, str],
          grad: float) -> dict[str, Any]:
    op = node.op
    item: dict[str, Any] = {
        "name": names[node],
        "label": node.label,
        "scope": node.scope,
        "kind": kind,
        "data": number(node.data),
        "dataFull": full(node.data),
        "grad": "—" if kind == "constant" else number(grad),
        "gradFull": full(grad),
        "children": [index[c] for c in node.children],
    }
    if op is not None:
        item["op"] = op.name
        item["symbol"] = op.symbol
        children = dict.fromkeys(c for c in node.children if type(c) is not Constant)
        item["locals"] = [[index[c], _local(node, c)] for c in children]
        item.update(_describe(node, names))
    return item


def _local(node: Value, child: Value) -> str:
    """d node / d child at full precision (constants get none, as in ``backward()``)."""
    try:
        return full(local_derivative(node, child))
    except (ArithmeticError, ValueError) as error:
        return f"undefined here ({error})"


def _backward_steps(output: Value, index: dict[Value, int], names: dict[Value, str],
                    color_grad: bool) -> tuple[list[list[Any]], dict[Value, float]]:
    """One entry per frame of :func:`viz.backprop_steps`: ``[target, source,
    grad, gradFull, local, upstream, contribution]`` (plus the grad cell's colour
    with ``color_grad``), numbers as text; ``contribution`` is what this step added
    to the target's gradient, ``source`` is -1 for the first frame (the
    output's gradient set to 1). Also every node's gradient after the last step."""
    frames = backward_frames(output, names)
    so_far: dict[Value, float] = {}
    largest = max((abs(g) for g in _final(frames).values()), default=0.0)
    result = []
    for frame in frames:
        contribution = frame.grad - so_far.get(frame.target, 0.0)
        so_far[frame.target] = frame.grad
        source = -1 if frame.source is None else index[frame.source]
        step = [index[frame.target], source, number(frame.grad), full(frame.grad),
                number(frame.local), number(frame.upstream), number(contribution)]
        if color_grad:
            step.append(grad_color(frame.grad, largest))
        result.append(step)
    return result, so_far


def _forward_steps(order: list[Value], index: dict[Value, int]) -> list[int]:
    """The order values are filled in: topological, each leaf just before its
    first use (not every parameter first), so a formula follows its arguments."""
    steps: list[int] = []
    shown: set[Value] = set()
    for node in order:
        if node.is_leaf:
            continue
        for child in node.children:
            if child.is_leaf and child not in shown:
                shown.add(child)
                steps.append(index[child])
        steps.append(index[node])
    steps += [index[n] for n in order if n.is_leaf and n not in shown]  # unused, or the output
    return steps


def _final(frames: list[Frame]) -> dict[Value, float]:
    """Each node's gradient after the last frame that writes it."""
    return {frame.target: frame.grad for frame in frames}


def graph_data(output: Value, params: Collection[Value] = (),
               forward_graph: Value | None = None, color_grad: bool = False,
               ) -> tuple[list[Value], dict[str, Any]]:
    """The nodes under ``output`` in topological order, and the page's data:
    ``nodes`` (by position in that order; ``grad`` is the gradient after the
    last backward step), ``forward`` (positions, in the order values are
    filled in, see :func:`_forward_steps`) and ``backward`` (see
    :func:`_backward_steps`). Given
    ``forward_graph`` (the output a ``create_graph=True`` gradient was taken
    of), computed nodes outside its graph are of kind :data:`GRADIENT_KIND`."""
    order = topological_order(output)
    forward_nodes = set(topological_order(forward_graph)) if forward_graph is not None else None
    index = {node: i for i, node in enumerate(order)}
    names = node_names(order)
    steps, grads = _backward_steps(output, index, names, color_grad)
    largest = max((abs(g) for g in grads.values()), default=0.0)
    nodes = []
    for node in order:
        kind = node_kind(node, output, params)
        if forward_nodes is not None and node not in forward_nodes and kind == "computed":
            kind = GRADIENT_KIND
        nodes.append(_node(node, kind, index, names, grads.get(node, 0.0)))
        if color_grad and kind != "constant":
            nodes[-1]["color"] = grad_color(grads.get(node, 0.0), largest)
    data = {
        "output": index[output],
        "nodes": nodes,
        "forward": _forward_steps(order, index),
        "backward": steps,
    }
    return order, data
