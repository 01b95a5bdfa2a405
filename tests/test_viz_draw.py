"""draw_dot: micrograd's look, styling by kind, and large graphs kept readable."""

import itertools
import random
import re
import xml.etree.ElementTree as ET

import graphviz
import pytest

from engine import Value, name_scope, topological_order
from viz import GraphDrawing, draw_dot, node_kind
from viz.dot import grad_color

SVG = "{http://www.w3.org/2000/svg}"


def _expression():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b + b**2
    out.label = "out"
    out.backward()
    return a, b, out


def _mlp_like_graph(samples, sizes=(2, 16, 16, 1)):
    """A loss graph shaped like nn's MLP: parameters and per-sample forward
    nodes made inside ``layers.i.neurons.j`` scopes, the loss outside."""
    rng = random.Random(0)
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layer = []
        for j in range(n_out):
            with name_scope(f"layers.{i}"), name_scope(f"neurons.{j}"):
                layer.append(([Value(rng.uniform(-1, 1)) for _ in range(n_in)], Value(0.0)))
        layers.append(layer)
    loss = Value(0.0)
    for _ in range(samples):
        x = [Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))]
        for i, layer in enumerate(layers):
            out = []
            for j, (w, b) in enumerate(layer):
                with name_scope(f"layers.{i}"), name_scope(f"neurons.{j}"):
                    act = sum((wi * xi for wi, xi in zip(w, x)), b)
                    out.append(act.relu() if i < len(layers) - 1 else act)
            x = out
        loss = loss + (1 - x[0]).relu()
    return loss


def test_micrograd_look_and_op_symbols_from_the_op():
    _a, _b, out = _expression()
    drawing = draw_dot(out, legend=False)
    assert isinstance(drawing, graphviz.Digraph) and isinstance(drawing, GraphDrawing)
    source = drawing.source
    assert "legend" not in source and "legend" in draw_dot(out).source
    for node in topological_order(out):
        if node.op is not None:
            assert f"label=<{node.op.symbol}>" in source
    # records: label | data | grad; edges child -> op -> node
    assert source.count("<td") == 3 * len(topological_order(out))
    assert "data -3</td>" in source and "grad -4</td>" in source
    assert re.search(r"n\d+ -> n\d+op", source) and re.search(r"n\d+op -> n\d+", source)
    assert 'rankdir=LR' in source
    assert "rankdir=TB" in draw_dot(out, rankdir="TB").source


