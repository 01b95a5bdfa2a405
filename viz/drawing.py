"""``GraphDrawing``: a ``graphviz.Digraph`` that renders with our renderer.

It is a real ``Digraph`` (``.source``, ``.node()``, ``.edge()``, ``.attr()``
all work), but every rendering -- ``render``, ``pipe`` and Jupyter's inline
display -- goes through :func:`viz.backend.run`, so it works with the system
``dot`` or with ``graphviz-pure`` alone, and files are written atomically.

Jupyter gets SVG *and* PNG (a notebook opened untrusted, or a viewer without
SVG, shows the PNG), both scaled down to the page width, and the drawing's
``alt_text`` as the plain-text form, the SVG's title and the PNG's alt text.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

from engine.files import write_atomically
from viz.backend import run
from viz.labels import displayed

__all__ = ["GraphDrawing"]


class GraphDrawing(graphviz.Digraph):
    """A drawing of a graph: shows itself in Jupyter, exposes ``source``,
    and saves with ``render(filename, format='svg'|'png'|...)``.
    ``alt_text`` describes it in words (for screen readers and text views)."""

    alt_text: str = "A graph drawing"

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The rendered drawing as bytes (or text, given ``encoding``)."""
        for name, value in (("renderer", renderer), ("formatter", formatter)):
            if value is not None:
                raise ValueError(f"GraphDrawing.pipe: {name}= is not supported, got {value!r}")
        data = self._picture(format or self.format)
        return data.decode(encoding) if encoding is not None else data

    def _picture(self, format: str) -> bytes:
        """The rendered bytes; an SVG fitted to the page width (:func:`fit_width`)."""
        data = run(self.source, format)
        if format == "svg":
            data = fit_width(data.decode("utf-8"), self.alt_text).encode("utf-8")
        return data

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        *,
        outfile: str | os.PathLike[str] | None = None,
        **unsupported: Any,
    ) -> str:
        """Save the drawing and return the rendered file's path.

        As in graphviz: ``render('graph', format='png')`` writes the DOT
        source to ``graph`` and the picture to ``graph.png`` (``cleanup=True``
        keeps only the picture); ``outfile='graph.png'`` names the picture
        directly and takes the format from its suffix.
        """
        if unsupported:
            raise TypeError(f"GraphDrawing.render: unsupported arguments {sorted(unsupported)}")
        base = Path(directory) if directory is not None else Path()
        if outfile is not None:
            out = base / outfile
            format = format or out.suffix.lstrip(".") or self.format
            source_path = base / (filename if filename is not None else out.with_suffix(".gv"))
        else:
            format = format or self.format
            source_path = base / (filename if filename is not None else self.filename)
            out = source_path.with_name(f"{source_path.name}.{format}")
        picture = self._picture(format)
        if not cleanup:
            write_atomically(source_path, self.source.encode("utf-8"))
        write_atomically(out, picture)
        if view:
            self._view(str(out), format=format, quiet=True)
        return str(out)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.alt_text}>"

    def _repr_svg_(self) -> str:
        """SVG for Jupyter and other rich displays."""
        return self._picture("svg").decode("utf-8")

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """SVG, PNG and text for Jupyter (IPython's display protocol), with the
        alt text in the PNG's metadata (nbconvert writes it as ``alt``)."""
        wanted = set(include) if include is not None else set(MIME_TYPES)
        wanted -= set(exclude or ())
        data: dict[str, str] = {}
        if "image/svg+xml" in wanted:
            data["image/svg+xml"] = self._repr_svg_()
        if "image/png" in wanted:
            data["image/png"] = base64.b64encode(self._picture("png")).decode("ascii")
        if "text/plain" in wanted:
            data["text/plain"] = self.alt_text
        return data, {"image/png": {"alt": self.alt_text}}


MIME_TYPES = ("image/svg+xml", "image/png", "text/plain")
"""What a drawing offers Jupyter."""


def fit_width(svg: str, alt_text: str) -> str:
    """``svg`` made to shrink to its container's width (never to grow), with
    ``alt_text`` as its accessible name and title."""
    alt = html.escape(" ".join(displayed(alt_text)), quote=True)
    opening = (f'<svg role="img" aria-label="{alt}" '
               'style="max-width:100%;height:auto"')
    start = svg.index("<svg")
    svg = svg[:start] + opening + svg[start + len("<svg"):]
    end = svg.index(">", start) + 1
    return f"{svg[:end]}\n<title>{alt}</title>{svg[end:]}"
