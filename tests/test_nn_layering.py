"""nn builds on autograd's public names only; matplotlib and torch stay out; __all__ is complete."""

from __future__ import annotations

import ast
import subprocess
import sys
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
    for submodule in (nn.init, nn.losses, nn.optim, nn.schedulers, nn.data, nn.pytorch):
        public = [name for name in vars(submodule) if not name.startswith("_")
                  and callable(getattr(submodule, name))
                  and getattr(getattr(submodule, name), "__module__", "") == submodule.__name__]
        assert public, submodule
        for name in public:
            assert getattr(submodule, name).__doc__, f"{submodule.__name__}.{name}"


@pytest.mark.parametrize("module", MODULES)
def test_only_the_bridge_imports_torch_and_only_when_called(module: str) -> None:
    for node in imports(PACKAGE / module):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
            alias.name for alias in node.names]
        if any(name == "torch" or name.startswith("torch.") for name in names):
            assert module == "pytorch.py", module
            # inside a function, or under `if TYPE_CHECKING:`: never when nn is imported
            assert node.col_offset > 0, f"{module} imports torch at the top"


NO_TORCH = """
import sys
sys.modules["torch"] = None  # as if PyTorch were not installed
import nn
try:
    nn.to_torch(nn.MLP(2, [1], seed=0))
except ModuleNotFoundError as error:
    print(error)
"""


def test_nn_works_without_torch_and_to_torch_says_what_to_install() -> None:
    result = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout == ("nn.to_torch and nn.from_torch need PyTorch: pip install torch\n")
