"""The explorer's picture: the main view and, for every group, its inside.

The main view is ``draw_dot``'s grouping (:func:`viz.layout.plan_view`):
single nodes as ``label | data | grad`` records with their op as a small
ellipse, merged groups as one box each. Each group small enough to expand
also gets a layout of its own members (children from outside shown as
small stubs), drawn as an inset over the group's box and kept in an inert
``<template>`` until the group is first expanded: expanding moves nothing
else, and no layout happens in the browser. All layouts run in one batch of
renderer calls.

Element keys the page script relies on: ``data-n`` (a record, node
position), ``data-o`` (an op ellipse), ``data-grp`` (a group box),
``data-inset`` (a group's inset), ``data-d``/``data-g`` (texts showing a
node's data/grad) and ``data-e`` (an edge, ``"<from box>><to box>"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine import Value
from viz.explorer.canvas import (
    ROW,
    Placed,
    Shape,
    dot_source,
    esc,
    lay_out,
    text_width,
)
from viz.explorer.painter import (
    COLORS,
    DEAD_RELU,
    GRAD_CHARS,
    Painter,
    arrow,
    label,
    made_by,
    record_cells,
)
from viz.layout import Group, View

__all__ = ["MAX_EXPAND", "Scene", "draw_scene"]

MAX_EXPAND = 150
"""Groups of at most this many nodes can be expanded (their inside is laid
out in advance); bigger ones, such as a 674-node L2 sum, stay one box."""
HEADER = 24.0
PAD = 8.0
SVG_NS = "http://www.w3.org/2000/svg"


@dataclass
class Scene:
    """The drawn page: the main view's SVG, each expandable group's inset as an
    inert ``<template>`` (made live when first expanded), its size, the groups."""

    svg: str
    templates: str
    width: float
    height: float
    groups: dict[str, dict[str, Any]]


def _record_shape(box: str, item: dict[str, Any], stacked: bool) -> Shape:
    widths = record_cells(item)
    return Shape(box, max(widths), 3 * ROW) if stacked else Shape(box, sum(widths), ROW)


def _op_shape(box: str, item: dict[str, Any]) -> Shape:
    return Shape(box, max(ROW + 4, text_width(item["symbol"])), ROW, "ellipse")


def _group_lines(group: Group, index: dict[Value, int], items: list[dict[str, Any]]) -> list[str]:
    """A group box's lines: title, what it holds, its output's numbers, a dead-ReLU flag."""
    out = items[index[group.output]]
    members = group.members
    params = sum(1 for m in members if items[index[m]]["kind"] == "parameter")
    held = f"{len(members):,} nodes" + (f" · {params:,} parameters" if params else "")
    lines = [label(group.title), held]
    if group.kind != "parameters":
        lines.append(f"{made_by(out)}  data {out['data']}  {'x' * GRAD_CHARS}")
        if out.get("op") == "relu" and out["dataFull"] == "0.0":
            lines.append(DEAD_RELU)
    return lines


def _node_boxes(i: int, item: dict[str, Any], shapes: list[Shape],
                edges: list[tuple[str, str]], stacked: bool = False) -> None:
    """A node's record and (if computed) its op ellipse, with the op -> record edge."""
    shapes.append(_record_shape(f"n{i}", item, stacked))
    if "symbol" in item:
        shapes.append(_op_shape(f"o{i}", item))
        edges.append((f"o{i}", f"n{i}"))


def _main_graph(view: View, index: dict[Value, int], items: list[dict[str, Any]],
                lines: dict[str, list[str]]) -> tuple[list[Shape], list[tuple[str, str]]]:
    shapes: list[Shape] = []
    edges: list[tuple[str, str]] = []
    drawn: dict[Value, str] = {}
    for node in view.order:
        box = view.box_of[node]
        if box not in view.shown:
            continue
        drawn[node] = box if box in view.groups else f"n{index[node]}"
    for box in sorted(view.shown, key=lambda b: (b[0], int(b[1:]))):
        if box in view.groups:
            text = lines[box]
            shapes.append(Shape(box, max(map(text_width, text)), ROW * len(text)))
        else:
            i = index[view.order[int(box[1:])]]
            _node_boxes(i, items[i], shapes, edges)
    seen: set[tuple[str, str]] = set()
    for node in view.order:
        if node not in drawn:
            continue
        target = drawn[node]
        if target.startswith("n") and node.op is not None:
            target = f"o{index[node]}"
        for child in node.children:
            source = drawn.get(child)
            if source is None or source == drawn[node] or (source, target) in seen:
                continue
            seen.add((source, target))
            edges.append((source, target))
    return shapes, edges


def _inset_graph(members: list[Value], index: dict[Value, int], items: list[dict[str, Any]],
                 stub_names: dict[int, str]) -> tuple[list[Shape], list[tuple[str, str]]]:
    """A group's members (stacked records) and, as stubs, the outside nodes they read."""
    inside = set(members)
    shapes: list[Shape] = []
    edges: list[tuple[str, str]] = []
    stubs: dict[Value, str] = {}
    for node in members:
        i = index[node]
        _node_boxes(i, items[i], shapes, edges, stacked=True)
        for child in dict.fromkeys(node.children):
            if child in inside:
                edges.append((f"n{index[child]}", f"o{i}"))
                continue
            if child not in stubs:
                stubs[child] = f"s{index[child]}"
                shapes.append(Shape(stubs[child], text_width(stub_names[index[child]]), ROW))
            edges.append((stubs[child], f"o{i}"))
    return shapes, edges


