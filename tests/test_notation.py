"""How numbers and nodes are written."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value
from autograd.views.notation import LatexNotation, Notation, format_number, node_names


@pytest.mark.parametrize(("x", "decimals", "strip", "text"), [
    (0.7413650695523157, 9, True, "0.74136507"),
    (-2.0, 4, False, "-2.0000"),
    (-2.0, 4, True, "-2"),
    (3.0, 0, True, "3"),
    (0.0, 4, True, "0"),
    (1.25e-7, 4, True, "1.25e-07"),
    (1.25e-7, 4, False, "1.250e-07"),
    (-3e20, 2, True, "-3e+20"),
    (math.inf, 4, True, "inf"),
    (-math.inf, 4, False, "-inf"),
    (math.nan, 4, True, "nan"),
])
def test_format_number(x: float, decimals: int, strip: bool, text: str) -> None:
    assert format_number(x, decimals, strip) == text


def names(root: Value, notation: Notation | None = None) -> list[str]:
    order = autograd.topological_order(root)
    return [name.text for name in node_names(order, notation or Notation())]


def test_names_take_parentheses_only_where_precedence_needs_them() -> None:
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    assert names(a * b + c)[-1] == "a × b + c"
    assert names((a + b) * c)[-1] == "(a + b) × c"
    assert names(a - (b - c))[-1] == "a − (b − c)"
    assert names((a - b) - c)[-1] == "a − b − c"
    assert names(a / (b * c))[-1] == "a ÷ (b × c)"
    assert names(-(a + b))[-1] == "−(a + b)"
    assert names((-a) ** 2)[-1] == "(−a)**2"
    assert names(a ** b ** c)[-1] == "a ** b ** c"
    assert names((a ** b) ** c)[-1] == "(a ** b) ** c"
    assert names(abs(a + b))[-1] == "|a + b|"
    assert names((a + b).sigmoid())[-1] == "σ(a + b)"
    assert names(a * -2.0)[-1] == "a × (-2)"


def test_a_function_of_two_is_written_as_a_call() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    assert names(autograd.atan2(a, b + a))[-1] == "atan2(a, b + a)"
    assert names(autograd.maximum(a, b) * 2.0)[-1] == "max(a, b) × 2"
    assert names(autograd.hypot(a, b), LatexNotation())[-1] == (
        r"\operatorname{hypot}(\text{a}, \text{b})")


def test_a_long_formula_is_named_by_its_place() -> None:
    x = Value(1.0, label="a_rather_long_input_name")
    y = (x * x + x).tanh()
    assert names(y)[-1] == f"v{len(autograd.topological_order(y)) - 1}"


def test_latex_escapes_labels() -> None:
    x = Value(1.0, label="a_b^c{d}%\\")
    assert names(x, LatexNotation()) == [
        r"\text{a\_b\textasciicircum{}c\{d\}\%\textbackslash{}}"]
    exp = names(Value(2.0, label="x").exp(), LatexNotation())[-1]
    assert exp == r"\operatorname{exp}(\text{x})"
