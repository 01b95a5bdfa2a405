"""Lay boxes out once with the bundled renderer, and draw them as SVG.

The renderer (``-Tplain``) only places boxes of sizes fixed here and routes
the edges; this module draws the boxes itself, so that every number sits in
an element the page's script can find (``data-d``/``data-g`` = node position)
and every drawn edge carries a key (``data-e``). Coordinates are points;
the SVG scales to the page width.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from viz.backend import run_many
from viz.dot import DEEP_FROM

__all__ = ["CHAR", "ROW", "Placed", "Shape", "lay_out", "path_data"]

CHAR = 6.8
"""Width of one character of the page's 11 pt monospace font, with a little slack."""
ROW = 22.0
"""Height of one line of a box."""
INCH = 72.0
QUICK_LAYOUT_FROM = 150
"""Graphs with more boxes than this get Graphviz's quick-layout limits."""


@dataclass(frozen=True)
class Shape:
    """One box to place: its id, size in points, and Graphviz shape."""

    id: str
    width: float
    height: float
    shape: str = "box"


@dataclass
class Placed:
    """A laid-out graph: box centres (SVG coordinates, y down), edge control points."""

    width: float
    height: float
    centres: dict[str, tuple[float, float]] = field(default_factory=dict)
    edges: list[tuple[str, str, list[tuple[float, float]]]] = field(default_factory=list)


def text_width(text: str) -> float:
    """The width a line of ``text`` takes in the page's font, padding included."""
    return len(text) * CHAR + 12.0


def dot_source(shapes: Sequence[Shape], edges: Sequence[tuple[str, str]], rankdir: str) -> str:
    """DOT that asks the renderer to place ``shapes`` (fixed sizes, no text) and route ``edges``."""
    if rankdir == "auto":
        rankdir = "TB" if _ranks(shapes, edges) >= DEEP_FROM else "LR"
    lines = [f"digraph{{rankdir={rankdir};nodesep=0.18;ranksep=0.32;ordering=out;"
             'node[fixedsize=true,label="",margin=0];edge[arrowsize=0.7];']
    if len(shapes) > QUICK_LAYOUT_FROM:
        lines.append("mclimit=0.1;nslimit=1;nslimit1=1;")
    lines += [f"{s.id}[shape={s.shape},width={s.width / INCH:.3f},height={s.height / INCH:.3f}];"
              for s in shapes]
    lines += [f"{a}->{b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines)


def lay_out(sources: Sequence[str]) -> list[Placed]:
    """Lay out each DOT source (see :func:`dot_source`) with the renderer;
    all of them in two renderer runs at once."""
    placed: list[Placed] = []
    for chunk in run_many(list(sources), "plain"):
        for line in chunk.decode("utf-8").splitlines():
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "graph":
                height = float(parts[3]) * INCH
                placed.append(Placed(float(parts[2]) * INCH, height))
            elif parts[0] == "node":
                graph = placed[-1]
                x, y = float(parts[2]) * INCH, graph.height - float(parts[3]) * INCH
                graph.centres[parts[1]] = (x, y)
            elif parts[0] == "edge":
                graph = placed[-1]
                count = int(parts[3])
                numbers = [float(p) * INCH for p in parts[4:4 + 2 * count]]
                points = [(numbers[k], graph.height - numbers[k + 1])
                          for k in range(0, len(numbers), 2)]
                graph.edges.append((parts[1], parts[2], points))
    if len(placed) != len(sources):
        raise RuntimeError(f"viz.explore: the renderer laid out {len(placed)} of "
                           f"{len(sources)} graphs")
    return placed


def path_data(points: list[tuple[float, float]], dx: float = 0.0, dy: float = 0.0) -> str:
    """An SVG path through Graphviz's B-spline control points (1 + 3k of them)."""
    first, *rest = [f"{x + dx:.0f},{y + dy:.0f}" for x, y in points]
    return f"M{first}C{' '.join(rest)}" if rest else f"M{first}"


def esc(text: object) -> str:
    """``text`` escaped for SVG/HTML text and attributes."""
    return html.escape(str(text), quote=True)


def _ranks(shapes: Sequence[Shape], edges: Sequence[tuple[str, str]]) -> int:
    """How many ranks the longest path takes (as ``draw_dot`` counts them for ``'auto'``)."""
    into: dict[str, list[str]] = {s.id: [] for s in shapes}
    for a, b in edges:
        into[b].append(a)
    rank: dict[str, int] = {}
    for start in into:
        stack = [start]
        while stack:
            box = stack[-1]
            waiting = [a for a in into[box] if a not in rank]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            rank[box] = 1 + max((rank[a] for a in into[box]), default=0)
    return max(rank.values(), default=0)
