"""A step-through view of ``backward()``: one frame per gradient filled in.

The gradients are computed by the engine itself: starting from zero with
the output's gradient set to 1, each node's ``Value._backward()`` runs in
reverse topological order (exactly what ``backward()`` does), and every
input it adds to becomes one frame, highlighting that input and the edge
the gradient came through. The graph's own ``.grad`` values are restored
afterwards.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import Constant, Value
from engine.autograd import reverse_topological_order
from viz.backend import run
from viz.dot import render_view
from viz.drawing import GraphDrawing
from viz.files import atomic_path, write_atomic
from viz.labels import number
from viz.layout import plan_view

__all__ = ["BackpropSteps", "Frame", "backprop_steps"]

ACTIVE = "#f59e0b"  # the node passing its gradient on
FILLED = "#dc2626"  # the input whose gradient was just filled in


@dataclass(frozen=True)
class Frame:
    """One step: ``target.grad`` just became ``grad`` through the edge from
    ``source`` (None for the first frame, where the output's grad is set to 1)."""

    source: Value | None
    target: Value
    grad: float
    caption: str


def _name(node: Value) -> str:
    """How captions call a node: its label, else what made it and its data."""
    if node.label:
        return node.label
    made = f"{node._fn.symbol} node" if node._fn is not None else "leaf"
    return f"[{made} {number(node._data)}]"


class BackpropSteps:
    """The frames of one backward pass over the graph under ``root``.

    ``len(steps)`` frames; ``steps[i]`` is the drawing of frame ``i`` (shows
    itself in Jupyter), ``steps.frames[i]`` its data, ``steps.show(i)``
    displays it, ``steps.save_svgs(folder)`` and ``steps.save_gif(path)``
    export them, and ``steps.widget()`` gives a slider (needs ipywidgets).
    """

    def __init__(self, root: Value, *, rankdir: str = "LR", max_nodes: int = 200) -> None:
        if not isinstance(root, Value):
            raise TypeError(
                f"backprop_steps: root must be a Value, got {type(root).__name__} {root!r}"
            )
        order = reverse_topological_order(root)
        if len(order) > max_nodes:
            raise ValueError(
                f"backprop_steps: the graph has {len(order):,} nodes, more than "
                f"max_nodes={max_nodes:,}; a step-through of it would not be readable "
                "(pass a larger max_nodes to insist)"
            )
        self.root = root
        self.rankdir = rankdir
        self._view = plan_view(root, max_nodes=max_nodes)
        self._states: list[dict[Value, float]] = []
        self.frames: list[Frame] = []
        self._run(order)

    def _run(self, order: list[Value]) -> None:
        saved = {node: node._grad for node in order}
        try:
            for node in order:
                node._grad = 0.0
            self.root._grad = 1.0
            state = {self.root: 1.0}
            self._add(None, self.root, state, "the output's gradient is 1 (d out / d out)")
            for node in order:
                children = list(dict.fromkeys(c for c in node._children if type(c) is not Constant))
                if node._fn is None or not children:
                    continue
                before = {c: c._grad for c in children}
                node._backward()  # the engine's own local step
                for child in children:
                    state[child] = child._grad
                    self._add(
                        node,
                        child,
                        dict(state),
                        f"{_name(child)}.grad += {number(child._grad - before[child])} "
                        f"from {_name(node)}"
                        f"  →  {number(child._grad)}",
                    )
        finally:
            for node, g in saved.items():
                node._grad = g

    def _add(
        self, source: Value | None, target: Value, state: dict[Value, float], text: str
    ) -> None:
        step = len(self.frames) + 1
        self.frames.append(Frame(source, target, state[target], f"step {step}: {text}"))
        self._states.append(state)

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[GraphDrawing]:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, i: int) -> GraphDrawing:
        """The drawing of frame ``i`` (negative indices count from the end)."""
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"BackpropSteps: frame index must be an int, got {i!r}")
        if not -len(self) <= i < len(self):
            raise IndexError(f"BackpropSteps: frame {i} out of range (0..{len(self) - 1})")
        i %= len(self)
        frame = self.frames[i]
        highlight = {frame.target: FILLED}
        edges: set[tuple[Value, Value]] = set()
        if frame.source is not None:
            highlight[frame.source] = ACTIVE
            edges = {(frame.source, frame.target), (frame.source, frame.source)}
        return render_view(
            self.root,
            self._view,
            rankdir=self.rankdir,
            grads=self._states[i],
            highlight=highlight,
            highlight_edges=edges,
            caption=f"{frame.caption}  ({i + 1}/{len(self)})",
        )

    def show(self, i: int) -> None:
        """Display frame ``i`` in IPython/Jupyter (``steps[i]`` returns it instead)."""
        drawing = self[i]
        try:
            from IPython.display import display
        except ImportError:
            raise ImportError(
                "BackpropSteps.show needs IPython (Jupyter); use steps[i] to get the drawing "
                "and steps[i].render(...) to save it"
            ) from None
        display(drawing)

    def widget(self) -> Any:
        """An ipywidgets slider over the frames (requires ``pip install ipywidgets``)."""
        try:
            import ipywidgets
        except ImportError:
            raise ImportError(
                "BackpropSteps.widget needs ipywidgets: pip install ipywidgets "
                "(or use steps.show(i) for one frame at a time)"
            ) from None

        def show(frame: int) -> None:
            self.show(frame)

        slider = ipywidgets.IntSlider(min=0, max=len(self) - 1, value=0, description="step")
        return ipywidgets.interactive(show, frame=slider)

    def save_svgs(self, folder: str | os.PathLike[str], prefix: str = "frame") -> list[Path]:
        """Write every frame as ``<folder>/<prefix>_000.svg``, ...; return the paths."""
        paths = []
        width = max(3, len(str(len(self) - 1)))
        for i, drawing in enumerate(self):
            path = Path(folder) / f"{prefix}_{i:0{width}d}.svg"
            paths.append(write_atomic(path, run(drawing.source, "svg")))
        return paths

    def save_gif(self, path: str | os.PathLike[str], seconds_per_frame: float = 1.0) -> Path:
        """Write an animated GIF of all frames (PNG frames from the renderer,
        assembled with Pillow, padded to a common size); return the path."""
        try:
            from PIL import Image
        except ImportError:
            raise ImportError(
                "save_gif needs Pillow: pip install glassgrad[plot] (or pip install pillow)"
            ) from None
        if not seconds_per_frame > 0:
            raise ValueError(f"save_gif: seconds_per_frame must be > 0, got {seconds_per_frame!r}")
        images = [
            Image.open(io.BytesIO(run(d.source, "png"))).convert("RGB") for d in self
        ]
        width = max(im.width for im in images)
        height = max(im.height for im in images)
        frames = []
        for im in images:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(im, (0, 0))
            frames.append(canvas)
        with atomic_path(path) as temporary:
            frames[0].save(
                temporary,
                format="GIF",
                save_all=True,
                append_images=frames[1:],
                duration=round(seconds_per_frame * 1000),
                loop=0,
            )
        return Path(path)


def backprop_steps(root: Value, *, rankdir: str = "LR", max_nodes: int = 200) -> BackpropSteps:
    """The step-through of ``backward()`` from ``root`` (see :class:`BackpropSteps`)."""
    return BackpropSteps(root, rankdir=rankdir, max_nodes=max_nodes)