def _paint(painter: Painter, placed: Placed, lines: dict[str, list[str]],
           groups: dict[str, dict[str, Any]], widths: dict[str, float],
           dx: float = 0.0, dy: float = 0.0, stacked: bool = False) -> None:
    painter.edges(placed, dx, dy)
    for box, (x, y) in placed.centres.items():
        x, y = x + dx, y + dy
        kind, i = box[0], box[1:]
        if kind == "n":
            painter.record(int(i), x, y, stacked)
        elif kind == "o":
            painter.op(int(i), x, y)
        elif kind == "s":
            painter.stub(int(i), x, y)
        else:
            group = groups[box]
            painter.group(box, lines[box], group["out"], group["expandable"], x, y,
                          widths[box])


def _inset(painter: Painter, gid: str, title: str, placed: Placed,
           centre: tuple[float, float], main: Placed) -> list[float]:
    """Open a group's inset -- background and a title bar that collapses it --
    centred on the group's box and kept inside the drawing where it fits;
    return its rectangle (left, top, width, height)."""
    w, h = placed.width + 2 * PAD, placed.height + HEADER + 2 * PAD
    left = min(max(centre[0] - w / 2, 0.0), max(main.width - w, 0.0))
    top = min(max(centre[1] - h / 2, 0.0), max(main.height - h, 0.0))
    painter.parts.append(
        f'<g class="gg-inset" data-inset="{gid}" display="none">'
        f'<rect class="gg-inbg" x="{left:.0f}" y="{top:.0f}" width="{w:.0f}" '
        f'height="{h:.0f}" rx="8" fill="#fff" stroke="#7c3aed" stroke-width="2"/>'
        f'<rect class="gg-inhead" data-collapse="{gid}" x="{left:.0f}" y="{top:.0f}" '
        f'width="{w:.0f}" height="{HEADER}" rx="8" fill="{COLORS["scope"]}"/>'
        f'<text class="gg-inclose" data-collapse="{gid}" x="{left + 10:.0f}" '
        f'y="{top + HEADER / 2:.0f}" text-anchor="start" font-weight="bold">'
        f"− {esc(title)}</text>")
    return [round(left, 1), round(top, 1), round(w, 1), round(h, 1)]


def draw_scene(output: Value, view: View, order: list[Value], items: list[dict[str, Any]],
               rankdir: str, uid: str) -> Scene:
    """Lay out and draw the main view and every expandable group's inset."""
    index = {node: i for i, node in enumerate(order)}
    output_i = index[output]
    lines = {gid: _group_lines(g, index, items) for gid, g in view.groups.items()
             if gid in view.shown}
    widths = {gid: max(map(text_width, text)) for gid, text in lines.items()}
    groups = {}
    for gid in lines:
        group = view.groups[gid]
        groups[gid] = {"title": lines[gid][0], "members": [index[m] for m in group.members],
                       "out": index[group.output],
                       "expandable": len(group.members) <= MAX_EXPAND}
    # merged boxes read best as columns (layers) whatever the depth
    main_rankdir = "LR" if rankdir == "auto" and groups else rankdir
    sources = [dot_source(*_main_graph(view, index, items, lines), main_rankdir)]
    expandable = [gid for gid in groups if groups[gid]["expandable"]]
    stub_names = {}  # an outside child: its own name, or the group it comes out of
    for i, node in enumerate(order):
        box = view.box_of[node]
        source = view.groups[box].title if box in view.groups else ""
        stub_names[i] = f"from {label(source)}" if source else label(items[i]["name"])
    for gid in expandable:
        inset = _inset_graph(view.groups[gid].members, index, items, stub_names)
        sources.append(dot_source(*inset, rankdir))
    main, *insets = lay_out(sources)
    painter = Painter(items, output_i, uid)
    painter.stub_names = stub_names
    _paint(painter, main, lines, groups, widths)
    svg = (f'<svg class="gg-svg" xmlns="{SVG_NS}" '
           f'viewBox="-4 -4 {main.width + 8:.0f} {main.height + 8:.0f}" '
           f'font-family="ui-monospace,SFMono-Regular,Menlo,Consolas,monospace" font-size="11" '
           f'text-anchor="middle" dominant-baseline="central" role="img" '
           f'aria-label="computation graph of {len(order):,} nodes">'
           f'<defs>{arrow(f"{uid}-a", "#6b7280")}{arrow(f"{uid}-h", "#dc2626")}</defs>'
           f'<rect class="gg-bg" x="-4" y="-4" width="{main.width + 8:.0f}" '
           f'height="{main.height + 8:.0f}" fill="#fff"/>'
           f'{"".join(painter.parts)}</svg>')
    templates = []
    for gid, placed in zip(expandable, insets):
        painter.parts = []
        title = f"{lines[gid][0]} ({len(view.groups[gid].members):,} nodes; click to collapse)"
        left, top, _w, _h = groups[gid]["inset"] = _inset(
            painter, gid, title, placed, main.centres[gid], main)
        _paint(painter, placed, lines, groups, widths, left + PAD, top + HEADER + PAD,
               stacked=True)
        templates.append(f'<template data-tpl="{gid}"><svg xmlns="{SVG_NS}">'
                         f'{"".join(painter.parts)}</g></svg></template>')
    return Scene(svg, "".join(templates), main.width, main.height, groups)



