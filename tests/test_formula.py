"""The formula language: what it computes, what it refuses, and fuzzing with hypothesis."""

from __future__ import annotations

import math
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.commandline.formula import MAX_LENGTH, FormulaError, parse, parse_assignment


def run(text: str, **values: float) -> tuple[Value, dict[str, Value]]:
    root, leaves = parse(text).evaluate(values)
    root.backward()
    return root, leaves


def test_the_seed_formula() -> None:
    root, leaves = run("(x + y) * z", x=-2, y=5, z=-4)
    assert root.data == -12.0 and root.label == "f"
    assert {k: v.grad for k, v in leaves.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}


@pytest.mark.parametrize(("text", "expected"), [
    ("-x ** 2", -9.0),          # ** binds tighter than unary minus, as in Python
    ("x - y - 1", 0.0),         # left-associative
    ("2 ** x ** 0.5", 2.0 ** (3.0 ** 0.5)),  # right-associative
    ("x / y * 2", 3.0),
    ("sigmoid(0)", 0.5),
    ("leaky_relu(-x, 0.1)", -0.30000000000000004),
    ("step(x - 4, -1, 2)", -1.0),
    ("atan2(y, x)", math.atan2(2.0, 3.0)),
    ("hypot(x, 4)", 5.0),
    ("maximum(x, y) - minimum(x, 2 * y)", 0.0),
    ("clamp(x, 0, 1) + clamp(-x, 0) + clamp(x * y, -1e9, 5)", 6.0),
    ("abs(-x) + sqrt(x * 3)", 6.0),
    ("1e999 * 0 + x", math.nan),
    ("10 ** 400 + x", math.inf),
    ("2 ** 10 ** 10", math.inf),  # never a Python integer power
])
def test_values(text: str, expected: float) -> None:
    values = {name: v for name, v in {"x": 3.0, "y": 2.0}.items() if name in parse(text).names}
    root, _ = run(text, **values)
    assert root.data == expected or (math.isnan(expected) and math.isnan(root.data))


def test_a_function_of_two_inputs_takes_formulas_and_passes_both_gradients() -> None:
    root, leaves = run("atan2(y * 2, x + 1) * hypot(x, y)", x=0.5, y=-1.5)
    x, y = Value(0.5), Value(-1.5)
    expected = autograd.atan2(y * 2, x + 1) * autograd.hypot(x, y)
    expected.backward()
    assert root.data == expected.data
    assert (leaves["x"].grad, leaves["y"].grad) == (x.grad, y.grad)


def test_a_name_used_twice_is_one_node() -> None:
    _, leaves = run("x * x + exp(x)", x=1.0)
    assert leaves["x"].grad == 2.0 + math.e


@pytest.mark.parametrize(("text", "name"), [
    ("x * y", "f"), ("f * x", "F"), ("f + F", "out"), ("f * F * out", "f_"),
    ("f * F * out * f_", "f__"), ("2", "f")])
def test_the_output_is_named_apart_from_the_variables(text: str, name: str) -> None:
    formula = parse(text)
    root, _ = run(text, **{variable: 2.0 for variable in formula.names})
    assert root.label == name


def test_names_in_order_of_appearance() -> None:
    assert parse("b * (a + c) - a").names == ("b", "a", "c")


def test_a_lone_name_keeps_its_name() -> None:
    root, leaves = run("x", x=2.0)
    assert root is leaves["x"] and root.label == "x" and root.grad == 1.0


