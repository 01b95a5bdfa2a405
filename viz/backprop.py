"""A step-through view of ``backward()``: one frame per gradient filled in.

The gradients are computed by the engine itself: starting from zero with
the output's gradient set to 1, each node's op pushes its gradient to its
children in reverse topological order (exactly what ``backward()`` does), and
every child it adds to becomes one frame, highlighting that child and the
edge the gradient came through (:func:`backward_frames`). The graph's own
``.grad`` values are restored afterwards.
"""

from __future__ import annotations

import io
import itertools
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import Constant, Value, reverse_topological_order, topological_order
from engine.files import atomic_path, write_atomically
from viz.backend import run, run_many
from viz.dot import MAX_BOXES, render_view
from viz.drawing import GraphDrawing
from viz.labels import number
from viz.layout import plan_view

__all__ = ["BackpropSteps", "Frame", "backprop_steps", "backward_frames"]

ACTIVE = "#f59e0b"  # the node passing its gradient on
FILLED = "#dc2626"  # the child whose gradient was just filled in
GIF_DPI = 72


@dataclass(frozen=True)
class Frame:
    """One step: ``target.grad`` just became ``grad`` through the edge from
    ``source`` -- ``local`` (d source / d target) times ``upstream``
    (``source.grad``). The first frame has ``source`` None: the output's
    gradient is set to 1."""

    source: Value | None
    target: Value
    grad: float
    caption: str
    local: float = 1.0
    upstream: float = 1.0


def local_derivative(node: Value, child: Value) -> float:
    """d node / d child at the current data (summed over every argument
    position where ``child`` appears), from the op's own definition."""
    op = node.op
    if op is None or op.arity == 0:  # a leaf, or an op only named by hand: no gradient
        return 0.0
    xs = [c.data for c in node.children]
    total = 0.0
    for i, c in enumerate(node.children):
        if c is child:
            value = op.local(i, xs, node.data)
            total += float(value.data if isinstance(value, Value) else value)
    return total


def node_names(order: list[Value]) -> dict[Value, str]:
    """A name for every node that no other node shares: its label, with as
    much of its scope in front as it takes to tell it apart
    (``neurons.1.w0``), or else its drawn id ``n<i>`` (``i`` is its position
    in ``order``, as in the drawing's box ids)."""
    names: dict[Value, str] = {}
    depth = dict.fromkeys(order, 0)
    pending = [n for n in order if n.label]
    while pending:
        for node in pending:
            parts = node.scope.split(".") if node.scope else []
            names[node] = ".".join([*parts[len(parts) - depth[node]:], node.label])
        counts = Counter(names[node] for node in pending)
        clashing = [n for n in pending if counts[names[n]] > 1]
        pending = [n for n in clashing if n.scope and depth[n] < len(n.scope.split("."))]
        for node in pending:  # one more scope part; an index brings its name along
            parts = node.scope.split(".")
            depth[node] += 1
            while depth[node] < len(parts) and parts[-depth[node]].isdigit():
                depth[node] += 1
    counts = Counter(names.values())
    for i, node in enumerate(order):
        name = names.get(node, "")
        if not name or counts[name] > 1:
            names[node] = f"{name} (n{i})" if name else f"n{i}"
    return names


def backward_frames(output: Value, names: Mapping[Value, str] | None = None) -> list[Frame]:
    """Every frame of one backward pass from ``output``, for a graph of any
    size (nothing is drawn): the engine's own local steps (``op.push``) in
    ``backward()``'s order, one frame per gradient added to, captioned with
    ``names`` (default :func:`node_names` of the whole graph). The graph's
    ``.grad`` values are restored afterwards. :class:`BackpropSteps` and the
    explorer both read their numbers from here."""
    order = reverse_topological_order(output)
    name = node_names(order[::-1]) if names is None else names
    frames: list[Frame] = []

    def add(source: Value | None, target: Value, text: str,
            local: float = 1.0, upstream: float = 1.0) -> None:
        caption = f"step {len(frames) + 1}: {text}"  # counted from 1, as the explorer counts
        frames.append(Frame(source, target, target.grad, caption, local, upstream))

    saved = {node: node.grad for node in order}
    try:
        for node in order:
            node.grad = 0.0
        output.grad = 1.0
        add(None, output, f"{name[output]}.grad = 1 (d out / d out)")
        for node in order:
            children = list(dict.fromkeys(c for c in node.children if type(c) is not Constant))
            if node.op is None or not children:
                continue
            before = {c: c.grad for c in children}
            node.op.push(node, node.grad)  # the engine's own local step
            for child in children:
                local, upstream = local_derivative(node, child), node.grad
                added = child.grad - before[child]
                text = (f"{name[child]}.grad += d{name[node]}/d{name[child]} × "
                        f"{name[node]}.grad = {number(local)} × {number(upstream)} "
                        f"= {number(added)}")
                if before[child] != 0.0:
                    text += (f"; sum at reused node: {number(before[child])} + "
                             f"{number(added)} = {number(child.grad)}")
                add(node, child, text, local, upstream)
    finally:
        for node, g in saved.items():
            node.grad = g
    return frames


