"""``GraphDrawing``: a ``graphviz.Digraph`` that renders with our renderer.

It is a real ``Digraph`` (``.source``, ``.node()``, ``.edge()``, ``.attr()``
all work), but every rendering -- ``render``, ``pipe`` and Jupyter's inline
display -- goes through :func:`viz.backend.run`, so it works with the system
``dot`` or with ``graphviz-pure`` alone, and files are written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import graphviz

from viz.backend import run
from viz.files import write_atomic

__all__ = ["GraphDrawing"]


class GraphDrawing(graphviz.Digraph):
    """A drawing of a graph: shows itself in Jupyter, exposes ``source``,
    and saves with ``render(filename, format='svg'|'png'|...)``."""

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
        data = run(self.source, format or self.format)
        return data.decode(encoding) if encoding is not None else data

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
        picture = run(self.source, format)
        if not cleanup:
            write_atomic(source_path, self.source.encode("utf-8"))
        write_atomic(out, picture)
        if view:
            self._view(str(out), format=format, quiet=True)
        return str(out)

    def _repr_svg_(self) -> str:
        """SVG for Jupyter and other rich displays."""
        return self._repr_image_svg_xml()
