"""viz.explore in a real browser: a saved page and an nbconvert export.

One headless chromium per module. Every check reads what the page shows and
compares it with the engine's own numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from browser import launch, pixel_spread, visit

import nn
from engine import Value, grad, topological_order
from viz import backprop_steps, explore
from viz.labels import number

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def browser():
    yield from launch()


def reused_sum():
    """x reached by three paths; backward (latest node first) adds 4, -6, then 1."""
    x = Value(3.0, label="x")
    out = (x + 0.5) + x * -6 + x * 4
    out.label = "out"
    return x, out


def texts(page, attr):
    """node position -> the text of its first element with ``attr``."""
    return page.evaluate(
        f"""() => {{ const r = {{}};
        document.querySelectorAll('[{attr}]').forEach(e => {{
          const k = e.getAttribute('{attr}'); if (!(k in r)) r[k] = e.textContent; }});
        return r; }}""")


def expected_grads(output, k):
    """What step k shows for every node: backprop_steps' state after k frames."""
    steps = backprop_steps(output)
    shown = steps.grads_at(k - 1) if k else {}
    return {i: f"grad {number(shown[n]) if n in shown else '0'}"
            for i, n in enumerate(topological_order(output)) if type(n) is Value}


def step_of(page):
    return int(page.get_attribute(".gg-x", "data-step"))


def test_backward_steps_show_the_engines_numbers(browser, tmp_path):
    x, out = reused_sum()
    page_file = explore(out).save(tmp_path / "graph.html")
    seen = visit(browser, page_file.as_uri())
    page = seen.page
    assert page.get_attribute(".gg-x", "data-interactive") == "1"
    assert page.locator(".gg-nojs").count() == 0  # the no-JavaScript note is gone
    frames = backprop_steps(out).frames
    order = topological_order(out)
    for k in range(len(frames) + 1):
        assert step_of(page) == k
        grads = texts(page, "data-g")
        for i, text in expected_grads(out, k).items():
            assert grads[str(i)] == text, (k, order[i].label)
        caption = page.text_content(".gg-cap")
        if k:
            assert caption.startswith(f"step {k} of {len(frames)}: ")
            assert page.text_content(".gg-count") == f"step {k} of {len(frames)}"
            assert page.input_value(".gg-scrub") == str(k)
        if k > 1:
            f = frames[k - 1]
            assert f"{number(f.local)} × {number(f.upstream)} = " in caption
        page.keyboard.press("ArrowRight")
    # the reused node's gradient, contribution by contribution
    assert page.text_content(".gg-cap").endswith("sum of contributions: 4 - 6 + 1 = -1")
    assert x.grad == 0.0  # the page was built without touching the graph's gradients
    page.keyboard.press("ArrowLeft")
    assert step_of(page) == len(frames) - 1
    page.keyboard.press("Home")
    assert step_of(page) == 0
    page.keyboard.press("End")
    assert step_of(page) == len(frames)
    assert not seen.errors and not seen.outside()


def test_buttons_scrubber_play_and_forward_mode(browser, tmp_path):
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    out = (c + b ** 2).tanh()
    page_file = explore(out).save(tmp_path / "graph.html")
    seen = visit(browser, page_file.as_uri())
    page = seen.page
    page.click("[data-act=next]")
    page.click("[data-act=next]")
    page.click("[data-act=prev]")
    assert step_of(page) == 1
    page.locator(".gg-scrub").fill("3")
    assert step_of(page) == 3 and page.text_content(".gg-count").startswith("step 3 of")
    page.click("[data-act=last]")
    page.click("[data-act=first]")
    assert step_of(page) == 0
    page.select_option("[data-act=speed]", "5")
    page.click("[data-act=play]")
    page.wait_for_function("document.querySelector('.gg-x').dataset.step >= 1")
    page.click("[data-act=play]")  # pause
    paused = step_of(page)
    page.wait_for_timeout(500)
    assert 1 <= step_of(page) == paused
    # forward mode: values appear in topological order, with the formula in the caption
    page.click("[data-act=forward]")
    order = topological_order(out)
    assert page.get_attribute(".gg-x", "data-mode") == "forward"
    filled_before: set[int] = set()
    for k in range(1, len(order) + 1):
        page.click("[data-act=next]")
        data = texts(page, "data-d")
        filled = {int(i) for i, text in data.items() if text != "data ?"}
        (new,) = filled - filled_before  # one value per step, never taken back
        assert len(filled) == k and filled_before < filled
        node = order[new]
        assert data[str(new)] == f"data {number(node.data)}"
        assert all(order.index(c) in filled for c in node.children)  # inputs come first
        filled_before = filled
    caption = page.text_content(".gg-cap")
    assert caption == (f"step {len(order)} of {len(order)}: n{len(order) - 1} = "
                       f"tanh(n{len(order) - 2}) = tanh({number(out.children[0].data)}) = "
                       f"{number(out.data)}")
    # space plays and pauses
    page.click("[data-act=first]")
    page.focus(".gg-x")
    page.keyboard.press(" ")
    page.wait_for_function("document.querySelector('.gg-x').dataset.step >= 1")
    page.keyboard.press(" ")
    assert not seen.errors and not seen.outside()


