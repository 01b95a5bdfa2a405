"""What a drawing shows: the nodes of a graph, merged into boxes and cut to a
budget, with a record of what was hidden.

Merging, when the graph is over budget (or ``collapse`` asks for it):

- nodes made in one module scope (``layers.1.neurons.3``) become one box per
  *call* of that module -- each sample's pass through a neuron stays its own
  box -- and the scope's parameters join it (or get a box of their own when
  several calls share them);
- any long chain of ``+`` or ``*`` outside a scope (an L2 penalty, a mean over
  samples) becomes one box, "sum of 337 terms", together with one-op terms
  such as ``p * p`` that feed only the chain.

Cutting keeps the output and, breadth first, at most
:data:`MAX_NEW_CHILDREN` new child boxes of each box, so the drawing shows the
whole depth of a few samples rather than one wide layer of all of them.

This module only decides; :mod:`viz.dot` turns the result into DOT.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from engine import Constant, Value, topological_order
from engine.collector import collector_stopped

__all__ = [
    "FOLD_FROM",
    "MAX_NEW_CHILDREN",
    "Collapse",
    "Group",
    "View",
    "check_collapse",
    "group_key",
    "plan_view",
]

Collapse = str | int | None
"""How to merge nodes by ``node.scope``: ``"neuron"`` (``layers.1.neurons.3``),
``"layer"`` (``layers.1``), a depth (the first that many dotted parts), or
``None`` (merge only if the graph is over budget)."""

FOLD_FROM = 4
"""A chain of at least this many ``+`` (or ``*``) nodes is drawn as one box."""

MAX_NEW_CHILDREN = 5
"""When cutting, each box brings in at most this many of its hidden child boxes."""

PLAN_LIMIT = 100_000
"""A larger graph is planned from the nodes nearest the output only (breadth
first), so planning takes at most about a second whatever the graph's size."""

