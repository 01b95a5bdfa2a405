"""The explorer's picture: the main view and, for every group, its inside.

The main view is ``draw_dot``'s grouping (:func:`viz.layout.plan_view`):
single nodes as ``label | data | grad`` records with their op as a small
ellipse, merged groups as one box each. Each group small enough to expand
also gets a layout of its own members (inputs from outside shown as small
stubs), drawn as an inset over the group's box and hidden until the group
is expanded: expanding moves nothing else, and no layout happens in the
browser. All layouts run in one batch of renderer calls.

Element keys the page script relies on: ``data-n`` (a record, node
position), ``data-o`` (an op ellipse), ``data-grp`` (a group box),
``data-inset`` (a group's inset), ``data-d``/``data-g`` (texts showing a
node's data/grad) and ``data-e`` (an edge, ``"<from box>><to box>"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine import Value
from viz.dot import KIND_COLORS
from viz.explorer.canvas import (
    ROW,
    Placed,
    Shape,
    dot_source,
    esc,
    lay_out,
    path_data,
    text_width,
)
from viz.explorer.model import GRADIENT_KIND
from viz.labels import displayed
from viz.layout import View

__all__ = ["COLORS", "MAX_EXPAND", "Scene", "draw_scene"]

COLORS = {**KIND_COLORS, GRADIENT_KIND: "#fbcfe8"}
"""Fill of each kind's label cell: ``draw_dot``'s colours, plus gradient-graph nodes."""
MAX_EXPAND = 150
"""Groups of at most this many nodes can be expanded (their inside is laid
out in advance); bigger ones, such as a 674-node L2 sum, stay one box."""
GRAD_CHARS = len("grad -1.234e-05")
DEAD_RELU = "dead ReLU: output 0, no gradient flows back"
HEADER = 24.0
PAD = 8.0


@dataclass
class Scene:
    """The drawn page: the SVG markup, its size, and the groups."""

    svg: str
    width: float
    height: float
    groups: dict[str, dict[str, Any]]


@lru_cache(maxsize=4096)
def _label(text: str) -> str:
    """``text`` on one line, with characters XML cannot hold shown visibly."""
    return " ".join(displayed(text))


def _record_cells(item: dict[str, Any]) -> tuple[float, float, float]:
    return (text_width(_label(item["name"]) or " "), text_width(f"data {item['data']}"),
            text_width("x" * GRAD_CHARS))


def _record_shape(box: str, item: dict[str, Any], stacked: bool) -> Shape:
    widths = _record_cells(item)
    return Shape(box, max(widths), 3 * ROW) if stacked else Shape(box, sum(widths), ROW)


def _op_shape(box: str, item: dict[str, Any]) -> Shape:
    return Shape(box, max(ROW + 4, text_width(item["symbol"])), ROW, "ellipse")


def _group_lines(group: Any, index: dict[Value, int], items: list[dict[str, Any]]) -> list[str]:
    """A group box's lines: title, what it holds, its output's numbers, a dead-ReLU flag."""
    out = items[index[group.output]]
    members = group.members
    params = sum(1 for m in members if items[index[m]]["kind"] == "parameter")
    held = f"{len(members):,} nodes" + (f" · {params:,} parameters" if params else "")
    lines = [_label(group.title), held]
    if group.kind != "parameters":
        lines.append(f"{_made_by(out)}  data {out['data']}  {'x' * GRAD_CHARS}")
        if out.get("op") == "relu" and out["dataFull"] == "0.0":
            lines.append(DEAD_RELU)
    return lines


def _made_by(item: dict[str, Any]) -> str:
    return f"out ({item['symbol']})" if "symbol" in item else "out"


class _Painter:
    """Writes the SVG elements of one laid-out graph."""

    def __init__(self, items: list[dict[str, Any]], root: int, uid: str) -> None:
        self.items = items
        self.root = root
        self.parts: list[str] = []
        self.edge_style = f'fill="none" stroke="#6b7280" marker-end="url(#{uid}-a)"'
        self.stub_names: dict[int, str] = {}

    def record(self, i: int, x: float, y: float, stacked: bool = False) -> None:
        """A ``label | data | grad`` record centred at (x, y); ``stacked`` puts
        the three cells one above the other (narrow boxes, for insets)."""
        item = self.items[i]
        widths = _record_cells(item)
        w, h = (max(widths), 3 * ROW) if stacked else (sum(widths), ROW)
        left, top = x - w / 2, y - h / 2
        cells = []  # (left, top, width) of label, data and grad cells
        for k, cw in enumerate(widths):
            if stacked:
                cells.append((left, top + k * ROW, w))
            else:
                cells.append((left + sum(widths[:k]), top, cw))
        (lx, ly, lw), (dx, dy, dw), (gx, gy, gw) = cells
        kind = item["kind"]
        name = esc(_label(item["name"]))
        self.parts.append(
            f'<g class="gg-n k-{kind}" data-n="{i}">'
            f'<rect class="gg-box" x="{left:.0f}" y="{top:.0f}" width="{w:.0f}" height="{h}"'
            f' fill="#fff" stroke="#6b7280"/>'
            f'<rect class="gg-lab" x="{lx:.0f}" y="{ly:.0f}" width="{lw:.0f}" '
            f'height="{ROW}" fill="{COLORS[kind]}" stroke="#6b7280"/>'
            f'<rect class="gg-gcell" data-gc="{i}" x="{gx:.0f}" y="{gy:.0f}" '
            f'width="{gw:.0f}" height="{ROW}" fill="{item.get("color", "none")}" '
            'stroke="#6b7280"/>'
            f'<text x="{lx + lw / 2:.0f}" y="{ly + ROW / 2:.0f}" font-weight="bold">{name}</text>'
            f'<text class="gg-d" data-d="{i}" x="{dx + dw / 2:.0f}" y="{dy + ROW / 2:.0f}">'
            f'data {esc(item["data"])}</text>'
            f'<text class="gg-g" data-g="{i}" x="{gx + gw / 2:.0f}" y="{gy + ROW / 2:.0f}">'
            f'grad {esc(item["grad"])}</text></g>')

    def op(self, i: int, x: float, y: float) -> None:
        item = self.items[i]
        rx = max(ROW + 4, text_width(item["symbol"])) / 2
        self.parts.append(
            f'<g class="gg-op" data-o="{i}">'
            f'<ellipse cx="{x:.0f}" cy="{y:.0f}" rx="{rx:.0f}" ry="{ROW / 2}" fill="#f3f4f6" '
            f'stroke="#6b7280"/><text x="{x:.0f}" y="{y:.0f}" font-size="13">'
            f'{esc(item["symbol"])}</text></g>')

    def stub(self, i: int, x: float, y: float) -> None:
        name = self.stub_names[i]
        w = text_width(name)
        self.parts.append(
            f'<g class="gg-stub" data-s="{i}"><rect x="{x - w / 2:.0f}" y="{y - ROW / 2:.0f}" '
            f'width="{w:.0f}" height="{ROW}" rx="8" fill="none" stroke="#9ca3af" '
            f'stroke-dasharray="3 2"/><text x="{x:.0f}" y="{y:.0f}">{esc(name)}</text></g>')

    def group(self, gid: str, lines: list[str], out: int, expandable: bool,
              x: float, y: float, w: float) -> None:
        h = ROW * len(lines)
        left, top = x - w / 2, y - h / 2
        kind = "output" if out == self.root else "scope"
        rows = [f'<g class="gg-grp k-{kind}" data-grp="{gid}"><title>{esc(lines[0])}</title>'
                f'<rect class="gg-box" x="{left:.0f}" y="{top:.0f}" width="{w:.0f}" '
                f'height="{h:.0f}" rx="6" fill="#fff" stroke="#6b7280"/>'
                f'<rect class="gg-lab" x="{left:.0f}" y="{top:.0f}" width="{w:.0f}" '
                f'height="{ROW}" rx="6" fill="{COLORS[kind]}" stroke="#6b7280"/>'
                f'<text x="{x:.0f}" y="{top + ROW / 2:.0f}" font-weight="bold">'
                f'{esc(lines[0])}</text>']
        if expandable:
            rows.append(f'<text class="gg-exp" x="{left + w - 10:.0f}" y="{top + ROW / 2:.0f}"'
                        ' font-weight="bold">+</text>')
        rows.append(f'<text x="{x:.0f}" y="{top + 1.5 * ROW:.0f}">{esc(lines[1])}</text>')
        if len(lines) > 2:
            ty = top + 2.5 * ROW
            item = self.items[out]
            rows.append(
                f'<text x="{left + 8:.0f}" y="{ty:.0f}" text-anchor="start">'
                f'{esc(_made_by(item))}</text>'
                f'<text class="gg-d" data-d="{out}" x="{x:.0f}" y="{ty:.0f}">'
                f'data {esc(item["data"])}</text>'
                f'<text class="gg-g" data-g="{out}" x="{left + w - 8:.0f}" y="{ty:.0f}" '
                f'text-anchor="end">grad {esc(item["grad"])}</text>')
        if len(lines) > 3:
            rows.append(f'<text class="gg-dead" x="{x:.0f}" y="{top + 3.5 * ROW:.0f}" '
                        f'fill="#b91c1c">{esc(DEAD_RELU)}</text>')
        rows.append("</g>")
        self.parts.append("".join(rows))

    def edges(self, placed: Placed, dx: float = 0.0, dy: float = 0.0) -> None:
        """All edges of one layout, in one group that gives them their style."""
        self.parts.append(f"<g {self.edge_style}>")
        self.parts += [f'<path class="gg-e" data-e="{a}>{b}" d="{path_data(points, dx, dy)}"/>'
                       for a, b, points in placed.edges]
        self.parts.append("</g>")


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


def _paint(painter: _Painter, placed: Placed, lines: dict[str, list[str]],
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


def draw_scene(root: Value, view: View, order: list[Value], items: list[dict[str, Any]],
               rankdir: str, uid: str) -> Scene:
    """Lay out and draw the main view and every expandable group's inset."""
    index = {node: i for i, node in enumerate(order)}
    root_i = index[root]
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
    stub_names = {}  # an outside input: its own name, or the group it comes out of
    for i, node in enumerate(order):
        box = view.box_of[node]
        source = view.groups[box].title if box in view.groups else ""
        stub_names[i] = f"from {_label(source)}" if source else _label(items[i]["name"])
    for gid in expandable:
        inset = _inset_graph(view.groups[gid].members, index, items, stub_names)
        sources.append(dot_source(*inset, rankdir))
    main, *insets = lay_out(sources)
    painter = _Painter(items, root_i, uid)
    painter.stub_names = stub_names
    _paint(painter, main, lines, groups, widths)
    for gid, placed in zip(expandable, insets):
        gx, gy = main.centres[gid]
        w, h = placed.width + 2 * PAD, placed.height + HEADER + 2 * PAD
        left = min(max(gx - w / 2, 0.0), max(main.width - w, 0.0))
        top = min(max(gy - h / 2, 0.0), max(main.height - h, 0.0))
        groups[gid]["inset"] = [round(left, 1), round(top, 1), round(w, 1), round(h, 1)]
        painter.parts.append(
            f'<g class="gg-inset" data-inset="{gid}" display="none">'
            f'<rect class="gg-inbg" x="{left:.0f}" y="{top:.0f}" width="{w:.0f}" '
            f'height="{h:.0f}" rx="8" fill="#fff" stroke="#7c3aed" stroke-width="2"/>'
            f'<rect class="gg-inhead" data-collapse="{gid}" x="{left:.0f}" y="{top:.0f}" '
            f'width="{w:.0f}" height="{HEADER}" rx="8" fill="{COLORS["scope"]}"/>'
            f'<text class="gg-inclose" data-collapse="{gid}" x="{left + 10:.0f}" '
            f'y="{top + HEADER / 2:.0f}" text-anchor="start" font-weight="bold">'
            f'− {esc(lines[gid][0])} ({len(view.groups[gid].members):,} nodes; '
            "click to collapse)</text>")
        _paint(painter, placed, lines, groups, widths, left + PAD, top + HEADER + PAD,
               stacked=True)
        painter.parts.append("</g>")
    svg = (f'<svg class="gg-svg" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="-4 -4 {main.width + 8:.0f} {main.height + 8:.0f}" '
           f'font-family="ui-monospace,SFMono-Regular,Menlo,Consolas,monospace" font-size="11" '
           f'text-anchor="middle" dominant-baseline="central" role="img" '
           f'aria-label="computation graph of {len(order):,} nodes">'
           f'<defs>{_arrow(f"{uid}-a", "#6b7280")}{_arrow(f"{uid}-h", "#dc2626")}</defs>'
           f'<rect class="gg-bg" x="-4" y="-4" width="{main.width + 8:.0f}" '
           f'height="{main.height + 8:.0f}" fill="#fff"/>'
           f'{"".join(painter.parts)}</svg>')
    return Scene(svg, main.width, main.height, groups)



def _arrow(marker_id: str, color: str) -> str:
    """An arrowhead marker, as Graphviz leaves room for at the end of each edge."""
    return (f'<marker id="{marker_id}" viewBox="0 0 10 8" refX="1" refY="4" markerWidth="9" '
            f'markerHeight="7" orient="auto" markerUnits="userSpaceOnUse">'
            f'<path d="M0,0L10,4L0,8z" fill="{color}"/></marker>')
