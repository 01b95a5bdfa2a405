"""``viz.explore``: step through forward and backward in one interactive page.

>>> from engine import Value
>>> from viz import explore
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> page = explore(a * b + b)            # shows itself in Jupyter
>>> page.steps("backward"), page.steps("forward")
(5, 4)
>>> path = page.save("graph.html")      # doctest: +SKIP

The page is laid out once by the bundled renderer; stepping only changes
text and colours, so nothing moves. It needs no kernel, server or network:
it works in Jupyter, JupyterLab, VS Code, Colab, in an ``nbconvert --to html``
export and as a saved file. Big graphs start collapsed by neuron or layer
(``draw_dot``'s grouping) and each group expands in place.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

from engine import Value, topological_order
from engine.checks import short_repr
from engine.files import write_atomically
from viz.dot import RANKDIRS
from viz.explorer.model import graph_data
from viz.explorer.page import document, fragment
from viz.explorer.scene import MAX_EXPAND, draw_scene
from viz.layout import Collapse, View, check_collapse, plan_view

__all__ = ["FLAT_UP_TO", "MAX_BOXES", "MAX_EXPAND", "MAX_NODES", "Explorer", "explore"]

FLAT_UP_TO = 40
"""Graphs of at most this many nodes (``draw_dot``'s default ``max_nodes``) are
drawn node by node unless ``collapse`` is given; bigger ones start merged as
``draw_dot`` merges them: by neuron, else by layer, and long sums."""
MAX_BOXES = 150
"""The main view never holds more boxes than this (the rest is cut, with a
note); the layout then takes well under a second."""
MAX_NODES = 20_000
"""The largest graph a page is made for: every node's numbers and every backward
step are in the page (about 300 bytes per node), so 20,000 nodes is ~6 MB."""
MODES = ("backward", "forward")


class Explorer:
    """An interactive step-through page for one graph. Shows itself in
    Jupyter (``_repr_html_``); :meth:`save` writes it as one HTML file."""

    def __init__(self, html: str, title: str, counts: dict[str, int]) -> None:
        self.html = html
        """The page as an HTML fragment (styles, script, data and SVG inline)."""
        self.title = title
        self._counts = counts

    def steps(self, mode: str = "backward") -> int:
        """How many steps the page has in ``mode`` ('backward' or 'forward')."""
        if mode not in MODES:
            raise ValueError(f"Explorer.steps: mode must be one of {MODES}, got {mode!r}")
        return self._counts[mode]

    def _repr_html_(self) -> str:
        return self.html

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.html, "text/plain": repr(self)}

    def __repr__(self) -> str:
        return (f"<viz.explore: {self.title}; {self._counts['backward']:,} backward and "
                f"{self._counts['forward']:,} forward steps>")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page as one self-contained HTML file (atomically); return its path."""
        return write_atomically(path, document(self.html, self.title).encode("utf-8"))


def _view(output: Value, collapse: Collapse, size: int) -> View:
    """``draw_dot``'s grouping for the main view: every node, or (big graphs,
    or ``collapse`` given) merged by neuron, then layer; cut only past
    :data:`MAX_BOXES`."""
    tries: list[Collapse] = [collapse]
    if collapse is None and size > FLAT_UP_TO:
        tries = ["neuron", "layer"]
    view = plan_view(output, tries[0], max_nodes=size, force=True)
    for attempt in tries[1:]:
        if view.box_count <= MAX_BOXES:
            break
        view = plan_view(output, attempt, max_nodes=size, force=True)
    if view.box_count > MAX_BOXES:
        view = plan_view(output, tries[-1], max_nodes=MAX_BOXES)
    return view


def _check_arguments(output: Value, params: Collection[Value], collapse: Collapse, rankdir: str,
                     mode: str, forward_graph: Value | None) -> None:
    """Raise a clear error, naming ``explore``, for any bad argument or a graph too big."""
    if not isinstance(output, Value):
        raise TypeError(f"explore: output must be a Value, got {short_repr(output)}")
    if mode not in MODES:
        raise ValueError(f"explore: mode must be one of {MODES}, got {short_repr(mode)}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"explore: rankdir must be one of {RANKDIRS}, got {short_repr(rankdir)}")
    check_collapse(collapse, "explore")
    for p in [*params, *([forward_graph] if forward_graph is not None else [])]:
        if not isinstance(p, Value):
            raise TypeError(f"explore: params and forward_graph must be Values, got "
                            f"{short_repr(p)}")
    size = len(topological_order(output))
    if size > MAX_NODES:
        raise ValueError(
            f"explore: the graph has {size:,} nodes, more than {MAX_NODES:,}; its page would "
            "be too big to open quickly. Explore a smaller piece (one sample's loss, one "
            "neuron's output), or draw this one with draw_dot")


def explore(
    output: Value,
    *,
    params: Collection[Value] = (),
    collapse: Collapse = None,
    rankdir: str = "auto",
    color_grad: bool = False,
    mode: str = "backward",
    forward_graph: Value | None = None,
) -> Explorer:
    """An interactive page that steps through the graph under ``output``.

    ``mode='backward'`` (the page opens on it) fills in gradients in the order
    ``backward()`` computes them -- each step shows the local derivative, the
    upstream gradient and their product, and sums at nodes reached by several
    paths; ``'forward'`` fills in values in topological order. Both modes are
    on the page. ``params``, ``collapse`` (``'neuron'``, ``'layer'``, a scope
    depth), ``rankdir`` and ``color_grad`` mean what they mean for
    :func:`viz.draw_dot`; graphs over :data:`FLAT_UP_TO` nodes start collapsed,
    and groups of up to :data:`MAX_EXPAND` nodes expand in place.
    ``forward_graph``: for a gradient graph made by
    ``engine.grad(out, xs, create_graph=True)``, pass ``out`` to show which
    nodes the gradient graph adds and which forward nodes it reuses.
    The graph's own ``.grad`` values are left as they are. Graphs of more than
    :data:`MAX_NODES` nodes are refused (the page holds every node's numbers).
    """
    _check_arguments(output, params, collapse, rankdir, mode, forward_graph)
    order, data = graph_data(output, set(params), forward_graph, color_grad)
    view = _view(output, collapse, len(order))
    uid = f"gg-{uuid.uuid4().hex[:12]}"
    scene = draw_scene(output, view, order, data["nodes"], rankdir, uid)
    for gid, group in scene.groups.items():
        for member in group.pop("members"):
            data["nodes"][member]["box"] = gid
    data.update(mode=mode, groups=scene.groups, notes=view.notes)
    title = f"glassgrad: {len(order):,} nodes"
    counts = {"backward": len(data["backward"]), "forward": len(data["forward"])}
    return Explorer(fragment(scene, data, uid, color_grad=color_grad), title, counts)

