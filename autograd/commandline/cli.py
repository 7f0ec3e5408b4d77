"""The command line: a formula's value and every partial derivative, drawn when asked.

    python -m autograd "(x + y) * z" x=-2 y=5 z=-4 -o graph.svg
    chainrule "(x + y) * z" x=-2 y=5 z=-4 --explain

Bad input gets one line on standard error and exit status 2; nothing is printed or written.
A reader that stops early (`| head`) ends the command quietly, with the status 141 (128 +
SIGPIPE) that a Unix tool stopped by the closed pipe gives.
"""

from __future__ import annotations

import argparse
import codecs
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .._checks import GraphTooLargeError
from .._version import __version__
from ..engine.value import Value
from ..views.draw import FORMATS, MAX_NODES, MAX_TIMEOUT, TIMEOUT, GraphvizNotFoundError, render
from ..views.explain import MAX_NODES as MAX_EXPLAINED
from ..views.explain import explain
from ..views.stepper import stepper
from .formula import MAX_LENGTH, FormulaError, function_signatures, parse, parse_assignment

PROG = "chainrule"
BAD_INPUT, FAILED, BROKEN_PIPE = 2, 1, 141
PAGE_SUFFIXES = (".html", ".htm")
OUTPUT_SUFFIXES = (*("." + f for f in FORMATS), *PAGE_SUFFIXES)


class UsageError(Exception):
    """Bad input: one line for standard error, then exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments: -" in message or "required: EXPR" in message:
            message += " (a formula that starts with '-' goes after '--': chainrule -- '-x' x=1)"
        raise UsageError(message)


def _arguments() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="Print a formula's value and its partial derivatives.",
        epilog="The formula language: numbers, names, + - * / **, parentheses, unary minus and "
               f"the functions {function_signatures()}. A formula may span lines.")
    parser.add_argument("expr", metavar="EXPR", help="the formula, or - to read it from stdin")
    parser.add_argument("values", metavar="NAME=NUMBER", nargs="*",
                        help="a value for each name in the formula")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="draw the graph to FILE (.svg .png .pdf .dot), or write the "
                             "backward stepper page (.html .htm)")
    parser.add_argument("--timeout", metavar="SECONDS", type=_seconds, default=TIMEOUT,
                        help=f"stop Graphviz after SECONDS (default {TIMEOUT:g})")
    parser.add_argument("--max-nodes", metavar="N", type=_positive_int,
                        help=f"refuse a graph of more than N values (default {MAX_NODES:,} to "
                             f"draw or step through, {MAX_EXPLAINED:,} to explain)")
    parser.add_argument("--explain", action="store_true",
                        help="tell the backward pass step by step")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds above 0 and at most {MAX_TIMEOUT:g}, got {text!r}")
    return seconds


def _positive_int(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on argv (default: sys.argv[1:]) and return the exit status."""
    foreign = _foreign_package()
    if foreign is not None:
        print(f"{PROG}: error: {foreign}", file=sys.stderr)
        return FAILED
    try:
        return _print(_run(list(sys.argv[1:] if argv is None else argv)))
    except (UsageError, FormulaError, GraphTooLargeError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return BAD_INPUT
    except (GraphvizNotFoundError, OSError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _foreign_package() -> str | None:
    """What is wrong when the package `autograd` Python imports is not this one, else None.

    pip installs HIPS autograd, of the same import name, over this package's __init__.py.
    """
    package = sys.modules.get(__name__.partition(".")[0])
    if getattr(package, "Value", None) is Value:
        return None
    return (f"the 'autograd' package Python imports ({getattr(package, '__file__', None)}) is "
            "HIPS autograd's, not chainrule's; use a fresh virtual environment, or run "
            "pip uninstall autograd, then pip install --force-reinstall chainrule")


def _run(argv: list[str]) -> str:
    """What to print for argv, once any drawing asked for is written."""
    args = _arguments().parse_args(argv)
    output: Path | None = args.output
    if output is not None:
        _check_output(output)
    text = _read_stdin() if args.expr == "-" else args.expr
    formula = parse(text)
    values: dict[str, float] = {}
    for assignment in args.values:
        name, number = parse_assignment(assignment)
        if name in values:
            raise UsageError(f"{name} is given two values")
        values[name] = number
    root, leaves = formula.evaluate(values)
    root.backward()
    if output is not None:
        _write(root, output, args.timeout, args.max_nodes or MAX_NODES)
    explanation = explain(root, max_nodes=args.max_nodes or MAX_EXPLAINED) if args.explain else None
    return _report(root, leaves, args.json, explanation)


def _print(text: str) -> int:
    """Write text to standard output, a character its encoding lacks as an escape (\\u2202)."""
    encoding = sys.stdout.encoding or "utf-8"
    try:
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would flush into the closed pipe again at exit, and complain: write nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    return 0


def _read_stdin() -> str:
    """At most MAX_LENGTH characters of UTF-8 (after a byte order mark, if any) from standard
    input, without reading on."""
    data = sys.stdin.buffer.read(len(codecs.BOM_UTF8) + 4 * MAX_LENGTH + 1)
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if len(data) - skipped > 4 * MAX_LENGTH:
        raise UsageError(f"the formula on standard input is longer than the limit of "
                         f"{MAX_LENGTH:,} characters")
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"standard input is not UTF-8 text (byte {skipped + e.start + 1})"
                         ) from None


def _check_output(output: Path) -> None:
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError(f"cannot tell what to write from {str(output)[:60]!r}: "
                         f"use a suffix among {' '.join(OUTPUT_SUFFIXES)}")
    folder = output.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {str(output)[:60]!r}: there is no folder "
                         f"{str(folder)[:60]!r}")


def _write(root: Value, output: Path, timeout: float, max_nodes: int) -> None:
    try:
        if output.suffix.lower() in PAGE_SUFFIXES:
            stepper(root, output, timeout=timeout, max_nodes=max_nodes)
        else:
            render(root, output, edge_derivatives=True, timeout=timeout, max_nodes=max_nodes)
    except OSError as e:
        raise OSError(f"cannot write {str(output)[:60]!r}: {e.strerror or e}") from None


def _number(x: float) -> str:
    """The shortest text that reads back as x, without a trailing .0."""
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def _report(root: Value, leaves: dict[str, Value], as_json: bool,
            explanation: str | None) -> str:
    name = root.label
    if as_json:
        result: dict[str, object] = {
            "value": _json_number(root.data),
            "gradients": {k: _json_number(v.grad) for k, v in leaves.items()},
        }
        if explanation is not None:
            result["explanation"] = explanation
        return json.dumps(result, allow_nan=False) + "\n"  # ASCII: JSON in any encoding
    lines = [f"{name} = {_number(root.data)}"]
    if leaves:
        lines.append("    ".join(f"d{name}/d{k} = {_number(v.grad)}" for k, v in leaves.items()))
    if explanation is not None:
        lines += ["", explanation.rstrip("\n")]
    return "\n".join(lines) + "\n"


def _json_number(x: float) -> float | str:
    """x, or "inf", "-inf", "nan" where JSON has no number for it."""
    return x if math.isfinite(x) else _number(x)
