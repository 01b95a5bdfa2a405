"""The README's Python examples run as written, and what they print is true.

Each ```python block runs in a fresh namespace inside a temporary folder
(some write files); ops the examples define are removed afterwards so they
cannot leak into other tests' random graphs.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from engine import REGISTRY, ops
from engine.testing import temporary_ops

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = BLOCKS[index]
    printed = io.StringIO()
    with temporary_ops(), contextlib.redirect_stdout(printed):
        exec(compile(source, f"README.md example {index + 1}", "exec"), {})
    # a `print(...)  # 24.7041` comment promises what the line prints
    promised = re.findall(r"^print\(.*\)\s*#\s*(\S+)$", source, re.M)
    lines = printed.getvalue().splitlines()
    for expected in promised:
        assert expected in lines, f"README promised {expected!r}, printed {lines}"


def test_readme_lists_every_builtin_op() -> None:
    """The op list in the README stays in step with the built-in ops."""
    text = README.read_text(encoding="utf-8")
    builtin = [REGISTRY[name] for name in ops.__all__ if name in REGISTRY]
    assert len(builtin) >= 18
    for op in builtin:
        assert f"`{op.name}`" in text or op.symbol in text, f"README misses op {op.name}"
