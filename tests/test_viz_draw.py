"""draw_dot: micrograd's look, styling by kind, and large graphs kept readable."""

import itertools
import random
import re
import xml.etree.ElementTree as ET

import graphviz
import pytest

from engine import Value, name_scope, topological_order
from viz import GraphDrawing, draw_dot, node_kind

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
    drawing = draw_dot(out)
    assert isinstance(drawing, graphviz.Digraph) and isinstance(drawing, GraphDrawing)
    source = drawing.source
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
    bundle = drawing._repr_mimebundle_()
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


def test_gradient_colouring_shades_the_largest_gradient_most():
    *_, out = _expression()
    source = draw_dot(out, color_grad=True).source
    assert 'bgcolor="#f97316">grad -4' in source  # b has the largest |grad|
    assert "grad" in draw_dot(out).source and "#f97316" not in draw_dot(out).source


def test_bad_arguments_are_named():
    *_, out = _expression()
    with pytest.raises(TypeError, match="draw_dot: root must be a Value"):
        draw_dot(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(out, rankdir="XY")
    with pytest.raises(ValueError, match="collapse"):
        draw_dot(out, collapse="module")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(out, max_nodes=0)
    with pytest.raises(TypeError, match="params"):
        draw_dot(out, params=[1.0])


def test_large_graph_is_collapsed_automatically_and_renders():
    loss = _mlp_like_graph(samples=9)
    total = len(topological_order(loss))
    assert total > 5000
    drawing = draw_dot(loss)
    source = drawing.source
    assert "merged by neuron scope" in source and f"{total:,} nodes" in source
    assert len(re.findall(r"^\s*(\w+) \[", source, re.M)) < 150  # DOT nodes drawn
    assert "nodes in layers.1.neurons.3" in source
    svg = drawing.pipe("svg")
    assert ET.fromstring(svg).tag == f"{SVG}svg"


def test_collapse_by_layer_and_by_depth():
    loss = _mlp_like_graph(samples=2)
    by_layer = draw_dot(loss, collapse="layer").source
    assert "nodes in layers.0<" in by_layer and "neurons" not in by_layer
    assert draw_dot(loss, collapse=1).source.count("nodes in layers<") == 1


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