def test_inspect_shows_full_precision_and_local_derivatives(browser, tmp_path):
    a, b = Value(0.1, label="a"), Value(0.2, label="b")
    c = a * b
    c.label = "c"
    out = c.exp()
    page_file = explore(out).save(tmp_path / "graph.html")
    seen = visit(browser, page_file.as_uri())
    page = seen.page
    order = topological_order(out)
    page.keyboard.press("End")
    page.click(f"[data-n='{order.index(c)}']")
    info = page.text_content(".gg-info")
    assert repr(c.data) in info and "pinned" in info
    assert f"d c / d a{b.data!r}" in info and f"d c / d b{a.data!r}" in info  # d(a*b)/da = b
    out.backward()
    assert f"grad now{c.grad!r}" in info
    assert "op" in info and "mul (*)" in info
    assert not seen.errors and not seen.outside()


def test_without_javascript_the_final_picture_and_a_note_show(browser, tmp_path):
    x, out = reused_sum()
    page_file = explore(out).save(tmp_path / "graph.html")
    seen = visit(browser, page_file.as_uri(), script=False)
    page = seen.page
    note = page.locator(".gg-nojs")
    assert note.is_visible() and "JavaScript" in note.text_content()
    assert not page.locator(".gg-ui").is_visible()  # controls need the script
    assert page.locator("svg.gg-svg").is_visible()
    out.backward()
    order = topological_order(out)
    grads = texts(page, "data-g")
    assert grads[str(order.index(x))] == f"grad {number(x.grad)}" == "grad -1"
    png = page.screenshot()
    assert pixel_spread(png) > 10
    assert not seen.outside()


def test_hover_inspects_and_color_grad_shades_each_step(browser, tmp_path):
    x, out = reused_sum()
    page_file = explore(out, color_grad=True).save(tmp_path / "graph.html")
    seen = visit(browser, page_file.as_uri())
    page = seen.page
    order = topological_order(out)
    i = order.index(x)
    cell = page.locator(f"[data-gc='{i}']")
    assert cell.get_attribute("fill") == "none"  # step 0: no gradient yet
    page.keyboard.press("End")
    assert cell.get_attribute("fill") == "#2166ac"  # -1 is the largest |grad|: deep blue
    page.hover(f"[data-n='{i}']")
    info = page.text_content(".gg-info")
    assert "x (input)" in info and "grad now-1.0" in info and "pinned" not in info
    assert page.locator(".gg-key", has_text="grad: blue").count() == 1
    assert not seen.errors and not seen.outside()


def test_labels_show_verbatim_and_cannot_inject_markup(browser, tmp_path):
    a = Value(1.5, label='</script><b id="evil">x</b>&"')
    out = (a * 2).relu()
    out.label = "<img id=evil2 src=x onerror=alert(1)>"
    seen = visit(browser, explore(out).save(tmp_path / "graph.html").as_uri())
    page = seen.page
    assert page.locator("#evil, #evil2").count() == 0
    order = topological_order(out)
    assert page.text_content(f"[data-n='{order.index(a)}'] text") == a.label
    page.fill(".gg-search", "<img")
    assert page.get_attribute(".gg-x", "data-found") == "1"
    page.click(f"[data-n='{order.index(out)}']")
    assert out.label in page.text_content(".gg-info")
    assert not seen.errors and not seen.outside()


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    """micrograd's demo loss, one sample, with the L2 term."""
    import random

    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    x = [Value(0.5, label="x0"), Value(-0.3, label="x1")]
    loss = nn.losses.hinge(model(x), 1.0) + nn.l2_penalty(model.parameters(), 1e-4)
    page = explore(loss)
    return loss, page, page.save(tmp_path_factory.mktemp("demo") / "demo.html")


