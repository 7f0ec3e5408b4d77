"""The examples run and write their pictures where they are told (as `make demo` runs them)."""

from __future__ import annotations

import runpy
import shutil
import sys
from pathlib import Path

import pytest

import autograd

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WRITES = {
    "seed_graph.py": ["seed_graph.svg"],
    "mlp_clusters.py": ["mlp_clusters.svg"],
    "lecture_network.py": ["lecture_backprop.html", "lecture_network.svg"],
    "higher_order.py": ["gradient_graph.svg"],
    "bp_equations.py": ["bp_network.svg", "bp_update.svg"],
}


# The lecture examples are run, and their numbers checked, in test_nn_lectures.py.
LECTURES = ["learning_rates.py", "moons.py", "network_2_2_1.py", "network_2_2_2.py",
            "network_2_3_1.py", "nudge.py", "spiral.py", "xor.py", "zero_init.py"]
SHARED = ["arguments.py", "plotting.py"]  # modules the examples import, not scripts
TORCH = ["to_torch.py"]  # needs PyTorch, and writes nothing: run below with small sizes
PRINTS = ["forward_mode.py"]  # writes nothing: run below with small sizes


@pytest.fixture(autouse=True)
def examples_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples import their shared modules, as `python examples/NAME.py` finds them."""
    monkeypatch.syspath_prepend(str(EXAMPLES))


def test_every_example_is_tested() -> None:
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert scripts == sorted([*WRITES, *LECTURES, *SHARED, *TORCH, *PRINTS])


def test_the_torch_example_trains_both_alike_then_torch_at_scale(
        capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch", reason="PyTorch is not installed: to_torch.py not run")
    example = runpy.run_path(str(EXAMPLES / "to_torch.py"))
    result = example["main"](epochs=3, n=2000, scale_epochs=5)
    assert len(result["chainrule"]) == 3
    assert result["chainrule"] == pytest.approx(result["torch"], rel=1e-12)
    assert 0.0 < result["hours"] < 1.0  # small sizes here; hours at the script's own
    assert 0.0 <= result["accuracy"] <= 1.0
    out = capsys.readouterr().out
    assert out.startswith("epoch   chainrule loss        torch loss            difference\n")
    assert "torch: 5 epochs of one batch of 2,000 points in" in out
    assert "back in chainrule: MLP(nin=2, nouts=[16, 16, 1]" in out


def test_the_forward_mode_example_counts_the_passes_of_each_mode(
        capsys: pytest.CaptureFixture[str]) -> None:
    example = runpy.run_path(str(EXAMPLES / "forward_mode.py"))
    result = example["main"](n=30, repeat=1)
    wide_in, wide_out = result["30 inputs -> 1 output"], result["1 input -> 30 outputs"]
    # (forward passes, backward passes, seconds): n passes against 1 + 1, and 1 against 1 + n
    assert [counts[:2] for counts in wide_in.values()] == [(30, 0), (1, 1)]
    assert [counts[:2] for counts in wide_out.values()] == [(1, 0), (1, 30)]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["forward", "mode", "reverse", "mode"]
    assert lines[1].startswith("30 inputs -> 1 output") and "1 + 1 passes" in lines[1]
    assert lines[2].startswith("1 input -> 30 outputs") and "1 + 30 passes" in lines[2]
    rate = 9.8
    forward = autograd.jacobian(lambda r: example["trajectory"](r, 30), [rate], mode="forward")
    reverse = autograd.jacobian(lambda r: example["trajectory"](r, 30), [rate], mode="reverse")
    assert [row[0] for row in forward] == pytest.approx([row[0] for row in reverse], rel=1e-12)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("script", sorted(WRITES))
def test_example_writes_its_pictures(script: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", [script, str(tmp_path / "out")])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == WRITES[script]
    out = capsys.readouterr().out
    assert "wrote" in out
    if script == "lecture_network.py":
        assert "E = 0.298371109\n" in out
        assert "= 0.74136507 × 0.186815602 × 0.593269992 = 0.082167041\n" in out
    if script == "bp_equations.py":
        assert "check(): BP1–BP4 hold in every layer" in out
        assert "BP1  δ² = ∇ₐC ⊙ σ′(z²)\n       = [0.74136507, -0.217071535] ⊙ " in out
        assert "       the graph's: [0.138498562, -0.038098237]\n" in out
        assert "       = [[0.000438568, 0.000877135], [0.000497713, 0.000995425]]\n" in out
        update = (tmp_path / "out" / "bp_update.svg").read_text()
        assert "0.4 → 0.359" in update and "0.15 → 0.1498" in update
    if script == "higher_order.py":
        assert "d^1 tanh(x) / dx^1 at x = 0.5: 0.786448" in out
        assert "d^3 tanh(x) / dx^3 at x = 0.5: -0.565209" in out
        svg = (tmp_path / "out" / "gradient_graph.svg").read_text()
        assert "tanh′" in svg and "df/dx" in svg


@pytest.mark.parametrize("script", sorted({*WRITES, *LECTURES, *TORCH, *PRINTS}))
def test_example_prints_its_help_and_writes_nothing(script: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {script} [-h]"), out
    assert "OUTPUT_DIR" in out or script in TORCH + PRINTS
    assert list(tmp_path.iterdir()) == []


def test_the_readme_pictures_are_committed() -> None:
    for pictures in WRITES.values():
        for name in pictures:
            if name.endswith(".svg"):
                assert (EXAMPLES / "pictures" / name).exists(), name
