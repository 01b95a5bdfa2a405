"""Choosing and running the Graphviz renderer (system dot, else graphviz-pure)."""

import os
import stat
import sys

import pytest

from engine import Value
from viz import RendererNotFoundError, draw_dot, renderer
from viz import backend as renderer_module
from viz.backend import RenderError, find_renderer, run


def _fake_executable(folder, name):
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_system_dot_on_path_wins(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    dot = _fake_executable(tmp_path / "a", "dot")
    _fake_executable(tmp_path / "b", "graphviz-pure")
    found = find_renderer(path=f"{tmp_path / 'b'}{os.pathsep}{tmp_path / 'a'}", extra_dirs=[])
    assert found == ("dot", str(dot))


def test_graphviz_pure_found_next_to_the_interpreter_when_not_on_path(tmp_path):
    scripts = tmp_path / "venv-bin"
    scripts.mkdir()
    pure = _fake_executable(scripts, "graphviz-pure")
    found = find_renderer(path=str(tmp_path / "empty"), extra_dirs=[str(scripts)])
    assert found == ("graphviz-pure", str(pure))


def test_nothing_found(tmp_path):
    assert find_renderer(path=str(tmp_path), extra_dirs=[str(tmp_path)]) is None


def test_default_search_includes_this_interpreters_scripts_folder(monkeypatch):
    monkeypatch.setenv("PATH", "")  # as in a kernel started without activating the venv
    found = renderer()
    assert found.name == "graphviz-pure"
    assert os.path.dirname(found.path) == os.path.dirname(sys.executable)


def test_missing_renderer_says_what_to_install(monkeypatch):
    monkeypatch.setattr(renderer_module, "find_renderer", lambda: None)
    with pytest.raises(RendererNotFoundError, match="pip install graphviz-pure"):
        renderer()
    # Jupyter's inline display goes through the same check
    with pytest.raises(RendererNotFoundError, match="apt install graphviz"):
        draw_dot(Value(1.0))._repr_mimebundle_()


def test_real_svg_and_png_without_dot_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "")
    source = 'digraph { a -> b [label="x"] }'
    svg = run(source, "svg")
    png = run(source, "png")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_render_errors_are_explained():
    with pytest.raises(RenderError, match="failed"):
        run("digraph { a -> }", "svg")
    with pytest.raises(ValueError, match="format"):
        run("digraph {}", "")
    if renderer().name == "graphviz-pure":
        with pytest.raises(ValueError, match="'pdf'"):
            run("digraph {}", "pdf")