def test_big_graph_collapses_expands_searches_and_highlights_paths(browser, demo_page):
    loss, _explorer, path = demo_page
    seen = visit(browser, path.as_uri())
    page = seen.page
    order = topological_order(loss)
    groups = page.locator("[data-grp]")
    assert 30 <= groups.count() <= 60  # one box per neuron, not 1,662 nodes
    page.keyboard.press("End")
    group = page.locator("[data-grp]", has_text="layers.1.neurons.3").first
    gid = group.get_attribute("data-grp")
    inset = page.locator(f"[data-inset={gid}]")
    assert not inset.is_visible()
    group.click()
    assert inset.is_visible() and gid in page.get_attribute(".gg-x", "data-expanded")
    # every node inside the expanded group shows the engine's final gradient
    loss.backward()
    grads = texts(page, "data-g")
    for member in inset.locator("[data-n]").all():
        i = int(member.get_attribute("data-n"))
        assert grads[str(i)] == f"grad {number(order[i].grad)}"
    assert inset.locator("[data-n]").count() > 20
    page.click("[data-act=collapse]")
    assert not inset.is_visible() and not page.get_attribute(".gg-x", "data-expanded")
    group.click()
    page.click("[data-act=fit]")
    page.click(f"text[data-collapse={gid}]")  # the inset's own title bar collapses it too
    assert not inset.is_visible()
    group.click()
    page.keyboard.press("Escape")
    assert not inset.is_visible()
    # search by label
    page.fill(".gg-search", "neurons.3.w0")
    found = int(page.get_attribute(".gg-x", "data-found"))
    assert found == sum(1 for n in order if "neurons.3.w0" in n.scope + "." + n.label) > 0
    assert page.locator(".gg-match").count() >= 1
    page.press(".gg-search", "Enter")  # jumps to the first match, expanding its group
    assert page.get_attribute(".gg-x", "data-expanded")
    # paths from one input to the output
    page.select_option(".gg-paths", label="x0 (input)")
    on_path = int(page.get_attribute(".gg-x", "data-paths"))
    x0 = next(n for n in order if n.label == "x0")
    depends = {x0}
    for node in order:
        if any(c in depends for c in node.children):
            depends.add(node)
    assert on_path == len(depends)
    assert page.locator(".gg-e.gg-path").count() > 10
    page.select_option(".gg-paths", "")
    assert page.locator(".gg-path").count() == 0
    assert not seen.errors and not seen.outside()


def test_screenshots_are_drawn_in_light_and_dark(browser, demo_page, tmp_path):
    _loss, _explorer, path = demo_page
    for dark in (False, True):
        seen = visit(browser, path.as_uri(), dark=dark)
        page = seen.page
        for _ in range(40):
            page.keyboard.press("ArrowRight")
        assert (page.get_attribute(".gg-x", "data-dark") == "1") is dark
        background = page.evaluate(
            "getComputedStyle(document.querySelector('.gg-x')).backgroundColor")
        assert background == ("rgb(17, 24, 39)" if dark else "rgb(255, 255, 255)")
        png = page.screenshot(full_page=True)
        (tmp_path / f"explore-{'dark' if dark else 'light'}.png").write_bytes(png)
        assert len(png) > 30_000 and pixel_spread(png) > 20
        # the drawing fits the page width
        width = page.evaluate("document.querySelector('svg.gg-svg').getBoundingClientRect().width")
        assert width <= 1200
        assert not seen.errors and not seen.outside()


