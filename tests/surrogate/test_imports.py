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
    """Kernel modules (_kernels, _trees, _pairs) import only numpy, numba and each other."""
    allowed = {"__future__", "math", "numpy", "numba"}
    for name in ("_kernels.py", "_trees.py", "_pairs.py"):
        tree = ast.parse((PKG / name).read_text())
        project = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                   and n.module and n.module.startswith("surrogate")}
        assert project <= {"surrogate._kernels", "surrogate._trees"}, name
        assert _imports(PKG / name) - {"surrogate"} <= allowed, name


def test_no_print_in_library_code() -> None:
    """Library code logs; only the CLI prints."""
    for path in PKG.rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id == "print"]
        assert not calls, path
