"""glassgrad's pictures: computation graphs, backprop step by step, networks, plots.

>>> from engine import Value
>>> from viz import draw_dot
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> drawing = draw_dot(a * b)          # shows itself in Jupyter
>>> "*" in drawing.source               # the op's own symbol
True

Rendering uses the system Graphviz ``dot`` if present, else ``graphviz-pure``
(installed with glassgrad); :func:`renderer` says which.
"""

from viz.backend import Renderer, RendererNotFoundError, RenderError, renderer
from viz.backprop import BackpropSteps, Frame, backprop_steps
from viz.dot import KIND_COLORS, draw_dot, node_kind
from viz.drawing import GraphDrawing
from viz.explorer import Explorer, explore
from viz.mlp import draw_mlp
from viz.plots import plot_decision_boundary, plot_history

__all__ = [
    "KIND_COLORS",
    "BackpropSteps",
    "Explorer",
    "Frame",
    "GraphDrawing",
    "RenderError",
    "Renderer",
    "RendererNotFoundError",
    "backprop_steps",
    "draw_dot",
    "draw_mlp",
    "explore",
    "node_kind",
    "plot_decision_boundary",
    "plot_history",
    "renderer",
]
