"""Python's parser made to read formulas on several lines, and sums too long for it alone."""

from __future__ import annotations

import ast
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd.commandline import python_parser
from autograd.commandline.python_parser import PART, join_lines, parse_expression

TERMS = ["x", "2*y", "(z + 1)", "exp(x)", "-x", "4.5e-3", "1e+5", "0x1e", "σ", "x ** -y",
         "f(x)(y)", "a.b", "x[0]", "(x\n + y)", "g(x, -1)", "1.e-2j", "~x", "x @ y"]
SIGNS = [" + ", " - ", "+", "-", "\n+ ", " -\n ", " +\\\n  ", " - # note\n"]
# Python's parser refuses a sum or a product nested some thousands deep from 3.11 on (3,000 in
# 3.11 and 3.12, 10,000 in 3.13); 3.10's reads them as deep as a formula may be long.
DEPTH_LIMITED = sys.version_info >= (3, 11)


@st.composite
def sums(draw: st.DrawFn, most: int) -> str:
    """A sum of 2 to most terms, across lines, with comments and backslashes between them."""
    count = draw(st.integers(2, most))
    choose = draw(st.randoms(use_true_random=False)).choice  # cheaper than count draws each
    terms = [choose(TERMS) for _ in range(count)]
    signs = [choose(SIGNS) for _ in range(count)]
    return join_lines(terms[0] + "".join(s + t for s, t in zip(signs, terms[1:], strict=False)))


def flat(tree: ast.AST) -> list[object]:
    """Every node's type, fields and places, in a fixed order (ast.dump, several times faster)."""
    found: list[object] = []
    stack: list[object] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.AST):
            found.append(type(item))
            found += [getattr(item, name, None) for name in item._attributes]
            stack += [getattr(item, name, None) for name in item._fields]
        elif isinstance(item, list):
            found.append(len(item))
            stack += item
        else:
            found.append(item)
    return found


@given(sums(most=2 * PART + 5))
def test_a_sum_read_in_parts_is_the_tree_python_builds(text: str) -> None:
    in_parts = python_parser._parse_sum(text)  # what parse_expression does past Python's limit
    assert in_parts is not None
    assert flat(in_parts) == flat(ast.parse(text, mode="eval"))


def test_a_sum_too_long_for_python_alone() -> None:
    text = "x+" * 25_000 + "y"
    if DEPTH_LIMITED:
        with pytest.raises(RecursionError):
            ast.parse(text, mode="eval")
    tree = parse_expression(text)
    node = tree.body
    depth = 0
    while isinstance(node, ast.BinOp):
        depth, node = depth + 1, node.left
    assert depth == 25_000 and isinstance(node, ast.Name)
    assert isinstance(tree.body, ast.BinOp) and tree.body.end_col_offset == 50_001


@pytest.mark.parametrize("text", [
    "x*" * 20_000 + "x",  # a long product: Python's limit stays
    "(" + "x+" * 20_000 + "x)",  # a sum inside brackets is one term
    "x+" * 20_000 + "x if y else z",  # a sum inside a conditional
    "x+" * 20_000 + "x < y",
])
def test_what_is_not_a_long_sum_stays_as_deep_as_python_reads_it(text: str) -> None:
    if DEPTH_LIMITED:
        with pytest.raises((RecursionError, MemoryError)):
            parse_expression(text)
    else:
        assert flat(parse_expression(text)) == flat(ast.parse(text, mode="eval"))


@pytest.mark.parametrize(("source", "joined"), [
    ("x\n+\ny", "x \\\n+ \\\ny"),
    ("x # first\r\n+ y # last", "x  \\\n+ y # last"),
    ("x \\\n+ y", "x \\\n+ y"),
    ("'#' +\ny", "'#' + \\\ny"),
    ("x # it's x\n+ y", "x  \\\n+ y"),
    ("x + '#' # a '#'\n+ y", "x + '#'  \\\n+ y"),
])
def test_lines_are_joined_where_python_reads_them(source: str, joined: str) -> None:
    assert join_lines(source) == joined