def test_renders_inline_and_to_svg_and_png(tmp_path):
    *_, out = _expression()
    drawing = draw_dot(out)
    bundle, _metadata = drawing._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert "<svg" in drawing._repr_svg_()
    png = drawing.render(str(tmp_path / "graph"), format="png")
    assert png.endswith("graph.png")
    assert (tmp_path / "graph.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "graph").read_text() == drawing.source
    svg = drawing.render(tmp_path / "g2", format="svg", cleanup=True)
    assert ET.parse(svg).getroot().tag == f"{SVG}svg"
    assert not (tmp_path / "g2").exists()
    assert draw_dot(out).render(outfile=tmp_path / "direct.png").endswith("direct.png")
    assert not list(tmp_path.glob(".*tmp*"))  # atomic writes leave nothing behind


def test_node_kinds_are_styled_apart():
    x = Value(1.0, label="x")
    with name_scope("layers.0"):
        w = Value(0.5, label="w")
    marked = Value(3.0)
    out = (x * w + 2) * marked
    kinds = {n: node_kind(n, out, {marked}) for n in topological_order(out)}
    assert kinds[x] == "input" and kinds[w] == "parameter" and kinds[marked] == "parameter"
    assert kinds[out] == "output"
    assert sorted(set(kinds.values())) == ["computed", "constant", "input", "output", "parameter"]
    source = draw_dot(out, params=[marked]).source
    from viz import KIND_COLORS

    for kind in set(kinds.values()):
        assert KIND_COLORS[kind] in source


def test_gradient_colouring_is_signed_with_a_key():
    *_, out = _expression()  # a.grad = -3, b.grad = -4, out.grad = 1
    source = draw_dot(out, color_grad=True).source
    assert f'bgcolor="{grad_color(-4, 4)}">grad -4' in source  # the largest |grad|: full blue
    assert grad_color(-4, 4) == "#2166ac" and grad_color(4, 4) == "#e66101"
    assert grad_color(0, 4) == "#ffffff"
    assert grad_color(-1, 4) != grad_color(1, 4)  # the sign shows
    assert "grad colour (blue −, orange +)" in source
    assert "#2166ac" not in draw_dot(out).source


def test_bad_arguments_are_named():
    *_, out = _expression()
    with pytest.raises(TypeError, match="draw_dot: output must be a Value"):
        draw_dot(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(out, rankdir="XY")
    with pytest.raises(ValueError, match="collapse"):
        draw_dot(out, collapse="module")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(out, max_nodes=0)
    with pytest.raises(TypeError, match="params"):
        draw_dot(out, params=[1.0])


def _titles(source):
    return re.findall(r"<b>([^<]*)</b>", source)


def test_large_graph_is_merged_per_call_and_cut_to_the_budget():
    loss = _mlp_like_graph(samples=9)
    total = len(topological_order(loss))
    assert total > 5000
    drawing = draw_dot(loss)
    source = drawing.source
    assert f"{total:,} nodes; drawn: " in source and "max_nodes=40" in source
    boxes = len(re.findall(r"^\s*[ng]\d+ \[label=<<table", source, re.M))
    assert boxes <= 40
    assert f"drawn: {boxes} boxes" in source  # the caption counts what is drawn
    titles = _titles(source)
    # samples stay apart: one box per call of a layer; the parameters (one set for all) in one box
    assert "layers.1 (call 1 of 9)" in titles and "layers.1 (call 2 of 9)" in titles
    assert "layers.1 parameters" in titles
    # a whole sample is drawn from input to loss, not only the boxes nearest the output
    assert "layers.0 (call 1 of 9)" in titles
    assert ET.fromstring(drawing.pipe("svg")).tag == f"{SVG}svg"


def test_merged_boxes_carry_the_numbers_in_index_order():
    loss = _mlp_like_graph(samples=1)
    loss.backward()
    source = draw_dot(loss, collapse="neuron").source
    titles = [t for t in _titles(source) if t.startswith("layers.0.neurons.")]
    assert titles == [f"layers.0.neurons.{j}" for j in range(16)]  # 2 before 10
    assert "out (ReLU)" in source and "dead ReLU" in source
    # the output neuron's final + is inside its box
    assert "layers.2.neurons.0" in _titles(source)
    for node in topological_order(loss):
        if node.scope.startswith("layers.2"):
            assert not re.search(rf"\bn{topological_order(loss).index(node)} \[", source)


def test_collapse_by_layer_and_by_depth():
    loss = _mlp_like_graph(samples=2)
    by_layer = _titles(draw_dot(loss, collapse="layer").source)
    assert "layers.0 (call 1 of 2)" in by_layer and not any("neurons" in t for t in by_layer)
    assert "layers (call 1 of 2)" in _titles(draw_dot(loss, collapse=1).source)


def test_long_sums_fold_into_one_box():
    params = [Value(0.1 * i) for i in range(337)]
    penalty = 1e-4 * sum(p * p for p in params)
    source = draw_dot(penalty).source
    assert "sum of 337 terms (each *)" in _titles(source)
    assert len(re.findall(r"^\s*[ng]\d+ \[label=<<table", source, re.M)) <= 40


def test_graph_without_scopes_is_cut_to_the_budget_with_a_note():
    x = Value(0.5, label="x")
    y = x
    for _ in range(1200):
        y = y * 1.0001 + 0.001
    drawing = draw_dot(y, max_nodes=100)
    source = drawing.source
    records = re.findall(r"^\s*n\d+ \[label=<<table", source, re.M)
    assert len(records) == 100
    hidden = len(topological_order(y)) - 100
    assert f"{hidden:,} hidden nodes" in source and "max_nodes=100" in source
    assert drawing.pipe("svg")


def test_max_depth_cuts_and_force_draws_everything():
    x = Value(0.5)
    y = x
    for _ in range(20):
        y = y.tanh()
    shallow = draw_dot(y, max_depth=3).source
    assert len(re.findall(r"^\s*n\d+ \[label=<<table", shallow, re.M)) == 4
    assert "17 hidden nodes" in shallow
    forced = draw_dot(y, max_nodes=5, force=True).source
    assert len(re.findall(r"^\s*n\d+ \[label=<<table", forced, re.M)) == 21
    assert "hidden" not in forced


def _random_dag(n, seed=0):
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1)) for _ in range(8)]
    while len(nodes) < n:
        a, b = rng.choice(nodes), rng.choice(nodes[-50:])
        nodes.append(a * b if rng.random() < 0.5 else a + b)
    return nodes[-1]


def _png_size(png):
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_any_graph_fits_the_canvas_budget():
    from engine import define_op

    spread = define_op("spread", lambda *xs: sum(xs), [lambda *xs: 1.0] * 120, "Σ")
    leaves = [Value(0.01 * i) for i in range(120)]
    dense = [spread(*leaves)]
    while len(dense) < 480:  # ~480 nodes, ~57,000 edges
        dense.append(spread(*(dense[-1 - i % len(dense)] for i in range(120))))
    for output in (_random_dag(3000), dense[-1], _mlp_like_graph(samples=3)):
        drawing = draw_dot(output)
        boxes = re.findall(r"^\s*[ng]\d+ \[label=<<table", drawing.source, re.M)
        edges = re.findall(r"->", drawing.source)
        assert len(boxes) <= 40 and len(edges) <= 40 * (8 + 2)  # inputs, op, hidden
        svg = ET.fromstring(drawing.pipe("svg"))
        assert float(svg.get("width").rstrip("pt")) <= 16 * 72 + 1
        assert float(svg.get("height").rstrip("pt")) <= 10 * 72 + 1
        width, height = _png_size(drawing.pipe("png"))
        assert width <= 1536 and height <= 960