@pytest.mark.parametrize(("text", "message"), [
    ("(x +", "syntax error at column 1: '(' was never closed"),
    ("x +* 2", "syntax error at column"),
    ("foo(x)", "unknown function 'foo' at column 1 (the functions: abs, acos, asin,"),
    ("x.real", "attribute access (a.b) not allowed at column 1"),
    ("x[0]", "subscripts (a[b]) not allowed at column 1"),
    ("lambda: 1", "lambda not allowed at column 1"),
    ("__import__('os')", "unknown function '__import__' at column 1"),
    ("(lambda: 0).__globals__", "attribute access (a.b) not allowed"),
    ("x // 2", "unsupported operator // at column 1 (use + - * / **)"),
    ("~x", "unsupported operator ~ at column 1"),
    ("x if x else 1", "conditional expressions not allowed"),
    ("x < 1", "comparisons not allowed"),
    ("[x]", "lists not allowed"),
    ("x, y", "tuples (a, b) not allowed"),
    ("'a' + x", "'a' not allowed at column 1 (a formula's numbers are real)"),
    ("2j", "complex number not allowed"),
    ("True", "True not allowed"),
    ("exp", "exp is a function at column 1 (call it: exp(x))"),
    ("exp(x, 2)", "exp() takes one argument, got 2 at column 1 (as exp(x))"),
    ("atan2(y)", "atan2() takes 2 arguments, got 1 at column 1 (as atan2(y, x))"),
    ("clamp(x)", "clamp() takes 2 to 3 arguments, got 1 at column 1 (as clamp(x, min[, max]))"),
    ("atan2 + x", "atan2 is a function at column 1 (call it: atan2(y, x))"),
    ("atan2(*a)", "starred arguments (*a) not allowed at column 7 (as atan2(y, x))"),
    ("clamp(x, y, 1)", "the min of clamp() must be a number at column 10"),
    ("maximum(x, y, 1)", "maximum() takes 2 arguments, got 3"),
    ("leaky_relu(x, y)", "the slope of leaky_relu() must be a number at column 15"),
    ("step(x, low=1)", "keyword argument to step() at column 1"),
    ("x + f(y)(z)", "only a function's name can be called at column 5"),
    ("", "the formula is empty"),
    ("   \n ", "the formula is empty"),
    ("x\0", "NUL character at column 2"),
    ("x + \udcff", "lone surrogate (U+DCFF) at column 5, not a character: is it UTF-8 text?"),
    ("1" * 5000, "a number has more than 4300 digits"),
    ("(" * 250 + "x" + ")" * 250, "too many nested parentheses (at most 200)"),
    ("-" * 50_000 + "x", "nested too deeply"),
    ("x+" * 30_000 + "x.real", "attribute access (a.b) not allowed at column 60001"),
    ("x+\n" * 30_000 + "y.z", "attribute access (a.b) not allowed at line 30001, column 1"),
    ("(" * 100_000 + "x" + ")" * 100_000, "the formula is 200,001 characters long; the limit is"),
    ("x +\n  y)", "syntax error at line 2, column 4"),
    ("(x +\n  y.z)", "attribute access (a.b) not allowed at line 2, column 3"),
])
def test_bad_formulas_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_product_deeper_than_pythons_parser_reads() -> None:
    text = "x*" * 20_000 + "x"
    if sys.version_info >= (3, 11):  # Python's parser refuses it
        with pytest.raises(FormulaError, match="nested too deeply for Python's parser"):
            parse(text)
    else:  # 3.10's parser reads a product as deep as a formula may be long
        root, leaves = run(text, x=1.0)
        assert (root.data, leaves["x"].grad) == (1.0, 20_001.0)


def test_a_flat_sum_of_50000_characters() -> None:
    text = "x+" * 25_000 + "y"
    root, leaves = run(text, x=2.0, y=1.0)
    assert (root.data, leaves["x"].grad, leaves["y"].grad) == (50_001.0, 25_000.0, 1.0)


@pytest.mark.parametrize("text", ["x\n+\ny", "x +\r\n  y\n", "(x\n + y)", "x # first\n+ y # last",
                                  "x  # it's x\n+ y  # and \"y\"", "(x +  # a '(\n y)"])
def test_a_formula_may_span_lines(text: str) -> None:
    root, _ = run(text, x=1.0, y=2.0)
    assert root.data == 3.0


def test_pythons_syntax_warnings_stay_quiet() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FormulaError, match="conditional expressions not allowed"):
            parse("1if x else 2")


def test_columns_count_characters_not_bytes() -> None:
    with pytest.raises(FormulaError, match="at column 6"):
        parse("σσ + π[0]")  # the subscript starts at π: byte 8, character 6


@pytest.mark.parametrize(("values", "message"), [
    ({"x": 1.0}, "no value for y: give it as y=NUMBER"),
    ({"x": 1.0, "y": 2.0, "z": 3.0}, "z is given a value but the formula does not use it"),
])
def test_values_must_match_the_names(values: dict[str, float], message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        parse("x * y").evaluate(values)


@pytest.mark.parametrize(("text", "expected"), [
    ("x=-2", ("x", -2.0)), ("y = 1e3", ("y", 1000.0)), ("z=inf", ("z", math.inf)),
    ("ﬁ=1", ("fi", 1.0)),  # read as Python reads the name in a formula
])
def test_assignments(text: str, expected: tuple[str, float]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("x", "expected NAME=NUMBER, got 'x'"), ("1x=2", "'1x' is not a name"),
    ("if=2", "'if' is not a name"), ("x=abc", "'abc' is not a number (for x)"),
    ("exp=1", "exp is a function"),
])
def test_bad_assignments(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=re.escape(message)):
        parse_assignment(text)


