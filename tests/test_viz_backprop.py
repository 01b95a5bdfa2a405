"""The step-through of backward(): frames made by the engine's own steps."""

import pytest
from PIL import Image

from engine import Value, topological_order
from viz import BackpropSteps, GraphDrawing, backprop_steps


def _graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    out = c + b**2 + a.tanh()
    out.label = "out"
    return a, b, out


def test_frames_fill_in_the_same_gradients_as_backward():
    a, b, out = _graph()
    steps = backprop_steps(out)
    final = {f.target: f.grad for f in steps.frames}  # last value written per node
    out.backward()
    for node in topological_order(out):
        if node in final:
            assert final[node] == pytest.approx(node.grad, abs=1e-12)
    assert final[a] == pytest.approx(a.grad) and final[b] == pytest.approx(-4.0)


def test_frames_follow_reverse_topological_order_one_edge_each():
    _a, _b, out = _graph()
    steps = backprop_steps(out)
    first = steps.frames[0]
    assert first.source is None and first.target is out and first.grad == 1.0
    for frame in steps.frames[1:]:
        assert frame.target in frame.source.children
    sources = [f.source for f in steps.frames[1:]]
    ids = [s._id for s in sources]
    assert ids == sorted(ids, reverse=True)
    # every (node, distinct non-constant input) pair is one frame
    edges = {(n, c) for n in topological_order(out) for c in n.children
             if type(c) is Value}
    assert len(steps) == 1 + len(edges)


def test_frames_show_partial_gradients_and_leave_the_graph_alone():
    _a, b, out = _graph()
    b.grad = 7.0  # user state that building the frames must not change
    steps = backprop_steps(out)
    assert b.grad == 7.0 and out.grad == 0.0
    b_frames = [i for i, f in enumerate(steps.frames) if f.target is b]
    assert len(b_frames) == 2  # b gets gradient from ** and from *
    partial, total = (steps.frames[i].grad for i in b_frames)
    assert partial != total and total == pytest.approx(-4.0)
    drawing = steps[b_frames[0]]
    assert isinstance(drawing, GraphDrawing)
    assert f"grad {partial:g}" in drawing.source.replace(".0<", "<")
    assert "#dc2626" in drawing.source and "step" in drawing.source


def test_indexing_show_and_errors(monkeypatch):
    *_, out = _graph()
    steps = backprop_steps(out)
    assert steps[-1].source == steps[len(steps) - 1].source
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    assert steps.show(0) is None and shown[0].source == steps[0].source
    with pytest.raises(IndexError, match="out of range"):
        steps[len(steps)]
    with pytest.raises(TypeError, match="frame index"):
        steps["1"]  # type: ignore[index]
    with pytest.raises(TypeError, match="root must be a Value"):
        BackpropSteps(1.0)  # type: ignore[arg-type]
    big = Value(1.0)
    for _ in range(300):
        big = big + 1
    with pytest.raises(ValueError, match="max_nodes"):
        backprop_steps(big)


def test_widget_needs_ipywidgets_or_says_so():
    *_, out = _graph()
    steps = backprop_steps(out)
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install ipywidgets"):
            steps.widget()
    else:
        assert steps.widget() is not None


def test_export_numbered_svgs_and_an_animated_gif(tmp_path):
    a = Value(2.0, label="a")
    out = a * a + 1
    steps = backprop_steps(out)
    paths = steps.save_svgs(tmp_path / "frames")
    assert [p.name for p in paths] == [f"frame_{i:03d}.svg" for i in range(len(steps))]
    assert all(p.read_text().lstrip().startswith("<?xml") for p in paths)
    gif = steps.save_gif(tmp_path / "backprop.gif", seconds_per_frame=0.5)
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == len(steps)
