"""The engine nn builds on: chainrule's autograd, not HIPS autograd of the same import name."""

from __future__ import annotations

import importlib.util

FIX = ("install chainrule in a fresh virtual environment (python -m venv .venv), or uninstall "
       "HIPS autograd and reinstall chainrule (pip uninstall autograd; "
       "pip install --force-reinstall chainrule)")


def foreign_autograd(where: str) -> ImportError:
    """The one error for an `autograd` package that is not chainrule's, found at where."""
    return ImportError(
        f"the package named 'autograd' that Python imports ({where}) is not chainrule's: it is "
        f"most likely HIPS autograd (pip's 'autograd'), which has the same import name; {FIX}")


def require_chainrule_autograd() -> None:
    """Raise foreign_autograd's ImportError unless `autograd` is chainrule's engine."""
    try:
        from autograd import Value  # noqa: F401
    except ModuleNotFoundError as error:
        if error.name != "autograd":
            raise
        raise ImportError(f"chainrule's package 'autograd' is missing: {FIX}") from None
    except ImportError:
        spec = importlib.util.find_spec("autograd")
        raise foreign_autograd(str(spec.origin if spec else "unknown place")) from None
