"""Every code block of the README and of every page in docs/ runs, and shows what it prints.

A page's ```python blocks run in order in one namespace, in a fresh folder, and are checked:

- `expression  # value`: the comment starts with the value's repr, then ends or goes on after
  one of `:;,` or a space (`# (0.0,): 0^y is 0`). Prose goes on lines of its own, or after a
  statement that is not an expression (`x = f(y)  # prose`).
- A statement that prints, followed at once by `# ` lines: those lines are what it prints
  (`...` stands for any text, as in doctest).
- A block that imports torch is skipped without PyTorch, saying so.

A ```console block is a transcript: each `$ chainrule ...` line runs the command line, and the
lines up to the next `$` are its output (standard output, then standard error). ```sh blocks
are commands to type, not run.
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import importlib.util
import io
import re
import shlex
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograd.commandline.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```",
                   re.MULTILINE | re.DOTALL)
VALUE_ENDS = (":", ";", ",", " ")
HAS_TORCH = importlib.util.find_spec("torch") is not None


@dataclass
class Block:
    """One fenced code block of a page: its kind, its text and the page line it starts on."""

    kind: str
    text: str
    line: int


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks in order, each dedented by its fence's indentation."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        found.append(Block(match["info"], body, text.count("\n", 0, match.start("body")) + 1))
    return found


def comments(source: str) -> dict[int, str]:
    """Each line's comment, without the `#` and the space after it, by line number."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string[1:].removeprefix(" ")
    return found


def output_lines(lines: list[str], after: int) -> list[str] | None:
    """The `# ` lines right after line `after` (1-based), or None when there are none."""
    shown = []
    for line in lines[after:]:
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        shown.append(stripped[1:].removeprefix(" "))
    return shown or None


def run_python(page: Path, block: Block, namespace: dict[str, object]) -> None:
    """Run the block statement by statement, checking each value and output it shows."""
    source = "\n" * (block.line - 1) + block.text  # line numbers are the page's
    name = str(page.relative_to(ROOT))
    notes = comments(source)
    lines = source.splitlines()
    for statement in ast.parse(source, name).body:
        end = statement.end_lineno or statement.lineno
        place = f"{name}:{end}"
        printed = io.StringIO()
        if isinstance(statement, ast.Expr) and end in notes:
            with contextlib.redirect_stdout(printed):
                value = eval(compile(ast.Expression(statement.value), name, "eval"), namespace)
            shown, wanted = repr(value), notes[end]
            if not (wanted == shown or (wanted.startswith(shown)
                                        and wanted[len(shown)] in VALUE_ENDS)):
                raise AssertionError(f"{place}: the value is {shown}, the page says # {wanted}")
        else:
            with contextlib.redirect_stdout(printed):
                exec(compile(ast.Module([statement], []), name, "exec"), namespace)
        expected = output_lines(lines, end)
        calls_print = (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
                       and isinstance(statement.value.func, ast.Name)
                       and statement.value.func.id == "print")
        if expected is not None and (printed.getvalue() or calls_print):
            check_output(printed.getvalue(), expected, place)


def check_output(got: str, expected: list[str], place: str) -> None:
    """got is the expected lines, each `...` standing for any text (blank lines at the end and
    spaces at the ends of lines aside)."""
    want = "\n".join(expected).rstrip("\n") + "\n"
    got = "\n".join(line.rstrip() for line in got.splitlines()).rstrip("\n") + "\n"
    if not doctest.OutputChecker().check_output(want, got, doctest.ELLIPSIS):
        raise AssertionError(f"{place}: the page shows\n{want}but it prints\n{got}")


def commands(block: Block) -> Iterator[tuple[int, str, str]]:
    """Each `$ ` command of a transcript with its line and the output shown under it."""
    lines = block.text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        shown = "".join(line + "\n" for line in lines[start + 1:end])
        yield start + 1, lines[start][2:], shown


def run_console(page: Path, block: Block) -> None:
    """Run each chainrule command of the transcript, checking what it prints."""
    for line, command, shown in commands(block):
        place = f"{page.relative_to(ROOT)}:{block.line + line - 1}"
        words = shlex.split(command)
        assert words[0] == "chainrule", (
            f"{place}: a console block runs only chainrule; use ```sh for "
            f"{command!r}")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                contextlib.suppress(SystemExit):  # --version exits, as argparse does
            main(words[1:])
        if out.getvalue() + err.getvalue() != shown:
            raise AssertionError(f"{place}: `{command}` prints\n"
                                 f"{out.getvalue()}{err.getvalue()}but the page shows\n{shown}")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs_as_shown(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            table: None) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    namespace: dict[str, object] = {"__name__": "__main__"}
    skipped = []
    for block in blocks(page):
        if block.kind == "python":
            if "import torch" in block.text and not HAS_TORCH:
                skipped.append(f"{page.relative_to(ROOT)}:{block.line}")
                continue
            run_python(page, block, namespace)
        elif block.kind == "console":
            run_console(page, block)
    if skipped:
        pytest.skip(f"PyTorch is not installed: the blocks at {', '.join(skipped)} not run")


def test_every_page_has_a_place_in_the_site() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("**/*.md"):
        assert str(page.relative_to(ROOT / "docs")) in nav, f"{page.name} is not in mkdocs.yml"


@pytest.mark.parametrize(("text", "message"), [
    ("1 + 1  # 3\n", "the value is 2, the page says # 3"),
    ("1 + 1  # 22\n", "the value is 2, the page says # 22"),
    ("print(2)\n# 3\n", "the page shows\n3\nbut it prints\n2\n"),
    ("print('')\n# 3\n", "the page shows\n3\nbut it prints"),
])
def test_a_page_that_shows_other_numbers_fails(text: str, message: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        run_python(ROOT / "README.md", Block("python", text, 1), {})


def test_a_page_may_say_more_after_a_value_and_elide_output() -> None:
    text = "x = [1, 2]  # prose\nx  # [1, 2]: the list\nprint('a b c')\n# a ... c\n"
    run_python(ROOT / "README.md", Block("python", text, 1), {})
