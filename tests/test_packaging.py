"""One version everywhere, and one clear error when another package named autograd is found."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
from autograd.commandline.cli import main

ROOT = Path(__file__).resolve().parent.parent
# HIPS autograd's __init__.py, in miniature: the names it exports, none of chainrule's
HIPS_INIT = "from .differential_operators import grad\n"
HIPS_MODULE = "def grad(fun, argnum=0):\n    return fun\n"


def test_one_version_in_the_package_its_metadata_and_the_command_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert autograd.__version__ == importlib.metadata.version("chainrule")
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"chainrule {autograd.__version__}\n"


def test_the_license_is_mit_and_shipped() -> None:
    metadata = importlib.metadata.metadata("chainrule")
    assert metadata["License-Expression"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def foreign_autograd(folder: Path, keep_chainrules_modules: bool) -> Path:
    """A package 'autograd' that is HIPS autograd's, as pip leaves it when installed over
    chainrule (its __init__.py over ours, our modules still beside it) or in its own place."""
    package = folder / "autograd"
    package.mkdir()
    init = HIPS_INIT
    if keep_chainrules_modules:
        init += f"__path__.append({str(ROOT / 'autograd')!r})\n"
    (package / "__init__.py").write_text(init)
    (package / "differential_operators.py").write_text(HIPS_MODULE)
    return folder


def run_with_foreign_autograd(tmp_path: Path, code: str,
                              keep_chainrules_modules: bool) -> subprocess.CompletedProcess[str]:
    """code run by a fresh Python that finds the foreign autograd first."""
    folder = foreign_autograd(tmp_path, keep_chainrules_modules)
    script = f"import sys; sys.path.insert(0, {str(folder)!r}); {code}"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False)


@pytest.mark.parametrize("keep_chainrules_modules", [False, True])
def test_importing_nn_over_hips_autograd_names_both_and_the_fix(
        tmp_path: Path, keep_chainrules_modules: bool) -> None:
    done = run_with_foreign_autograd(tmp_path, "import nn", keep_chainrules_modules)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: the package named 'autograd' that Python imports ("
                           f"{tmp_path / 'autograd' / '__init__.py'}) is not chainrule's: "
                           "it is most likely HIPS autograd"), done.stderr
    assert "fresh virtual environment" in last
    assert "pip uninstall autograd; pip install --force-reinstall chainrule" in last
    assert "Traceback" in done.stderr and done.stderr.count("File ") <= 3  # no deep traceback


def test_the_command_line_over_hips_autograd_names_both_and_the_fix(tmp_path: Path) -> None:
    done = run_with_foreign_autograd(
        tmp_path, "from autograd.commandline.cli import main; raise SystemExit(main(['x', 'x=1']))",
        keep_chainrules_modules=True)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"chainrule: error: the 'autograd' package Python imports "
        f"({tmp_path / 'autograd' / '__init__.py'}) is HIPS autograd's, not chainrule's; use a "
        "fresh virtual environment, or run pip uninstall autograd, then pip install "
        "--force-reinstall chainrule\n")


def test_nn_imports_when_autograd_is_chainrules(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import nn; print(nn.MLP(2, [1]))"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MLP(")
