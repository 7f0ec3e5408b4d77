"""The examples run and write what they say."""

from __future__ import annotations

import runpy
import shutil
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_higher_order_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["higher_order.py", str(tmp_path)])
    runpy.run_path(str(EXAMPLES / "higher_order.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "d^1 tanh(x) / dx^1 at x = 0.5: 0.786448" in printed
    assert "d^3 tanh(x) / dx^3 at x = 0.5: -0.565209" in printed
    svg = (tmp_path / "gradient_graph.svg").read_text()
    assert "tanh′" in svg and "df/dx" in svg
