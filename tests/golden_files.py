"""Golden DOT files: a drawing's text compared with the file that holds what it must be."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHAINRULE_UPDATE_GOLDEN") == "1"  # rewrite the files instead


def assert_golden(case: str, source: str) -> None:
    """source is golden/<case>.dot, or with CHAINRULE_UPDATE_GOLDEN=1 becomes it (skipping)."""
    path = GOLDEN / f"{case}.dot"
    if UPDATE:
        path.write_text(source, encoding="utf-8")
        pytest.skip(f"rewrote {path.name} (CHAINRULE_UPDATE_GOLDEN=1)")
    assert source == path.read_text(encoding="utf-8")
