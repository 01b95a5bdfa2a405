"""How drawings show: SVG and PNG for Jupyter, fitted to the page, with alt
text, and only glyphs the renderer's fonts have."""

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nn
from engine import REGISTRY, Value
from viz import backprop_steps, draw_dot, draw_mlp
from viz.backend import run

SVG = "{http://www.w3.org/2000/svg}"


def _drawings():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b).tanh()
    out.label = "out"
    out.backward()
    return [draw_dot(out), draw_mlp(nn.MLP(2, [3, 1])), backprop_steps(out)[1]]


def test_bundle_offers_svg_png_and_text_with_alt_text():
    for drawing in _drawings():
        data, metadata = drawing._repr_mimebundle_()
        assert set(data) == {"image/svg+xml", "image/png", "text/plain"}
        assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
        alt = drawing.alt_text
        assert len(alt) > 20 and "GraphDrawing at 0x" not in data["text/plain"]
        assert data["text/plain"] == alt and metadata["image/png"]["alt"] == alt
        svg = ET.fromstring(data["image/svg+xml"])
        assert svg.get("aria-label") == alt and svg.find(f"{SVG}title").text == alt
        assert repr(drawing) == f"<GraphDrawing: {alt}>"
    assert set(_drawings()[0]._repr_mimebundle_(include=["image/png"])[0]) == {"image/png"}


def test_svg_shrinks_to_the_page_width():
    for drawing in _drawings():
        svg = ET.fromstring(drawing.pipe("svg"))
        assert "max-width:100%" in svg.get("style") and "height:auto" in svg.get("style")
        assert svg.get("viewBox")  # keeps its proportions when scaled


def test_alt_text_says_what_is_drawn():
    a = Value(2.0, label="a")
    out = a * a
    out.label = "square"
    out.backward()
    assert draw_dot(out).alt_text.startswith("Computation graph of square = 4 (grad 1)")
    steps = backprop_steps(out)
    assert "step 1: square.grad = 1" in steps[0].alt_text  # steps counted from 1


def _png(text):
    return run('digraph { node [shape=plain fontname="Helvetica" fontsize=40]; '
               f"a [label=<{text}>] }}", "png")


def test_every_default_glyph_renders():
    tofu = _png("\ue000")  # private-use characters: no font has them
    assert _png("\ue001") == tofu != _png("a")  # the check tells a tofu box from a glyph
    viz_sources = (Path(__file__).parent.parent / "viz").glob("*.py")
    used = {c for path in viz_sources for c in path.read_text("utf-8") if ord(c) > 127}
    used |= {c for op in REGISTRY.values() for c in op.symbol if ord(c) > 127}
    assert {"…", "×", "—", "−", "·", "σ"} <= used
    missing = [c for c in sorted(used) if _png(c) == tofu]
    assert not missing, f"these render as tofu boxes: {missing}"


def test_every_coloured_drawing_has_a_key():
    for drawing in _drawings():
        assert re.search(r"legend \[label=<<table.*<b>key</b>", drawing.source)
