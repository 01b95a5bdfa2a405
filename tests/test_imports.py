"""The engine imports cleanly in any order, and the packages keep their layers.

Each ``engine.*`` submodule is imported first, alone, in a fresh interpreter
(a cycle resolved by import order would fail there). The import rules are
read from the source with ``ast``: ``engine`` imports nothing of ours, ``nn``
and ``viz`` import ``engine`` only, and ``glassgrad`` (the CLI) sits above them.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parent.parent
OURS = {"engine", "nn", "viz", "glassgrad", "tests", "notebooks", "benchmarks"}
ALLOWED = {
    "engine": {"engine"},
    "nn": {"nn", "engine"},
    "viz": {"viz", "engine"},
    "glassgrad": {"glassgrad", "engine", "nn", "viz"},
}
ENGINE_MODULES = sorted(
    info.name for info in pkgutil.walk_packages(engine.__path__, "engine.")
)


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_each_engine_module_imports_first_in_a_fresh_interpreter(name: str) -> None:
    code = f"import {name}; import engine; assert engine.Value(2.0) * 3 + 1 > 6"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr


def _imported_packages(path: Path) -> set[str]:
    """The top-level packages a source file imports (absolute imports)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_the_layers_below(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources found for {package}"
    offending = {
        str(path.relative_to(ROOT)): sorted((_imported_packages(path) & OURS) - ALLOWED[package])
        for path in files
    }
    assert {path: bad for path, bad in offending.items() if bad} == {}
