"""Dependencies point one way: api -> solver -> surrogate; kernels import only numpy/numba."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {"surrogate": {"solver", "api"}, "solver": {"api"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package):
    """No module of a lower package imports a higher one."""
    for path in (REPO / package).rglob("*.py"):
        bad = _imports(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_kernels_import_only_numpy_and_numba():
    """Jitted kernel modules (_*.py) stay free of Python-object dependencies."""
    for path in list((REPO / "solver").rglob("_*.py")) + list((REPO / "surrogate").rglob("_*.py")):
        if path.name == "__init__.py":
            continue
        extra = _imports(path) - {"numpy", "numba", "math", "collections", "typing", "__future__"}
        extra = {m for m in extra if not m.startswith(("solver", "surrogate"))}
        assert not extra, f"{path.relative_to(REPO)} imports {extra}"
