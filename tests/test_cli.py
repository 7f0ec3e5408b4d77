"""The command line: results, drawings, and one clear line with exit status 2 for bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import Value
from autograd.commandline import formula
from autograd.commandline.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ["(x + y) * z", "x=-2", "y=5", "z=-4"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_the_seed_formula(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(SEED, capsys) == (0, "f = -12\ndf/dx = -4    df/dy = -4    df/dz = 3\n", "")


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run([*SEED, "--json"], capsys)
    assert status == 0
    assert json.loads(out) == {"value": -12.0, "gradients": {"x": -4.0, "y": -4.0, "z": 3.0}}


def test_json_writes_non_finite_numbers_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["log(x) * y", "x=0", "y=0", "--json"], capsys)
    assert status == 0
    assert json.loads(out) == {"value": "nan", "gradients": {"x": "nan", "y": "-inf"}}


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run([*SEED, "--explain"], capsys)
    assert status == 0
    assert out.splitlines()[2:] == [
        "",
        "∂f/∂f = 1",
        "∂f/∂(x + y) = ∂f/∂f × ∂f/∂(x + y) = 1 × (-4) = -4",
        "∂f/∂x = ∂f/∂(x + y) × ∂(x + y)/∂x = (-4) × 1 = -4",
        "∂f/∂y = ∂f/∂(x + y) × ∂(x + y)/∂y = (-4) × 1 = -4",
        "∂f/∂z = ∂f/∂f × ∂f/∂z = 1 × 3 = 3",
    ]


def test_a_variable_named_f_leaves_the_output_another_name(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["f * x", "f=2", "x=3", "--explain"], capsys)
    assert status == 0
    assert out.splitlines() == [
        "F = 6",
        "dF/df = 3    dF/dx = 2",
        "",
        "∂F/∂F = 1",
        "∂F/∂f = ∂F/∂F × ∂F/∂f = 1 × 3 = 3",
        "∂F/∂x = ∂F/∂F × ∂F/∂x = 1 × 2 = 2",
    ]


def test_json_with_explain(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run([*SEED, "--json", "--explain"], capsys)
    assert status == 0
    assert json.loads(out)["explanation"].startswith("∂f/∂f = 1\n∂f/∂(x + y) =")


def test_writes_the_dot_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run([*SEED, "-o", str(tmp_path / "g.dot")], capsys)
    assert status == 0 and out.startswith("f = -12\n")
    assert "{ x | data -2.0000 | grad -4.0000 }" in (tmp_path / "g.dot").read_text()


@needs_dot
@pytest.mark.parametrize("name", ["g.svg", "g.html", "g.HTM"])
def test_writes_a_drawing_or_a_stepper(tmp_path: Path, name: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*SEED, "-o", str(tmp_path / name)], capsys)[0] == 0
    assert "<svg" in (tmp_path / name).read_text()


BAD_INPUT = [
    (["(x +", "x=1"], "syntax error at column 1: '(' was never closed"),
    (["foo(x)", "x=1"], "unknown function 'foo' at column 1"),
    (["x + q", "x=1"], "no value for q: give it as q=NUMBER"),
    (["x"], "no value for x"),
    (["x.real", "x=1"], "attribute access (a.b) not allowed at column 1"),
    (["x[0]", "x=1"], "subscripts (a[b]) not allowed at column 1"),
    (["lambda: 1"], "lambda not allowed at column 1"),
    (["__import__('os')"], "unknown function '__import__' at column 1"),
    (["(" * 100_000 + "x" + ")" * 100_000, "x=1"], "the limit is 100,000"),
    (["(" * 1000 + "x" + ")" * 1000, "x=1"], "too many nested parentheses"),
    (["x", "x=abc"], "'abc' is not a number (for x)"),
    ([os.fsdecode(b"x * \xff")], "lone surrogate (U+DCFF) at column 5"),
    (["x", "x"], "expected NAME=NUMBER, got 'x'"),
    (["x", "x=1", "x=2"], "x is given two values"),
    (["x", "x=1", "y=2"], "y is given a value but the formula does not use it"),
    (["-x", "x=1"], "goes after '--'"),
    ([], "the following arguments are required: EXPR"),
    (["x", "x=1", "--colour"], "unrecognized arguments: --colour"),
    (["x", "x=1", "-o", "OUT/g.jpeg"], "use a suffix among .svg .png .pdf .dot .html .htm"),
    (["x", "x=1", "-o", "OUT/missing/g.svg"], "there is no folder"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_gets_one_line_and_status_2(args: list[str], message: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "g.svg")]
    status, out, err = run(args, capsys)
    assert status == 2
    assert out == ""
    assert err.startswith("chainrule: error: ") and err.endswith("\n") and err.count("\n") == 1
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_a_formula_starting_with_minus_goes_after_the_double_dash(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--", "-x * 2", "x=3"], capsys) == (0, "f = -6\ndf/dx = -2\n", "")


def test_a_graph_too_large_to_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    formula = "+".join(["x*x"] * 600)
    status, out, err = run([formula, "x=1", "-o", str(tmp_path / "g.svg")], capsys)
    assert (status, out) == (2, "")
    assert "more than max_nodes=1000" in err
    assert list(tmp_path.iterdir()) == []


@needs_dot
def test_a_layout_that_takes_too_long_is_stopped(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    formula = "tanh(" * 60 + "x" + ")+x" * 60  # x feeds every level: dot would take minutes
    args = [formula, "x=0.3", "-o", str(tmp_path / "g.svg"), "--timeout", "0.5"]
    status, out, err = run(args, capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "within timeout=0.5 seconds and was stopped" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "1e9", "soon"])
def test_the_timeout_is_checked(seconds: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run([*SEED, "--timeout", seconds], capsys)
    assert (status, out) == (2, "")
    assert f"--timeout: expected a number of seconds above 0 and at most 86400, got " \
           f"'{seconds}'" in err


def test_missing_dot_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    status, out, err = run([*SEED, "-o", str(tmp_path / "g.svg")], capsys)
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "install the 'graphviz' package" in err
    assert list(tmp_path.iterdir()) == []


def python_m_autograd(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "autograd", *args], input=stdin, env=env,
                          capture_output=True, timeout=60, check=False)


def test_python_m_autograd() -> None:
    done = python_m_autograd(SEED)
    assert (done.returncode, done.stdout, done.stderr) == (
        0, b"f = -12\ndf/dx = -4    df/dy = -4    df/dz = 3\n", b"")


def test_the_formula_from_standard_input() -> None:
    done = python_m_autograd(["-", "x=2"], stdin=b"x ** 3\n")
    assert (done.returncode, done.stdout) == (0, b"f = 8\ndf/dx = 12\n")


def test_a_formula_on_several_lines_from_standard_input() -> None:
    done = python_m_autograd(["-", "x=2", "y=3"], stdin=b"x\n+\ny\n")
    assert (done.returncode, done.stdout) == (0, b"f = 5\ndf/dx = 1    df/dy = 1\n")


def test_a_byte_order_mark_on_standard_input_is_skipped() -> None:
    done = python_m_autograd(["-", "x=2"], stdin=b"\xef\xbb\xbfx * 3")
    assert (done.returncode, done.stdout) == (0, b"f = 6\ndf/dx = 3\n")
    done = python_m_autograd(["-"], stdin=b"\xef\xbb\xbfx + \xff")
    assert done.stderr == b"chainrule: error: standard input is not UTF-8 text (byte 8)\n"


def test_the_help_lists_the_formula_languages_functions(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(formula.FUNCTIONS, "clip", formula.FormulaFunction(Value.step, ("a", "b")))
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # as argparse wraps it for this terminal
    assert ("the functions abs acos asin atan atan2(y, x) clamp(x, min[, max]) clip(x[, a[, b]]) "
            "cos cosh exp expm1 hypot(a, b) leaky_relu(x[, slope]) log log10 log1p log2 "
            "maximum(a, b) minimum(a, b) relu sigmoid sign sin sinh softplus sqrt "
            "step(x[, low[, high]]) tan tanh.") in out


def test_a_10_megabyte_formula_is_refused_at_once() -> None:
    done = python_m_autograd(["-", "x=1"], stdin=b"x+" * 5_000_000 + b"x")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr == (b"chainrule: error: the formula on standard input is longer than "
                           b"the limit of 100,000 characters\n")


def test_a_large_formula_within_the_limit_is_answered() -> None:
    formula = "+".join(f"x{i} * x{i}" for i in range(2000))
    values = [f"x{i}={i}" for i in range(2000)]
    done = python_m_autograd(["-", *values], stdin=formula.encode())
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert lines[0] == f"f = {sum(i * i for i in range(2000))}"
    assert lines[1].split("    ")[-1] == "df/dx1999 = 3998"


def test_standard_input_must_be_utf8() -> None:
    done = python_m_autograd(["-"], stdin=b"x + \xff")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr == b"chainrule: error: standard input is not UTF-8 text (byte 5)\n"


def test_an_argument_that_is_not_utf8_is_one_line() -> None:
    done = python_m_autograd([os.fsdecode(b"\xff")])
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr == (b"chainrule: error: the formula holds a lone surrogate (U+DCFF) at "
                           b"column 1, not a character: is it UTF-8 text?\n")


def test_what_the_output_encoding_lacks_is_written_as_escapes() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"}
    done = subprocess.run([sys.executable, "-m", "autograd", *SEED, "--explain"], env=env,
                          capture_output=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode("ascii").splitlines()[2:4] == [
        "", "\\u2202f/\\u2202f = 1"]


@pytest.mark.parametrize("encoding", ["ascii", "utf-8"])
def test_json_output_is_json_in_any_encoding(encoding: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": encoding}
    formula = "σ * \U00020000"  # a name outside the Basic Multilingual Plane too
    done = subprocess.run([sys.executable, "-m", "autograd", formula, "σ=2", "\U00020000=3",
                           "--json", "--explain"],
                          env=env, capture_output=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, b"")
    result = json.loads(done.stdout.decode(encoding))
    assert result["gradients"] == {"σ": 3.0, "\U00020000": 2.0}
    assert result["explanation"].startswith("∂f/∂f = 1\n")


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-m", "autograd", *SEED, "--explain"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # as `| head -c1` does once it has read enough
        err = process.stderr.read()
    assert (process.returncode, err) == (141, b"")  # 128 + SIGPIPE, as the shell reports


def test_the_console_script_is_declared() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[project.scripts]\nchainrule = "autograd.commandline.cli:main"\n' in pyproject


def test_the_installed_console_script() -> None:
    script = Path(sys.executable).parent / "chainrule"
    if not script.exists():
        pytest.skip("the chainrule console script is not installed here (pip install -e .)")
    done = subprocess.run([str(script), *SEED], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout == b"f = -12\ndf/dx = -4    df/dy = -4    df/dz = 3\n"


def test_no_python_warning_joins_the_error_line() -> None:
    done = python_m_autograd(["1if x else 2", "x=1"])
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.count(b"\n") == 1
    assert done.stderr.startswith(b"chainrule: error: conditional expressions not allowed")


def test_max_nodes_sets_how_large_a_graph_may_be(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    formula = "+".join(["x*x"] * 600)
    status, _, err = run([formula, "x=1", "-o", str(tmp_path / "g.dot")], capsys)
    assert status == 2 and "or pass a larger max_nodes (--max-nodes on the command line)" in err
    status, out, _ = run([formula, "x=1", "-o", str(tmp_path / "g.dot"), "--max-nodes", "2000"],
                         capsys)
    assert (status, out) == (0, "f = 600\ndf/dx = 1200\n")
    assert (tmp_path / "g.dot").read_text().startswith("digraph {")
    status, _, err = run(["x * 2 + x", "x=1", "--explain", "--max-nodes", "3"], capsys)
    assert status == 2 and "more than max_nodes=3 values: its explanation" in err


@pytest.mark.parametrize("count", ["0", "-3", "2.5", "many"])
def test_max_nodes_is_a_whole_number_above_0(count: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["x", "x=1", "--explain", "--max-nodes", count], capsys)
    assert (status, out) == (2, "")
    assert err == (f"chainrule: error: argument --max-nodes: expected a whole number above 0, "
                   f"got {count!r}\n")


def test_explain_tells_no_step_for_a_constant(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["x * 2", "x=3", "--explain"], capsys)
    assert (status, out) == (0, "f = 6\ndf/dx = 2\n\n∂f/∂f = 1\n"
                                "∂f/∂x = ∂f/∂f × ∂f/∂x = 1 × 2 = 2\n")
