"""Label text is shown verbatim and cannot break or inject into the DOT."""

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from viz import draw_dot
from viz.labels import displayed, html_text, number

SVG = "{http://www.w3.org/2000/svg}"


def _svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def _node_count(svg: bytes) -> int:
    root = ET.fromstring(svg)
    return sum(1 for g in root.iter(f"{SVG}g") if g.get("class") == "node")


def _same(shown: str, expected: str) -> bool:
    # Graphviz writes a run of spaces as space + no-break spaces; both look alike
    return shown.replace("\xa0", " ") == expected.replace("\xa0", " ")


def test_special_characters_render_verbatim():
    label = 'a|b {x} <y> "q" \\N \\ & é 中 ]]>'
    svg = draw_dot(Value(1.0, label=label)).pipe("svg")
    assert any(_same(t, label) for t in _svg_texts(svg))


def test_newlines_become_line_breaks_and_controls_become_visible():
    assert displayed("a\nb\r\nc") == ["a", "b", "c"]
    assert displayed("x\x01\ty\x7f") == ["x\\x01\\ty\\x7f"]
    assert displayed("\ud800\uffff") == ["\ufffd\ufffd"]
    assert html_text("<b>\\") == "&lt;b&gt;\\\\"


def test_numbers_are_compact():
    assert [number(x) for x in (138.8338, 2.0, -0.0, 1e-5, 645.5773)] == [
        "138.8", "2", "0", "1e-05", "645.6"
    ]


@settings(max_examples=60)
@given(
    st.text(
        alphabet=st.one_of(st.sampled_from(list("|{}<>\"'\\&;#\n\r\t\x00 ]NGL")), st.characters()),
        max_size=30,
    )
)
def test_any_label_renders_verbatim_without_injection(label):
    a = Value(1.0, label=label)
    b = Value(2.0, label="b")
    drawing = draw_dot(a * b, legend=False)
    svg = drawing.pipe("svg")
    # three records + one op node: nothing injected, nothing broken
    assert _node_count(svg) == 4
    texts = _svg_texts(svg)
    for line in displayed(label):
        if line.strip():
            assert any(_same(t, line) for t in texts), (line, texts)
