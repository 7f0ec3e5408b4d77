"""Dependencies point one way: ops needs only math; graphviz, hypothesis only where used."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograd"
# Every module by its path in the package: "testing.py", "engine/ops.py".
MODULES = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py"))
STDLIB_FOR_OPS = {"math", "__future__", "collections", "dataclasses", "functools", "typing"}


def imports_of(path: Path) -> set[str]:
    """Top-level names a module imports (".group.module" for the package's own, from its top)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names.add(from_the_top(path, node.level, module) if node.level
                      else module.split(".")[0])
    return names


def from_the_top(path: Path, level: int, module: str) -> str:
    """A relative import's module named from the package's top: ".views.draw", "." alone."""
    folder = path.parent.relative_to(PACKAGE).parts
    return ".".join(["", *folder[:len(folder) - level + 1], *filter(None, [module])]) or "."


def test_ops_imports_only_the_standard_library_basics() -> None:
    assert imports_of(PACKAGE / "engine/ops.py") <= STDLIB_FOR_OPS


@pytest.mark.parametrize("module", MODULES)
def test_autograd_never_imports_nn(module: str) -> None:
    assert "nn" not in imports_of(PACKAGE / module)


@pytest.mark.parametrize("module", MODULES)
def test_graphviz_only_where_drawing_happens(module: str) -> None:
    if "graphviz" in imports_of(PACKAGE / module):
        assert module.startswith("views/draw")


@pytest.mark.parametrize("module", MODULES)
def test_hypothesis_only_in_the_testing_module(module: str) -> None:
    if "hypothesis" in imports_of(PACKAGE / module):
        assert module == "testing.py"


@pytest.mark.parametrize("module", ["engine/value.py", "engine/graph.py", "engine/modes.py",
                                    "engine/anomaly.py", "engine/functional.py",
                                    "engine/checking.py", "engine/custom.py"])
def test_the_engine_does_not_import_drawing(module: str) -> None:
    assert ".views.draw" not in imports_of(PACKAGE / module)


@pytest.mark.parametrize("module", ["views/chain.py", "views/notation.py", "views/explain.py",
                                    "commandline/formula.py"])
def test_explaining_and_parsing_do_not_import_drawing(module: str) -> None:
    imported = imports_of(PACKAGE / module)
    assert ".views.draw" not in imported and "graphviz" not in imported


# compile() runs the source it generated itself from a graph: numbers and its own names only.
RUNS_ITS_OWN_SOURCE = {"codegen/compiler.py": {"exec"}, "codegen/kernels.py": {"exec"}}


@pytest.mark.parametrize("module", MODULES)
def test_no_module_evaluates_text(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text())
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    allowed = RUNS_ITS_OWN_SOURCE.get(module, set())
    assert not called & ({"eval", "exec", "compile", "__import__"} - allowed)


# The groups' imports point one way: the engine needs no other group, views and codegen only the
# engine, the command line the engine and the views.
GROUP_NEEDS = {"engine": set(), "views": {"engine"}, "codegen": {"engine"},
               "commandline": {"engine", "views"}}


@pytest.mark.parametrize("module", [module for module in MODULES if "/" in module])
def test_the_groups_import_one_way(module: str) -> None:
    group = module.split("/")[0]
    imported = {name.split(".")[1] for name in imports_of(PACKAGE / module)
                if name.startswith(".") and name != "."}
    assert imported & set(GROUP_NEEDS) <= GROUP_NEEDS[group] | {group}
