"""The step-through of backward(): frames made by the engine's own steps."""

import pytest
from PIL import Image

from engine import Value, topological_order
from viz import BackpropSteps, GraphDrawing, backprop_steps
from viz.backprop import backward_frames


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


def test_backward_frames_are_the_frames_backprop_steps_draws_for_any_size():
    _a, _b, out = _graph()
    assert backward_frames(out) == backprop_steps(out).frames
    total = Value(0.0)
    for i in range(300):  # past backprop_steps' drawing budget: frames still recorded
        total = total + Value(float(i), label=f"x{i}") * 2
    total.grad = 7.0
    frames = backward_frames(total)
    assert len(frames) == 1 + 2 * 300 + 300  # the output, two per sum, one per x * 2
    assert frames[-1].grad == 2.0 and total.grad == 7.0  # .grad values restored
    with pytest.raises(ValueError, match="max_nodes"):
        backprop_steps(total)


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
    with pytest.raises(TypeError, match="output must be a Value"):
        BackpropSteps(1.0)  # type: ignore[arg-type]
    big = Value(1.0)
    for _ in range(300):
        big = big + 1
    with pytest.raises(ValueError, match="max_nodes"):
        backprop_steps(big)
    with pytest.raises(ValueError, match="max_nodes must be an integer from 1 to 300"):
        backprop_steps(big, max_nodes=20_000)  # frames of 20,000 boxes would never render


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


def _numeric_local(node, child, h=1e-6):
    """d node / d child by central differences on the op's forward alone."""
    def at(shift):
        xs = [c.data + (shift if c is child else 0.0) for c in node.children]
        return node.op.evaluate(*xs)
    return (at(h) - at(-h)) / (2 * h)


def _partial_backward(output, done):
    """Gradients after the first ``done`` (node, input) steps of a backward
    pass, computed here independently of the engine's autograd."""
    grads = {output: 1.0}
    steps = 0
    for node in reversed(topological_order(output)):
        if node.op is None:
            continue
        for child in dict.fromkeys(c for c in node.children if type(c) is Value):
            if steps == done:
                return grads
            local = _numeric_local(node, child)
            grads[child] = grads.get(child, 0.0) + local * grads.get(node, 0.0)
            steps += 1
    return grads


def test_every_frame_matches_an_independent_partial_backward():
    *_, out = _graph()
    steps = backprop_steps(out)
    first = steps.grads_at(0)
    assert first == {out: 1.0}  # frame 0: only the output's gradient, nothing final
    assert steps.grads_at(1)[out] == 1.0 and len(steps.grads_at(1)) == 2
    for i in range(len(steps)):
        expected = _partial_backward(out, i)
        shown = steps.grads_at(i)
        for node in topological_order(out):
            assert shown.get(node, 0.0) == pytest.approx(expected.get(node, 0.0), abs=1e-6), i
        frame = steps.frames[i]
        if frame.source is not None:
            assert frame.local == pytest.approx(_numeric_local(frame.source, frame.target), 1e-6)
    source = steps[0].source
    variables = [n for n in topological_order(out) if type(n) is Value]
    assert "grad 1<" in source and source.count("grad 0<") == len(variables) - 1


def test_captions_show_the_chain_rule_and_sums_at_reused_nodes():
    _a, b, out = _graph()
    steps = backprop_steps(out)
    products = [f for f in steps.frames[1:]]
    for frame in products:
        added = frame.local * frame.upstream
        assert f"= {frame.local:.4g} × {frame.upstream:.4g} = {added:.4g}" in frame.caption
    reused = [f for f in steps.frames if f.target is b][-1]
    assert "sum at reused node" in reused.caption and reused.caption.endswith(f"= {-4:g}")


def test_every_node_is_named_once_and_the_name_is_drawn():
    from engine import name_scope

    with name_scope("layers.0"):
        w0, w1 = Value(0.5, label="w"), Value(-0.5, label="w")
    x = Value(2.0, label="x")
    out = (w0 * x).relu() + (w1 * x).relu() + x * x
    steps = backprop_steps(out)
    names = list(steps._names.values())
    assert len(names) == len(set(names))
    source = steps[3].source
    for name in names:
        assert f"<b>{name}</b>" in source
    assert any(n.startswith("layers.0.w (n") for n in names)


def _positions(svg):
    import re

    return re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>\s*<polygon[^>]*'
                      r'points="([^"]*)"', svg)


def test_all_frames_share_one_layout(tmp_path):
    import nn

    model = nn.MLP(2, [4, 1], seed=0)
    out = model([0.5, -1.0])
    steps = backprop_steps(out)
    paths = steps.save_svgs(tmp_path)
    layouts = {tuple(_positions(p.read_text())) for p in paths}
    assert len(layouts) == 1 and len(next(iter(layouts))) > 20
    # memory: frames hold one number each, not a table of every gradient
    assert all(len(vars(f)) == 6 for f in steps.frames) and not hasattr(steps, "_states_list")


def test_the_mlp_hinge_gif_keeps_to_its_budget(tmp_path):
    import nn

    model = nn.MLP(2, [4, 1], seed=0)
    loss = nn.hinge(model([0.5, -1.0]), 1.0)
    steps = backprop_steps(loss)
    assert "gradient just added" in steps[1].source  # the key explains the highlights
    gif = steps.save_gif(tmp_path / "steps.gif")
    assert gif.stat().st_size <= 1_000_000
    with Image.open(gif) as image:
        assert image.n_frames == len(steps) and image.width <= 16 * 72 and image.height <= 10 * 72