# --- fuzzing ---

def parses_or_refuses(text: str) -> None:
    """Parse text: a Formula that evaluates to a float, or a FormulaError; nothing else."""
    try:
        formula = parse(text)
    except FormulaError as e:
        assert str(e) and "\n" not in str(e)
        return
    root, leaves = formula.evaluate({name: 1.0 for name in formula.names})
    assert isinstance(root.data, float)
    assert set(leaves) == set(formula.names)


@given(st.text(st.characters(exclude_categories=()), max_size=200))  # surrogates included
def test_fuzz_random_text(text: str) -> None:
    parses_or_refuses(text)


TOKENS = ["x", "y", "1", "2.5", "1e999", "0", " ", "\n", "\t", "(", ")", "[", "]", "{", "}",
          "+", "-", "*", "**", "/", "//", "%", "@", "~", ".", ",", ":", ";", "=", "==", "<",
          "'", '"', "\\", "#", "j", "_", "__import__", "('os')", ".system", "lambda", "if",
          "else", "for", "in", "not", "and", "yield", "await", "exp", "log", "sigmoid",
          "leaky_relu", "step", "abs", "print", "open", "eval", "exec", "__class__", "f'",
          "\0", "\x7f", "σ", "🙂", "\u2028", "\udcff", "\ud800", "9" * 50, "0x1F", "0b1", "1_000",
          "...", "None"]


@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_fuzz_adversarial_token_soup(text: str) -> None:
    parses_or_refuses(text)


@given(st.sampled_from(["(", "-", "exp(", "x**", "+", "[", "not ", "-(", "((x+"]),
       st.integers(1, 20_000))
def test_fuzz_deep_nesting(prefix: str, depth: int) -> None:
    parses_or_refuses(prefix * depth + "x" + ")" * (depth * prefix.count("(")))


def test_the_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(FormulaError, match="the limit is 100,000"):
        parse("x+" * (5 * MAX_LENGTH))


@dataclass(frozen=True)
class Expr:
    """A random formula: its text, and the same computation written directly with Values."""

    text: str
    compute: Callable[[dict[str, Value]], Value | float]


def _value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


NUMBERS = [0.0, 0.5, 2.0, 3.7, 1e-300, 1e300, 7.0]
BINARY: dict[str, Callable[[Value, Value | float], Value]] = {
    "+": Value.__add__, "-": Value.__sub__, "*": Value.__mul__, "/": Value.__truediv__,
    "**": Value.__pow__}
UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "cos", "abs", "sign"]


def _leaf() -> st.SearchStrategy[Expr]:
    names = st.sampled_from(["x", "y", "z"]).map(
        lambda n: Expr(n, lambda v, n=n: v[n]))  # type: ignore[misc]
    numbers = st.sampled_from(NUMBERS).map(
        lambda c: Expr(repr(c), lambda v, c=c: c))  # type: ignore[misc]
    return names | numbers


def _extend(inner: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    def binary(op: str, a: Expr, b: Expr) -> Expr:
        return Expr(f"({a.text}) {op} ({b.text})",
                    lambda v: BINARY[op](_value(a.compute(v)), b.compute(v)))

    def unary(name: str, a: Expr) -> Expr:
        method = "__abs__" if name == "abs" else name
        return Expr(f"{name}({a.text})", lambda v: getattr(_value(a.compute(v)), method)())

    def negate(a: Expr) -> Expr:
        return Expr(f"-({a.text})", lambda v: -_value(a.compute(v)))

    return (st.builds(binary, st.sampled_from(sorted(BINARY)), inner, inner)
            | st.builds(unary, st.sampled_from(UNARY), inner)
            | st.builds(negate, inner))


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@given(st.recursive(_leaf(), _extend, max_leaves=12),
       st.tuples(*[st.floats(-3.0, 3.0)] * 3))
def test_fuzz_formulas_compute_what_they_say(expr: Expr, xyz: tuple[float, float, float]) -> None:
    formula = parse(expr.text)
    values = {n: x for n, x in zip("xyz", xyz, strict=True) if n in formula.names}
    root, leaves = formula.evaluate(values)
    root.backward()
    direct = {n: Value(x, label=n) for n, x in values.items()}
    expected = _value(expr.compute(direct))
    expected.backward()
    assert same(root.data, expected.data)
    for name in values:
        assert same(leaves[name].grad, direct[name].grad), name
