"""viz.explore without a browser: the page's data, budget, display and errors."""

from __future__ import annotations

import json
import random
import re

import pytest
from hypothesis import given, settings

import nn
from engine import Value, topological_order
from engine.testing import expressions
from viz import Explorer, backprop_steps, explore
from viz.explorer import MAX_EXPAND
from viz.labels import number

PAGE_BUDGET_BYTES = 2_000_000
"""The demo loss's page (1,662 nodes, every group's inside laid out) stays under 2 MB."""


def page_data(page: Explorer) -> dict:
    payload = page.html.split('<script type="application/json" class="gg-data">')[1]
    return json.loads(payload.split("</script>")[0].replace("<\\/", "</"))


def small():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    return a, b, c + b ** 2


def demo_loss():
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    x = [Value(0.5, label="x0"), Value(-0.3, label="x1")]
    return nn.losses.hinge(model(x), 1.0) + nn.l2_penalty(model.parameters(), 1e-4)


def test_the_page_carries_backprop_steps_numbers_and_leaves_grads_alone():
    _a, b, out = small()
    b.grad = 5.0
    page = explore(out)
    assert b.grad == 5.0 and out.grad == 0.0
    data = page_data(page)
    frames = backprop_steps(out).frames
    assert page.steps("backward") == len(frames) == len(data["backward"])
    assert page.steps("forward") == len(topological_order(out))
    order = topological_order(out)
    for step, frame in zip(data["backward"], frames):
        assert order[step[0]] is frame.target
        assert step[2] == number(frame.grad) and float(step[3]) == frame.grad
        assert step[4:6] == [number(frame.local), number(frame.upstream)]
    b.grad = 0.0  # leaves accumulate across backward() calls
    out.backward()
    for node, item in zip(order, data["nodes"]):
        assert float(item["dataFull"]) == node.data
        if type(node) is Value:
            assert float(item["gradFull"]) == node.grad


def test_the_fragment_is_self_contained_and_scoped():
    _a, _b, out = small()
    one, two = explore(out), explore(out)
    for page in (one, two):
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.html)
        assert "<script" in page.html and "<svg" in page.html and "gg-nojs" in page.html
    ids = [re.search(r'id="(gg-[0-9a-f]+)"', p.html).group(1) for p in (one, two)]
    assert ids[0] != ids[1]
    bundle = one._repr_mimebundle_()
    assert bundle["text/html"] == one._repr_html_() == one.html
    assert "backward" in bundle["text/plain"]


def test_save_writes_one_whole_file_atomically(tmp_path):
    _a, _b, out = small()
    page = explore(out, color_grad=True, rankdir="TB", mode="forward")
    path = page.save(tmp_path / "deep" / "graph.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert 'data-page="1"' in text and page_data(page)["mode"] == "forward"
    assert [p.name for p in path.parent.iterdir()] == ["graph.html"]
    with pytest.raises(IsADirectoryError):
        page.save(tmp_path)


def test_bad_arguments_are_named():
    _a, _b, out = small()
    with pytest.raises(TypeError, match="explore: output must be a Value"):
        explore(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="explore: mode"):
        explore(out, mode="sideways")
    with pytest.raises(ValueError, match="explore: rankdir"):
        explore(out, rankdir="XY")
    with pytest.raises(ValueError, match="explore: collapse"):
        explore(out, collapse="atom")
    with pytest.raises(TypeError, match="explore: params"):
        explore(out, params=[1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"Explorer\.steps"):
        explore(out).steps("up")


def test_a_graph_too_big_for_one_page_is_refused_with_advice(monkeypatch):
    _a, _b, out = small()
    monkeypatch.setattr("viz.explorer.MAX_NODES", 4)
    with pytest.raises(ValueError, match=r"explore: the graph has 6 nodes, more than 4.*draw_dot"):
        explore(out)


def test_demo_loss_page_is_collapsed_small_and_expandable():
    loss = demo_loss()
    page = explore(loss)
    size = len(page.html.encode("utf-8"))
    assert size < PAGE_BUDGET_BYTES, f"{size:,} bytes"
    data = page_data(page)
    groups = data["groups"]
    assert 30 <= len(groups) <= 60
    sizes = {gid: sum(1 for n in data["nodes"] if n.get("box") == gid) for gid in groups}
    for gid, group in groups.items():
        assert group["expandable"] == (sizes[gid] <= MAX_EXPAND)
        assert len(group["inset"]) == 4 if group["expandable"] else "inset" not in group
    assert max(sizes.values()) > MAX_EXPAND  # the L2 sum (337 squares and their sum): one box
    assert sum(g["expandable"] for g in groups.values()) >= 33  # every neuron expands
    members = [n for n in data["nodes"] if "box" in n]
    assert len(members) > 1_500
    assert MAX_EXPAND < 674


def test_collapse_argument_matches_draw_dots_grouping():
    loss = demo_loss()
    layers = page_data(explore(loss, collapse="layer"))["groups"]
    assert {"layers.0", "layers.1", "layers.2"} <= {g["title"] for g in layers.values()}
    _a, _b, out = small()
    assert page_data(explore(out))["groups"] == {}


@settings(max_examples=30)
@given(expressions(max_inputs=3, max_ops=8))
def test_any_graph_page_draws_each_node_once_and_ends_on_backwards_gradients(expr):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)]
    out = expr.build(leaves)
    page = explore(out)
    data = page_data(page)
    order = topological_order(out)
    for i, node in enumerate(order):
        assert page.html.count(f'data-n="{i}"') == 1  # one record per node, nothing moves
        for child in set(node.children):
            key = f'data-e="n{order.index(child)}>o{i}"'
            assert page.html.count(key) == 1  # every edge drawn once
    forward = data["forward"]  # every node once, each after its inputs
    assert sorted(forward) == list(range(len(order)))
    when = {i: k for k, i in enumerate(forward)}
    assert all(when[order.index(c)] < when[i] for i, n in enumerate(order) for c in n.children)
    final = {}
    for step in data["backward"]:
        final[step[0]] = float(step[3])
    out.backward()
    for i, node in enumerate(order):
        if type(node) is Value:
            assert final.get(i, 0.0) == node.grad


def test_browser_tests_skip_without_chromium_but_fail_under_ci(monkeypatch):
    from browser import missing

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        missing("chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set, so browser tests must run"):
        missing("chromium")


def test_a_graph_built_by_hand_micrograd_style_explores_without_gradients():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = Value(5.0, (a, b), "+")  # an op only named, as micrograd allows: it passes no gradient
    data = page_data(explore(c))
    assert data["nodes"][-1]["symbol"] == "+"
    assert [step[2] for step in data["backward"]] == ["1", "0", "0"]
