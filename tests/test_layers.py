"""The package's shape: one-way imports, one tracking-client constructor, no private reach-ins."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp

from .conftest import REPO

SRC = REPO / "src" / "csc_mlflow"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: every group of modules that import each other in a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _import_graph() -> dict[str, set[str]]:
    """Every import between csc_mlflow's modules, function-level and TYPE_CHECKING included."""
    built = grimp.build_graph("csc_mlflow", cache_dir=None)
    return {m: set(built.find_modules_directly_imported_by(m)) for m in built.modules}


def test_the_import_graph_has_no_cycle() -> None:
    graph = _import_graph()
    assert len(graph) > 50  # the whole package was read
    assert _strongly_connected(graph) == []


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = _import_graph()
    graph["csc_mlflow._names"] = graph["csc_mlflow._names"] | {"csc_mlflow.gate._check"}
    cycles = _strongly_connected(graph)
    assert any("csc_mlflow._names" in c and "csc_mlflow.gate._check" in c for c in cycles)


def test_no_module_imports_the_package_root() -> None:
    graph = _import_graph()
    assert [m for m, targets in graph.items() if "csc_mlflow" in targets] == []


def test_import_linter_contracts_are_kept() -> None:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert "2 kept, 0 broken" in out.stdout


def test_only_the_run_writer_constructs_a_tracking_client() -> None:
    constructing = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\bMlflowClient\(", path.read_text(encoding="utf-8"))
    )
    assert constructing == ["_runs.py"]


def _private_imports(path: Path) -> list[str]:
    """``from x import _name`` and ``module._name`` uses of another module's private names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("csc_mlflow"):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                is_module = (SRC.parent / (target.replace(".", "/") + ".py")).exists() or (
                    SRC.parent / target.replace(".", "/")
                ).is_dir()
                if is_module:
                    modules.add(alias.asname or alias.name)
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} imports {target}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("csc_mlflow"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_private_name_is_imported_across_modules() -> None:
    found = [line for path in sorted(SRC.rglob("*.py")) for line in _private_imports(path)]
    assert found == []


def test_the_private_import_check_would_catch_one(tmp_path: Path) -> None:
    planted = SRC / "_names.py"
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from csc_mlflow._runs import _records\nfrom csc_mlflow import _names as names\n"
        "names._private\n"
    )
    assert planted.exists()
    assert len(_private_imports(sample)) == 2
