"""Which Graphviz executable draws our graphs, and running it.

The system ``dot`` is used when it is on PATH; otherwise the ``graphviz-pure``
executable that ``pip install glassgrad`` brings along. A venv or Jupyter
kernel started without activation does not have its scripts folder on PATH,
so that folder (next to ``sys.executable``, and ``sysconfig``'s scripts path)
is searched too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "RenderError",
    "Renderer",
    "RendererNotFoundError",
    "find_renderer",
    "renderer",
    "run",
    "run_many",
]

TIMEOUT_SECONDS = 120.0
"""A layout that takes longer than this is stopped with an error, not left hanging."""

PURE_FORMATS = frozenset(
    "canon dot dot_json gv jpe jpeg jpg json json0 plain plain-ext png svg xdot xdot1.2 "
    "xdot1.4 xdot_json".split()
)
"""The output formats graphviz-pure accepts (it has no pdf)."""


class RendererNotFoundError(RuntimeError):
    """Neither the system Graphviz ``dot`` nor ``graphviz-pure`` could be found."""


class RenderError(RuntimeError):
    """The renderer ran but failed (bad format, invalid DOT, timeout)."""


class Renderer(NamedTuple):
    """A Graphviz executable: ``name`` is 'dot' or 'graphviz-pure'."""

    name: str
    path: str


def _scripts_dirs() -> list[str]:
    """Folders where pip puts console scripts for this interpreter."""
    dirs = [str(Path(sys.executable).parent), sysconfig.get_path("scripts")]
    return list(dict.fromkeys(d for d in dirs if d))


def find_renderer(
    path: str | None = None, extra_dirs: list[str] | None = None
) -> Renderer | None:
    """The renderer to use, or None.

    ``path`` is the PATH string to search (default: the environment's), and
    ``extra_dirs`` the folders searched for ``graphviz-pure`` after PATH
    (default: this interpreter's scripts folders).
    """
    search = os.environ.get("PATH", os.defpath) if path is None else path
    dirs = _scripts_dirs() if extra_dirs is None else extra_dirs
    dot = shutil.which("dot", path=search)
    if dot:
        return Renderer("dot", dot)
    pure = shutil.which("graphviz-pure", path=search) or shutil.which(
        "graphviz-pure", path=os.pathsep.join(dirs)
    )
    if pure:
        return Renderer("graphviz-pure", pure)
    return None


def renderer() -> Renderer:
    """The renderer drawings use here and now (name and path), or a
    :class:`RendererNotFoundError` saying what to install."""
    found = find_renderer()
    if found is None:
        raise RendererNotFoundError(
            "viz: no Graphviz renderer found: neither 'dot' on PATH nor 'graphviz-pure' "
            f"on PATH or in {', '.join(_scripts_dirs())}. Install one: "
            "'pip install graphviz-pure' (comes with 'pip install glassgrad'), or the "
            "system Graphviz package (e.g. 'apt install graphviz', 'brew install graphviz')."
        )
    return found


def run(source: str, format: str = "svg", timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Render DOT ``source`` to ``format`` (e.g. 'svg', 'png') and return the bytes."""
    if not isinstance(format, str) or not format:
        raise ValueError(f"viz.run: format must be a non-empty string, got {format!r}")
    tool = renderer()
    if tool.name == "graphviz-pure" and format not in PURE_FORMATS:
        raise ValueError(
            f"viz.run: graphviz-pure cannot write format {format!r}; use one of "
            f"{', '.join(sorted(PURE_FORMATS))} (or install the system Graphviz)"
        )
    try:
        done = subprocess.run(
            [tool.path, f"-T{format}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"viz.run: {tool.name} did not finish within {timeout:g} s; draw a smaller or "
            "collapsed graph (draw_dot(..., collapse='layer' or max_nodes=...))"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"viz.run: {tool.name} failed to write {format!r}: {message}")
    return done.stdout


def run_many(sources: list[str], format: str = "svg", workers: int = 2) -> list[bytes]:
    """Render many DOT graphs with ``workers`` renderer processes at once;
    return each process's output (its graphs' pictures one after the other),
    in order."""
    if not sources:
        return []
    size = -(-len(sources) // max(1, min(workers, len(sources))))
    chunks = ["\n".join(sources[i:i + size]) for i in range(0, len(sources), size)]
    with ThreadPoolExecutor(len(chunks)) as pool:
        return list(pool.map(lambda chunk: run(chunk, format), chunks))
