"""Dependencies point one way: ops needs only math; graphviz, hypothesis only where used."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograd"
STDLIB_FOR_OPS = {"math", "__future__", "collections", "dataclasses", "functools", "typing"}


def imports_of(path: Path) -> set[str]:
    """Top-level names a module imports ("." for relative imports of its package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names.add("." + module if node.level else module.split(".")[0])
    return names


def test_ops_imports_only_the_standard_library_basics() -> None:
    assert imports_of(PACKAGE / "ops.py") <= STDLIB_FOR_OPS


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_autograd_never_imports_nn(module: str) -> None:
    assert "nn" not in imports_of(PACKAGE / module)


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_graphviz_only_where_drawing_happens(module: str) -> None:
    if "graphviz" in imports_of(PACKAGE / module):
        assert module.startswith("draw")


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_hypothesis_only_in_the_testing_module(module: str) -> None:
    if "hypothesis" in imports_of(PACKAGE / module):
        assert module == "testing.py"


@pytest.mark.parametrize("module", ["value.py", "graph.py", "modes.py", "anomaly.py",
                                    "functional.py", "checking.py", "custom.py"])
def test_the_engine_does_not_import_drawing(module: str) -> None:
    assert ".draw" not in imports_of(PACKAGE / module)


@pytest.mark.parametrize("module", ["chain.py", "notation.py", "explain.py", "formula.py"])
def test_explaining_and_parsing_do_not_import_drawing(module: str) -> None:
    imported = imports_of(PACKAGE / module)
    assert ".draw" not in imported and "graphviz" not in imported


# compile() runs the source it generated itself from a graph: numbers and its own names only.
RUNS_ITS_OWN_SOURCE = {"compiler.py": {"exec"}, "kernels.py": {"exec"}}


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py")))
def test_no_module_evaluates_text(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text())
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    allowed = RUNS_ITS_OWN_SOURCE.get(module, set())
    assert not called & ({"eval", "exec", "compile", "__import__"} - allowed)
