"""Drawing laid-out boxes as SVG: records, op ellipses, stubs, group boxes, edges.

Every number sits in an element the page's script can find: ``data-d`` /
``data-g`` (a node's data / grad text, by node position) and ``data-gc`` (its
grad cell, for ``color_grad``); records are ``data-n``, ops ``data-o``, group
boxes ``data-grp`` and edges ``data-e``. Presentation attributes give the light
theme even where styles are stripped; the page's CSS overrides them for themes
and highlights.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from viz.dot import KIND_COLORS
from viz.explorer.canvas import ROW, Placed, esc, path_data, text_width
from viz.explorer.model import GRADIENT_KIND
from viz.labels import displayed

__all__ = ["COLORS", "DEAD_RELU", "GRAD_CHARS", "Painter", "arrow", "label", "made_by",
           "record_cells"]

COLORS = {**KIND_COLORS, GRADIENT_KIND: "#fbcfe8"}
"""Fill of each kind's label cell: ``draw_dot``'s colours, plus gradient-graph nodes."""
GRAD_CHARS = len("grad -1.234e-05")
"""A grad cell is this many characters wide, whatever number it shows."""
DEAD_RELU = "dead ReLU: output 0, no gradient flows back"


@lru_cache(maxsize=4096)
def label(text: str) -> str:
    """``text`` on one line, with characters XML cannot hold shown visibly."""
    return " ".join(displayed(text))


def record_cells(item: dict[str, Any]) -> tuple[float, float, float]:
    """Widths of a node's label, data and grad cells."""
    return (text_width(label(item["name"]) or " "), text_width(f"data {item['data']}"),
            text_width("x" * GRAD_CHARS))


def made_by(item: dict[str, Any]) -> str:
    """What a group box calls its output: ``out (ReLU)``."""
    return f"out ({item['symbol']})" if "symbol" in item else "out"


class Painter:
    """Writes the SVG elements of one laid-out graph."""

    def __init__(self, items: list[dict[str, Any]], output: int, uid: str) -> None:
        self.items = items
        self.output = output
        self.parts: list[str] = []
        self.edge_style = f'fill="none" stroke="#6b7280" marker-end="url(#{uid}-a)"'
        self.stub_names: dict[int, str] = {}

    def record(self, i: int, x: float, y: float, stacked: bool = False) -> None:
        """A ``label | data | grad`` record centred at (x, y); ``stacked`` puts
        the three cells one above the other (narrow boxes, for insets)."""
        item = self.items[i]
        widths = record_cells(item)
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
        name = esc(label(item["name"]))
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
        kind = "output" if out == self.output else "scope"
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
                f'{esc(made_by(item))}</text>'
                f'<text class="gg-d" data-d="{out}" x="{x:.0f}" y="{ty:.0f}">'
                f'data {esc(item["data"])}</text>'
                f'<text class="gg-g" data-g="{out}" x="{left + w - 8:.0f}" y="{ty:.0f}" '
                f'text-anchor="end">grad {esc(item["grad"])}</text>')
        if len(lines) > 3:
            rows.append(f'<text class="gg-dead" data-dead="{out}" x="{x:.0f}" '
                        f'y="{top + 3.5 * ROW:.0f}" fill="#b91c1c">{esc(DEAD_RELU)}</text>')
        rows.append("</g>")
        self.parts.append("".join(rows))

    def edges(self, placed: Placed, dx: float = 0.0, dy: float = 0.0) -> None:
        """All edges of one layout, in one group that gives them their style."""
        self.parts.append(f"<g {self.edge_style}>")
        self.parts += [f'<path class="gg-e" data-e="{a}>{b}" d="{path_data(points, dx, dy)}"/>'
                       for a, b, points in placed.edges]
        self.parts.append("</g>")


def arrow(marker_id: str, color: str) -> str:
    """An arrowhead marker, as Graphviz leaves room for at the end of each edge."""
    return (f'<marker id="{marker_id}" viewBox="0 0 10 8" refX="1" refY="4" markerWidth="9" '
            f'markerHeight="7" orient="auto" markerUnits="userSpaceOnUse">'
            f'<path d="M0,0L10,4L0,8z" fill="{color}"/></marker>')