def test_second_order_graph_links_to_the_forward_nodes_it_reuses(browser, tmp_path):
    x = Value(0.7, label="x")
    y = (x * x).tanh()
    y.label = "y"
    (dy,) = grad(y, [x], create_graph=True)
    dy.label = "dy/dx"
    page_file = explore(dy, forward_graph=y).save(tmp_path / "second.html")
    seen = visit(browser, page_file.as_uri())
    page = seen.page
    order = topological_order(dy)
    kinds = {page.get_attribute(f"[data-n='{i}']", "class").split()[1] for i in range(len(order))}
    assert {"k-gradient", "k-computed", "k-input", "k-output"} <= kinds
    assert page.locator(".gg-key", has_text="computed (forward graph)").count() == 1
    assert page.locator(".gg-key", has_text="gradient graph").count() == 1
    # the gradient graph's nodes lie on paths from x, through the forward nodes they reuse
    page.click(f"[data-n='{order.index(x)}']")
    page.click(".gg-pathbtn")
    assert int(page.get_attribute(".gg-x", "data-paths")) == len(order) - sum(
        1 for n in order if x not in topological_order(n))
    reused = [i for i, n in enumerate(order) if n is x or n in topological_order(y)]
    assert reused  # the gradient graph reads forward nodes, drawn once and linked by edges
    page.keyboard.press("End")
    assert texts(page, "data-g") == {
        str(i): text for i, text in expected_grads(dy, len(backprop_steps(dy).frames)).items()
    } | {str(i): "grad —" for i, n in enumerate(order) if type(n) is not Value}
    assert not seen.errors and not seen.outside()


INSERT_LIKE_JUPYTERLAB = """html => {
  // JupyterLab sets innerHTML on an output node, re-creates the script tags so they
  // run, and attaches the node later; "new view for output" shows it twice.
  for (let view = 0; view < 2; view++) {
    const host = document.createElement("div");
    host.innerHTML = html;
    for (const old of Array.from(host.getElementsByTagName("script"))) {
      const clone = document.createElement("script");
      for (const a of Array.from(old.attributes)) clone.setAttribute(a.name, a.value);
      clone.textContent = old.textContent;
      old.parentNode.replaceChild(clone, old);
    }
    document.body.appendChild(host);
  }
}"""


def test_works_when_a_front_end_inserts_it_late_and_twice(browser, tmp_path):
    _x, out = reused_sum()
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    seen = visit(browser, blank.as_uri())
    page = seen.page
    page.evaluate(INSERT_LIKE_JUPYTERLAB, explore(out).html)
    views = page.locator(".gg-x")
    assert views.count() == 2
    for k in range(2):
        assert views.nth(k).get_attribute("data-interactive") == "1"
    views.nth(1).locator("[data-act=last]").click()
    assert views.nth(1).get_attribute("data-step") == "8"
    assert views.nth(0).get_attribute("data-step") == "0"
    assert not seen.errors and not seen.outside()


def _export(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from engine import Value\nfrom viz import explore\n"
            "x = Value(3.0, label='x')\nout = (x + 0.5) + x * -6 + x * 4\nexplore(out)"),
        nbformat.v4.new_code_cell("explore(out * out, mode='forward')"),
    ]
    source = tmp_path / "uses_explore.ipynb"
    nbformat.write(notebook, source)
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute",
                    str(source)], check=True, capture_output=True, env=env, cwd=tmp_path,
                   timeout=300)
    return tmp_path / "uses_explore.html"


def test_nbconvert_export_steps_in_the_browser(browser, tmp_path):
    exported = _export(tmp_path)
    seen = visit(browser, exported.as_uri(), dark=True)
    page = seen.page
    explorers = page.locator(".gg-x")
    assert explorers.count() == 2
    # the export is a light JupyterLab page: the explorers follow it, not the OS's dark mode
    assert page.get_attribute("body", "data-jp-theme-light") == "true"
    assert page.locator(".gg-x[data-dark]").count() == 0
    first, second = explorers.nth(0), explorers.nth(1)
    for one in (first, second):
        assert one.get_attribute("data-interactive") == "1"
    assert second.get_attribute("data-mode") == "forward"
    first.locator("[data-act=last]").click()
    first.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    assert first.locator(".gg-cap").text_content().endswith("4 - 6 + 1 = -1")
    assert second.get_attribute("data-step") == "0"  # two explorers do not share state
    # nbconvert's own template asks CDNs for require.js / MathJax: blocked, and none is ours
    ours = [url for url in seen.outside() if "mathjax" not in url.lower()
            and "require" not in url.lower()]
    assert ours == []
    assert [e for e in seen.errors if "Failed to load resource" not in e] == []