class BackpropSteps:
    """The frames of one backward pass over the graph under ``output``.

    ``len(steps)`` frames; ``steps[i]`` is the drawing of frame ``i`` (shows
    itself in Jupyter), ``steps.frames[i]`` its data, ``steps.show(i)``
    displays it, ``steps.save_svgs(folder)`` and ``steps.save_gif(path)``
    export them, and ``steps.widget()`` gives a slider (needs ipywidgets).

    Every frame uses one layout (only colours and numbers change), and
    only one gradient per frame is stored: memory grows with the number of
    frames plus the number of nodes, not their product.
    """

    def __init__(self, output: Value, *, rankdir: str = "auto", max_nodes: int = 200) -> None:
        if not isinstance(output, Value):
            raise TypeError(
                f"backprop_steps: output must be a Value, got {type(output).__name__} {output!r}"
            )
        if not isinstance(max_nodes, int) or not 1 <= max_nodes <= MAX_BOXES:
            raise ValueError(
                f"backprop_steps: max_nodes must be an integer from 1 to {MAX_BOXES} (every "
                f"frame draws every node; more would not lay out in seconds), got {max_nodes!r}"
            )
        size = len(topological_order(output))
        if size > max_nodes:
            raise ValueError(
                f"backprop_steps: the graph has {size:,} nodes, more than "
                f"max_nodes={max_nodes:,}; a step-through of it would not be readable "
                f"(max_nodes up to {MAX_BOXES} insists; draw_dot draws any graph)"
            )
        self.output = output
        self.rankdir = rankdir
        self._view = plan_view(output, max_nodes=max_nodes)
        self._names = node_names(self._view.order)
        self.frames = backward_frames(output, self._names)

    def _states(self) -> Iterator[dict[Value, float]]:
        """The gradients shown in each frame, one frame after the other
        (one dict updated in place: copy it to keep it)."""
        grads: dict[Value, float] = {}
        for frame in self.frames:
            grads[frame.target] = frame.grad
            yield grads

    def _drawing(self, i: int, grads: dict[Value, float]) -> GraphDrawing:
        frame = self.frames[i]
        highlight = {frame.target: FILLED}
        edges: set[tuple[Value, Value]] = set()
        if frame.source is not None:
            highlight[frame.source] = ACTIVE
            edges = {(frame.source, frame.target), (frame.source, frame.source)}
        return render_view(
            self.output,
            self._view,
            rankdir=self.rankdir,
            grads=grads,
            names=self._names,
            highlight=highlight,
            highlight_edges=edges,
            caption=f"{frame.caption}  ({i + 1}/{len(self)})",
            highlight_meaning={ACTIVE: "passes its gradient on", FILLED: "gradient just added"},
        )

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[GraphDrawing]:
        return (self._drawing(i, grads) for i, grads in enumerate(self._states()))

    def __getitem__(self, i: int) -> GraphDrawing:
        """The drawing of frame ``i`` (negative indices count from the end)."""
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"BackpropSteps: frame index must be an int, got {i!r}")
        if not -len(self) <= i < len(self):
            raise IndexError(f"BackpropSteps: frame {i} out of range (0..{len(self) - 1})")
        i %= len(self)
        return self._drawing(i, next(itertools.islice(self._states(), i, None)))

    def grads_at(self, i: int) -> dict[Value, float]:
        """Every node's gradient as frame ``i`` shows it (absent nodes: 0)."""
        self[i]  # checks i
        return dict(next(itertools.islice(self._states(), i % len(self), None)))

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
        svgs = run("\n".join(d.source for d in self), "svg").split(b"<?xml")[1:]
        for i, svg in enumerate(svgs):
            path = Path(folder) / f"{prefix}_{i:0{width}d}.svg"
            paths.append(write_atomically(path, b"<?xml" + svg))
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
        # one renderer run for every frame, at 72 dpi: a GIF is for the screen
        sources = (d.source.replace("size=", f"dpi={GIF_DPI} size=", 1) for d in self)
        pngs = [p for chunk in run_many(list(sources), "png") for p in _split_pngs(chunk)]
        sizes = [Image.open(io.BytesIO(png)).size for png in pngs]  # reads headers only
        width, height = max(w for w, _ in sizes), max(h for _, h in sizes)

        def padded(png: bytes) -> Any:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(Image.open(io.BytesIO(png)).convert("RGB"), (0, 0))
            return canvas

        # one palette for all frames (the last one shows every colour used): fast, no
        # flicker; frames are made one at a time and kept as 1-byte-per-pixel images
        palette = padded(pngs[-1]).quantize(colors=128, method=Image.Quantize.FASTOCTREE)
        frames = [padded(png).quantize(palette=palette, dither=Image.Dither.NONE)
                  for png in pngs]
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


def _split_pngs(data: bytes) -> list[bytes]:
    """The PNG files a renderer wrote one after the other."""
    pictures, start = [], 0
    while start < len(data):
        end = data.index(b"IEND", start) + 8  # chunk type, then its 4-byte CRC
        pictures.append(data[start:end])
        start = end
    return pictures


def backprop_steps(output: Value, *, rankdir: str = "auto",
                   max_nodes: int = 200) -> BackpropSteps:
    """The step-through of ``backward()`` from ``output`` (see :class:`BackpropSteps`)."""
    return BackpropSteps(output, rankdir=rankdir, max_nodes=max_nodes)
