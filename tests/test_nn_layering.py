"""nn builds on autograd's public names only; matplotlib stays out of nn; __all__ is complete."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import autograd
import nn

PACKAGE = Path(__file__).resolve().parent.parent / "nn"
MODULES = sorted(p.name for p in PACKAGE.glob("*.py"))


def imports(path: Path) -> list[ast.Import | ast.ImportFrom]:
    return [node for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize("module", MODULES)
def test_nn_uses_only_autograds_public_names(module: str) -> None:
    for node in imports(PACKAGE / module):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "autograd"):
            assert node.module == "autograd", f"{module} imports from {node.module}"
            assert {alias.name for alias in node.names} <= set(autograd.__all__)
        if isinstance(node, ast.Import):
            assert all(alias.name != "autograd" and not alias.name.startswith("autograd.")
                       for alias in node.names), module


@pytest.mark.parametrize("module", MODULES)
def test_nn_does_not_need_matplotlib(module: str) -> None:
    for node in imports(PACKAGE / module):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
            alias.name for alias in node.names]
        assert not any(name.startswith("matplotlib") for name in names), module


def test_every_public_name_is_exported_and_documented() -> None:
    for name in nn.__all__:
        assert getattr(nn, name).__doc__, name
    for submodule in (nn.init, nn.losses, nn.optim, nn.schedulers, nn.data):
        public = [name for name in vars(submodule) if not name.startswith("_")
                  and callable(getattr(submodule, name))
                  and getattr(getattr(submodule, name), "__module__", "") == submodule.__name__]
        assert public, submodule
        for name in public:
            assert getattr(submodule, name).__doc__, f"{submodule.__name__}.{name}"
