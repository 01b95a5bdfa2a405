"""Text inside drawings: escaping for Graphviz HTML-like labels, and numbers
(shown with :func:`number`, read from a Value or a plain number with :func:`data_of`).

Any label text renders verbatim and cannot change the DOT around it: HTML
special characters become entities, backslashes are doubled (Graphviz
expands ``\\N``, ``\\G``... even in HTML-like labels), and newlines become
line breaks. Characters XML cannot carry at all are shown visibly: control
characters as Python writes them (a tab as ``\\t``, ``\\x01``; the bundled
renderer's fonts have no "control pictures"), and surrogates and
non-characters as ``�``.
"""

from __future__ import annotations

import html
import math
from typing import Any

from engine import Value
from engine.checks import to_float

__all__ = ["data_of", "displayed", "html_text", "number"]

_REPLACEMENT = "\ufffd"


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return repr(char)[1:-1]  # \t, \x01, \x7f
    if 0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return _REPLACEMENT
    return char


def displayed(text: str) -> list[str]:
    """The lines a label shows for ``text``: split at newlines (``\\r\\n``,
    ``\\n`` or ``\\r``), with characters XML cannot hold replaced visibly."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return ["".join(_visible(c) for c in line) for line in lines]


def html_text(text: object) -> str:
    """``text`` (any object, via ``str``) as the body of an HTML-like label
    cell: escaped, with ``<br/>`` between lines."""
    lines = displayed(str(text))
    escaped = (html.escape(line, quote=True).replace("\\", "\\\\") for line in lines)
    return "<br/>".join(escaped)


def number(x: float, digits: int = 4) -> str:
    """``x`` with ``digits`` significant digits, compactly (``138.8``, ``1e-05``)."""
    if not math.isfinite(x):
        return str(x)
    text = f"{x:.{digits}g}"
    return "0" if text == "-0" else text


def data_of(x: Any, where: str) -> float:
    """A Value's ``data``, or a plain real number as a finite float; anything
    else is refused by :func:`engine.checks.to_float`, naming ``where``."""
    return x.data if isinstance(x, Value) else to_float(x, where)
