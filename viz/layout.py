"""What a drawing shows: the nodes of a graph, optionally collapsed into one
box per module scope and cut to a budget, with a record of what was hidden.

This module only decides; :mod:`viz.dot` turns the result into DOT.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from engine import Value, topological_order

__all__ = ["Collapse", "View", "group_key", "plan_view"]

Collapse = str | int | None
"""How to merge nodes by ``node.scope``: ``"neuron"`` (``layers.1.neurons.3``),
``"layer"`` (``layers.1``), a depth (the first that many dotted parts), or
``None`` (draw every node)."""

_MARKERS = {"layer": "layers", "neuron": "neurons"}


def check_collapse(collapse: object, where: str) -> None:
    """Raise a ``ValueError``/``TypeError`` naming ``where`` if ``collapse`` is invalid."""
    if collapse is None or collapse in _MARKERS:
        return
    if isinstance(collapse, int) and not isinstance(collapse, bool):
        if collapse < 1:
            raise ValueError(f"{where}: collapse depth must be >= 1, got {collapse!r}")
        return
    raise ValueError(
        f"{where}: collapse must be 'neuron', 'layer', a scope depth >= 1 or None, "
        f"got {collapse!r}"
    )


def group_key(scope: str, collapse: Collapse) -> str | None:
    """The box a node made in ``scope`` is merged into, or None to draw it alone.

    ``"layer"``/``"neuron"`` cut the scope just after ``layers.<i>`` /
    ``neurons.<j>``; a scope without that part is one box of its own, and
    ``"neuron"`` falls back to the layer.
    """
    if not scope or collapse is None:
        return None
    parts = scope.split(".")
    if isinstance(collapse, int):
        return ".".join(parts[:collapse])
    markers = ["neurons", "layers"] if collapse == "neuron" else ["layers"]
    for marker in markers:
        for i, part in enumerate(parts[:-1]):
            if part == marker:
                return ".".join(parts[: i + 2])
    return scope


@dataclass
class View:
    """The boxes to draw. Box ids are ``n<i>`` for single nodes (``i`` is the
    node's position in ``order``) and ``g<j>`` for merged scopes."""

    order: list[Value]
    box_of: dict[Value, str]
    groups: dict[str, tuple[str, list[Value]]]  # box id -> (scope, members)
    inputs: dict[str, list[str]]  # box id -> input box ids (with repeats for nodes)
    shown: set[str]
    hidden_count: int = 0
    frontier: set[str] = field(default_factory=set)  # shown boxes with hidden inputs
    notes: list[str] = field(default_factory=list)

    @property
    def box_count(self) -> int:
        """How many boxes are drawn (single nodes plus merged scopes)."""
        return len(self.shown)


def _build(root: Value, order: list[Value], collapse: Collapse) -> View:
    box_of: dict[Value, str] = {}
    groups: dict[str, tuple[str, list[Value]]] = {}
    group_ids: dict[str, str] = {}
    for i, node in enumerate(order):
        key = None if node is root else group_key(node._scope, collapse)
        if key is None:
            box_of[node] = f"n{i}"
            continue
        gid = group_ids.get(key)
        if gid is None:
            gid = group_ids[key] = f"g{len(group_ids)}"
            groups[gid] = (key, [])
        groups[gid][1].append(node)
        box_of[node] = gid
    inputs: dict[str, list[str]] = {}
    for node in order:
        box = box_of[node]
        children = [box_of[c] for c in node._children]
        if box in groups:
            known = inputs.setdefault(box, [])
            for child in children:
                if child != box and child not in known:
                    known.append(child)
        else:
            inputs[box] = children
    return View(order, box_of, groups, inputs, set(inputs))


def _cut(view: View, root_box: str, max_boxes: int | None, max_depth: int | None) -> None:
    """Keep the boxes nearest the output (breadth first), within the budgets."""
    depth = {root_box: 0}
    kept = [root_box]
    queue = deque([root_box])
    while queue:
        box = queue.popleft()
        if max_depth is not None and depth[box] >= max_depth:
            continue
        for child in view.inputs[box]:
            if child in depth:
                continue
            if max_boxes is not None and len(kept) >= max_boxes:
                queue.clear()
                break
            depth[child] = depth[box] + 1
            kept.append(child)
            queue.append(child)
    shown = set(kept)
    if len(shown) == len(view.shown):
        return
    view.shown = shown
    view.frontier = {b for b in shown if any(c not in shown for c in view.inputs[b])}
    view.hidden_count = sum(
        len(view.groups[b][1]) if b in view.groups else 1 for b in view.inputs if b not in shown
    )


def plan_view(
    root: Value,
    collapse: Collapse = None,
    max_nodes: int = 500,
    max_depth: int | None = None,
    force: bool = False,
) -> View:
    """Decide what to draw for the graph under ``root``.

    A graph of more than ``max_nodes`` nodes is never drawn raw unless
    ``force``: it is collapsed by scope (``"neuron"``, then ``"layer"``) and,
    if still too big, cut to the ``max_nodes`` boxes nearest the output. Every
    such step is recorded in ``View.notes``. ``max_depth`` cuts boxes more
    than that many steps from the output.
    """
    order = topological_order(root)
    total = len(order)
    over = total > max_nodes and not force
    attempts: list[Collapse] = [collapse]
    if over and collapse is None:
        attempts = ["neuron", "layer"]
    used = attempts[0]
    view = _build(root, order, used)
    for attempt in attempts[1:]:
        if view.box_count <= max_nodes:
            break
        used = attempt
        view = _build(root, order, used)
    if view.groups:
        how = f"scope depth {used}" if isinstance(used, int) else f"{used} scope"
        note = f"{total:,} nodes drawn as {view.box_count:,} boxes, merged by {how}"
        if over and collapse is None:
            note += f" (the graph is over max_nodes={max_nodes:,}; force=True draws every node)"
        view.notes.append(note)
    budget = max_nodes if over else None
    if budget is not None or max_depth is not None:
        _cut(view, view.box_of[root], budget, max_depth)
        if view.hidden_count:
            reason = f"max_depth={max_depth}" if max_depth is not None else ""
            if budget is not None and view.box_count >= budget:
                reason = f"max_nodes={max_nodes:,}" + (f", {reason}" if reason else "")
            view.notes.append(
                f"{view.hidden_count:,} of {total:,} nodes hidden ({reason}; "
                "shown: the boxes nearest the output)"
            )
    return view
