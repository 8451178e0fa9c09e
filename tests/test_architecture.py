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


# -- import cycles and module sizes -------------------------------------------------------
PACKAGES = ("api", "solver", "surrogate")
MAX_MODULE_LINES = 500
# Cycles through deferred (function-level) imports that are known and kept on purpose: none.
# (The last one, catalog <-> ortools/portfolio, went when those two engines were handed
# the catalog's lookup instead of importing it: solver.engines.standalone.) A cycle is
# accepted only while it stays inside one of these; any other cycle fails.
KNOWN_DEFERRED_CYCLES: list[frozenset[str]] = []


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the three packages."""
    out = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _targets(node: ast.Import | ast.ImportFrom, name: str, is_package: bool,
             modules: dict[str, Path]) -> set[str]:
    """The project modules an import statement loads. ``from pkg import sub`` loads the
    submodule; the parent packages every import loads are not counted (they load first,
    whoever imports), so only imports that really wait on a module make an edge."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in modules}
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    subs = {f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in modules}
    if len(subs) < len(node.names) and module in modules:
        subs.add(module)
    return subs


def import_graph(deferred: bool) -> dict[str, set[str]]:
    """Module -> the project modules it imports: at module level (imports under
    ``if TYPE_CHECKING`` excluded), and with ``deferred`` also inside functions."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        is_package = path.name == "__init__.py"
        found: set[str] = set()

        def visit(body: list[ast.stmt]) -> None:
            for node in body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found.update(_targets(node, name, is_package, modules))  # noqa: B023
                elif isinstance(node, ast.If) and not _is_type_checking(node.test):
                    visit(node.body)
                    visit(node.orelse)
                elif isinstance(node, ast.Try):
                    visit(node.body)
                    visit(node.orelse)
                    visit(node.finalbody)
                    for handler in node.handlers:
                        visit(handler.body)

        visit(tree.body)
        if deferred:  # every runtime import, at any depth; type-only imports never run
            type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                         and _is_type_checking(block.test) for n in ast.walk(block)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in type_only:
                    found.update(_targets(node, name, is_package, modules))
        graph[name] = found - {name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def largest_modules(n: int = 10) -> list[tuple[int, str]]:
    """The ``n`` longest modules as ``(lines, name)``."""
    sizes = [(len(p.read_text().splitlines()), name) for name, p in _modules().items()]
    return sorted(sizes, reverse=True)[:n]


def test_no_import_cycles_at_module_level() -> None:
    """No module imports, at load time, a module that (through others) imports it back."""
    cycles = import_cycles(import_graph(deferred=False))
    assert not cycles, f"import cycles: {cycles}"


def test_no_new_import_cycles_through_deferred_imports() -> None:
    """Imports inside functions hide a cycle from the loader, not from the reader: none
    beyond the known ones (which may only shrink)."""
    cycles = import_cycles(import_graph(deferred=True))
    new = [c for c in cycles if not any(set(c) <= known for known in KNOWN_DEFERRED_CYCLES)]
    assert not new, f"import cycles through deferred imports: {new}"


def test_modules_stay_small() -> None:
    """No module grows past MAX_MODULE_LINES (split it by job, as api/store was)."""
    too_long = [(lines, name) for lines, name in largest_modules(50) if lines > MAX_MODULE_LINES]
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


if __name__ == "__main__":  # the figures for a change's notes
    for label, deferred in (("module level", False), ("with deferred imports", True)):
        found = import_cycles(import_graph(deferred))
        print(f"import cycles ({label}): {len(found)}")
        for cycle in found:
            print("  ", " -> ".join(cycle))
    print("largest modules:", ", ".join(f"{name} {lines}" for lines, name in largest_modules()))