_MARKERS = {"layer": "layers", "neuron": "neurons"}
_FOLDABLE = {"+": "sum", "*": "product"}


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
    """The scope box a node made in ``scope`` is merged into, or None.

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
class Group:
    """Several nodes drawn as one box: ``title`` names it, ``members`` are in
    topological order, ``output`` is the member whose value leaves the box."""

    title: str
    members: list[Value]
    output: Value
    kind: str  # "scope", "parameters" or "chain"


@dataclass
class View:
    """The boxes to draw. Box ids are ``n<i>`` for single nodes (``i`` is the
    node's position in ``order``) and ``g<j>`` for groups, numbered in
    reading order (``layers.0`` before ``layers.1``, ``neurons.2`` before
    ``neurons.10``, call 1 before call 2)."""

    order: list[Value]
    box_of: dict[Value, str]
    groups: dict[str, Group]
    child_boxes: dict[str, list[str]]  # box id -> the boxes its members' children are in
    shown: set[str]
    cut_off: set[str] = field(default_factory=set)  # boxes with children beyond PLAN_LIMIT
    hidden_count: int = 0
    frontier: set[str] = field(default_factory=set)  # shown boxes with hidden child boxes
    notes: list[str] = field(default_factory=list)

    @property
    def box_count(self) -> int:
        """How many boxes are drawn (single nodes plus groups)."""
        return len(self.shown)

    def drawn_nodes(self) -> int:
        """How many graph nodes the shown boxes stand for."""
        return sum(len(self.groups[b].members) if b in self.groups else 1 for b in self.shown)


def _natural(text: str) -> tuple[object, ...]:
    """Sort key reading digit runs as numbers: ``neurons.2`` < ``neurons.10``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _uses(order: list[Value]) -> dict[Value, int]:
    """How many times each node is a child of another (``a + a`` counts twice)."""
    uses: dict[Value, int] = {}
    for node in order:
        for child in node.children:
            uses[child] = uses.get(child, 0) + 1
    return uses


def _scope_groups(
    order: list[Value], keys: dict[Value, str], position: dict[Value, int]
) -> list[tuple[tuple[object, ...], Group]]:
    """One group per call of each scope, plus the scope's parameters.

    A call is a run of computed nodes of one scope made one after the other
    (leaves in between do not interrupt it): each sample's pass through a
    neuron is its own call, since other scopes' nodes are made between two.
    Constants made in a scope join the call that uses them next."""
    calls: dict[str, list[list[Value]]] = {}
    leaves: dict[str, list[Value]] = {}
    constants: dict[str, list[Value]] = {}  # made in the scope, joining the next call
    current: str | None = None
    for node in order:
        key = keys.get(node)
        if node.is_leaf:
            if key is not None:
                kept = constants if type(node) is Constant else leaves
                kept.setdefault(key, []).append(node)
            continue
        if key is not None:
            if key != current:
                calls.setdefault(key, []).append([])
            calls[key][-1].extend(constants.pop(key, ()))
            calls[key][-1].append(node)
        current = key
    for key, left in constants.items():
        leaves.setdefault(key, []).extend(left)
    result: list[tuple[tuple[object, ...], Group]] = []
    for key in set(calls) | set(leaves):
        found = calls.get(key, [])
        params = leaves.get(key, [])
        if len(found) == 1:
            members = sorted(found[0] + params, key=position.__getitem__)
            result.append(((*_natural(key), 0), Group(key, members, found[0][-1], "scope")))
            continue
        for k, call in enumerate(found, 1):
            title = f"{key} (call {k} of {len(found)})"
            result.append(((*_natural(key), k), Group(title, call, call[-1], "scope")))
        if params:
            title = f"{key} parameters"
            result.append(((*_natural(key), 0), Group(title, params, params[-1], "parameters")))
    return result


def _chain_groups(
    order: list[Value], keys: dict[Value, str], uses: dict[Value, int],
    position: dict[Value, int],
) -> list[tuple[tuple[object, ...], Group]]:
    """Long chains of ``+``/``*`` outside scopes, with their one-op terms."""
    chain_of: dict[Value, list[Value]] = {}
    chains: list[list[Value]] = []
    for node in order:
        op = node.op
        if op is None or op.symbol not in _FOLDABLE or node in keys:
            continue
        chain = next(
            (chain_of[c] for c in node.children
             if c in chain_of and c.op is op and uses.get(c, 0) == 1),
            None,
        )
        if chain is None:
            chain = []
            chains.append(chain)
        chain.append(node)
        chain_of[node] = chain
    result: list[tuple[tuple[object, ...], Group]] = []
    for chain in chains:
        if len(chain) < FOLD_FROM:
            continue
        members = set(chain)
        terms = [
            c for n in chain for c in n.children
            if c not in members and not c.is_leaf and c not in keys and uses.get(c, 0) == 1
            and len(chain_of.get(c, ())) < FOLD_FROM and all(g.is_leaf for g in c.children)
        ]
        count = sum(
            1 for n in chain for c in n.children if c not in members and type(c) is not Constant
        )
        title = f"{_FOLDABLE[_symbol(chain[0])]} of {count:,} terms"
        if terms:
            title += f" (each {_symbol(terms[0])})" if len({t.op for t in terms}) == 1 else ""
        everything = sorted(members | set(terms), key=position.__getitem__)
        result.append((("~chain", len(result)), Group(title, everything, chain[-1], "chain")))
    return result


def _build(output: Value, order: list[Value], collapse: Collapse, merge: bool) -> View:
    """Boxes for ``order``: one per node, or merged (scopes by ``collapse``,
    long chains) when ``merge``."""
    groups: list[tuple[tuple[object, ...], Group]] = []
    if merge:
        cache: dict[str, str | None] = {}
        keys: dict[Value, str] = {}
        for node in order:
            scope = node.scope
            if scope:
                if scope not in cache:
                    cache[scope] = group_key(scope, collapse)
                key = cache[scope]
                if key is not None:
                    keys[node] = key
        position = {node: i for i, node in enumerate(order)}
        groups = _scope_groups(order, keys, position)
        groups += _chain_groups(order, keys, _uses(order), position)
        groups.sort(key=lambda item: item[0])
    box_of: dict[Value, str] = {}
    named: dict[str, Group] = {}
    for j, (_key, group) in enumerate(groups):
        gid = f"g{j}"
        named[gid] = group
        for member in group.members:
            box_of[member] = gid
    for i, node in enumerate(order):
        if node not in box_of:
            box_of[node] = f"n{i}"
    child_boxes: dict[str, list[str]] = {}
    cut_off: set[str] = set()
    for node in order:
        box = box_of[node]
        known = child_boxes.setdefault(box, [])
        for child in node.children:
            source = box_of.get(child)
            if source is None:
                cut_off.add(box)
            elif source != box and source not in known:
                known.append(source)
    return View(order, box_of, named, child_boxes, set(child_boxes), cut_off=cut_off)


def _nearest(output: Value, limit: int) -> set[Value]:
    """The ``limit`` nodes nearest ``output``, breadth first through children."""
    kept = {output}
    queue = deque([output])
    while queue:
        for child in queue.popleft().children:
            if child not in kept:
                if len(kept) >= limit:
                    return kept
                kept.add(child)
                queue.append(child)
    return kept


def _cut(
    view: View, output_box: str, max_boxes: int | None, max_depth: int | None, total: int
) -> None:
    """Keep the output's box and, breadth first, up to :data:`MAX_NEW_CHILDREN`
    new child boxes of each kept box, within the budgets."""
    depth = {output_box: 0}
    queue = deque([output_box])
    while queue:
        box = queue.popleft()
        if max_depth is not None and depth[box] >= max_depth:
            continue
        added = 0
        for child in view.child_boxes[box]:
            if child in depth:
                continue
            if max_boxes is not None and (len(depth) >= max_boxes or added >= MAX_NEW_CHILDREN):
                break
            depth[child] = depth[box] + 1
            added += 1
            queue.append(child)
    if len(depth) == len(view.shown) and not view.cut_off:
        return
    view.shown = set(depth)
    view.frontier = {b for b in depth
                     if b in view.cut_off or any(c not in depth for c in view.child_boxes[b])}
    view.hidden_count = total - view.drawn_nodes()


def plan_view(
    output: Value,
    collapse: Collapse = None,
    max_nodes: int = 40,
    max_depth: int | None = None,
    force: bool = False,
) -> View:
    """Decide what to draw for the graph under ``output``.

    A graph of more than ``max_nodes`` nodes is never drawn raw unless
    ``force``: it is merged (scopes by ``"neuron"``, then ``"layer"``; long
    ``+``/``*`` chains) and, if still over, cut to ``max_nodes`` boxes. Every
    such step is recorded in ``View.notes``, and the notes count what is
    actually drawn. ``max_depth`` cuts boxes more than that many steps from
    the output. Graphs over :data:`PLAN_LIMIT` nodes are planned from the
    nodes nearest the output.
    """
    with collector_stopped():
        return _plan(output, collapse, max_nodes, max_depth, force)


def _plan(
    output: Value, collapse: Collapse, max_nodes: int, max_depth: int | None, force: bool
) -> View:
    """:func:`plan_view`'s work, with the collector paused."""
    order = topological_order(output)
    total = len(order)
    over = total > max_nodes and not force
    if over and total > PLAN_LIMIT:
        nearest = _nearest(output, PLAN_LIMIT)
        order = [node for node in order if node in nearest]
    attempts: list[Collapse] = [collapse]
    if over and collapse is None:
        attempts = ["neuron", "layer"]
    used = attempts[0]
    view = _build(output, order, used, merge=over or collapse is not None)
    for attempt in attempts[1:]:
        scoped = any(group.kind != "chain" for group in view.groups.values())
        if view.box_count <= max_nodes // 2 or not scoped:  # half the budget reads best
            break
        used = attempt
        view = _build(output, order, used, merge=True)
    budget = max_nodes if over and view.box_count > max_nodes else None
    if budget is not None or max_depth is not None:
        _cut(view, view.box_of[output], budget, max_depth, total)
    shown_groups = sum(1 for b in view.shown if b in view.groups)
    if shown_groups:
        how = f"depth {used}" if isinstance(used, int) else used
        note = (
            f"{total:,} nodes; drawn: {view.box_count:,} boxes, {shown_groups:,} of them "
            f"merged (one box per call of each scope, cut by {how}; long +/* chains)"
        )
        if over and collapse is None:
            note += f"; the graph is over max_nodes={max_nodes:,} (force=True draws every node)"
        view.notes.append(note)
    if view.hidden_count:
        reasons = [f"max_nodes={max_nodes:,}"] if budget is not None else []
        if len(order) < total:
            reasons.append(f"planned from the {len(order):,} nodes nearest the output")
        reasons += [f"max_depth={max_depth}"] if max_depth is not None else []
        view.notes.append(
            f"{view.hidden_count:,} of {total:,} nodes hidden ({', '.join(reasons)}; shown: "
            f"the output and up to {MAX_NEW_CHILDREN} child boxes of each box, breadth first)"
        )
    return view


def _symbol(node: Value) -> str:
    """The drawing symbol of the op that made ``node`` ('' for a leaf)."""
    return node.op.symbol if node.op is not None else ""
