"""Dependency direction: surrogate never imports solver or api; kernels only numpy/numba."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "surrogate"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_surrogate_never_imports_solver_or_api() -> None:
    """No module under surrogate/ imports solver or api (api -> solver -> surrogate)."""
    for path in PKG.rglob("*.py"):
        assert not _imports(path) & {"solver", "api"}, path


def test_kernels_import_only_numpy_and_numba() -> None:
    """_kernels.py stays free of pandas, lightgbm and project objects."""
    assert _imports(PKG / "_kernels.py") <= {"__future__", "math", "numpy", "numba"}


def test_no_print_in_library_code() -> None:
    """Library code logs; only the CLI prints."""
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id == "print"]
        assert not calls, path