def test_raised_max_nodes_is_refused_past_the_ceiling():
    with pytest.raises(ValueError, match="max_nodes=5,000 is over 300"):
        draw_dot(_random_dag(100), max_nodes=5000)


def _demo_loss(samples, by_hand):
    """micrograd's demo loss: MLP(2, [16, 16, 1]), mean hinge + 1e-4 * sum(p * p)."""
    import nn

    X, labels = nn.make_moons(n_samples=20, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    losses = [nn.hinge(model(list(x)), 2.0 * t - 1.0) for x, t in zip(X[:samples], labels)]
    penalty = 1e-4 * sum(p * p for p in params) if by_hand else nn.l2_penalty(params, 1e-4)
    loss = nn.losses.mean(losses) + penalty
    loss.backward()
    return loss


@pytest.mark.parametrize("samples", [1, 10])
@pytest.mark.parametrize("by_hand", [False, True])
def test_the_demo_loss_draws_within_the_budget_with_samples_apart(samples, by_hand):
    drawing = draw_dot(_demo_loss(samples, by_hand))
    source = drawing.source
    boxes = re.findall(r"^\s*[ng]\d+ \[label=<<table", source, re.M)
    assert len(boxes) <= 40 and f"drawn: {len(boxes)} boxes" in source
    titles = _titles(source)
    assert ("sum of 337 terms (each *)" if by_hand else "l2_penalty") in titles
    if samples > 1:
        assert "mean" in titles  # nn.losses.mean tags its nodes
        assert {f"hinge (call {k} of {samples})" for k in (1, 2)} <= set(titles)
    width, height = _png_size(drawing.pipe("png"))
    assert width <= 1536 and height <= 960


def test_huge_graphs_are_planned_from_the_nodes_nearest_the_output(monkeypatch):
    import viz.layout

    monkeypatch.setattr(viz.layout, "PLAN_LIMIT", 500)
    output = _random_dag(3000)
    drawing = draw_dot(output)
    source = drawing.source
    assert "planned from the 500 nodes nearest the output" in source
    boxes = re.findall(r"^\s*[ng]\d+ \[label=<<table", source, re.M)
    assert 1 <= len(boxes) <= 40
    view = viz.layout.plan_view(output)
    total = len(topological_order(output))
    assert total > 1000 and len(view.order) == 500
    assert view.hidden_count == total - view.drawn_nodes()
    assert f"{view.hidden_count:,} hidden nodes" in source


def test_calls_are_drawn_in_reading_order():
    svg = ET.fromstring(draw_dot(_demo_loss(5, by_hand=False)).pipe("svg"))
    top = {}
    for group in svg.iter(f"{SVG}g"):
        texts = [t for t in group.iter(f"{SVG}text") if t.text]
        if group.get("class") == "node" and texts:
            top[texts[0].text] = float(texts[0].get("y"))
    for layer in ("layers.0", "layers.1", "hinge"):
        ys = [top[f"{layer} (call {k} of 5)"] for k in range(1, 6)]
        assert ys == sorted(ys), (layer, ys)  # call 1 above call 2 above ...


def test_planning_leaves_the_garbage_collector_as_it_was():
    import gc

    from viz.layout import plan_view

    output = _random_dag(200)
    assert gc.isenabled()
    plan_view(output)
    assert gc.isenabled()
    gc.disable()
    try:
        plan_view(output)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("samples", [1, 5])
def test_no_drawn_box_is_left_floating(samples):
    from viz.layout import plan_view

    loss = _demo_loss(samples, by_hand=True)
    source = draw_dot(loss).source
    boxes = set(re.findall(r"^\s*([ng]\d+) \[label=<<table", source, re.M))
    sources = set(re.findall(r"^\s*(\w+) -> ", source, re.M))
    assert boxes - sources == {plan_view(loss).box_of[loss]}  # only the output has no way out
    if samples == 1:  # one sample reads best by layer: a handful of boxes
        assert len(boxes) <= 20 and "layers.1" in _titles(source)


def test_a_raised_max_nodes_keeps_the_edge_budget():
    from viz.dot import MAX_EDGES

    output = _random_dag(5000)
    source = draw_dot(output, max_nodes=300).source
    boxes = re.findall(r"^\s*[ng]\d+ \[label=<<table", source, re.M)
    input_edges = re.findall(r"^\s*[ng]\d+ -> ", source, re.M)  # not op -> node, hidden -> box
    assert len(boxes) == 300 and len(input_edges) <= MAX_EDGES
    assert "edges not drawn (at most 1 into a box)" in source
