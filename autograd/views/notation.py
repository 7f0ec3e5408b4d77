"""How numbers and nodes are written: fixed decimals, and names from labels and op symbols."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ..engine.ops import Op
from ..engine.value import Value

NAME_LIMIT = 32  # an unlabelled node whose formula is longer than this is called v<index>


def format_number(x: float, decimals: int, strip: bool = True) -> str:
    """x with `decimals` decimals (zeros stripped if strip); e-notation where that would hide x."""
    if not math.isfinite(x):
        return "nan" if x != x else "inf" if x > 0 else "-inf"
    text = f"{x:.{decimals}f}"
    if x != 0.0 and (abs(x) >= 1e16 or float(text) == 0.0):
        mantissa, exponent = f"{x:.{max(decimals, 1) - 1}e}".split("e")
        return _strip(mantissa) + "e" + exponent if strip else mantissa + "e" + exponent
    return _strip(text) if strip else text


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


ATOM = 9  # the precedence of a label, a number or a function call
_PRECEDENCE = {"+": 1, "−": 1, "×": 2, "÷": 2, "**": 4}
_NEGATION = 3  # binds tighter than × and looser than **, as in Python


@dataclass(frozen=True)
class Name:
    """A node's name in one notation, with the precedence of its outermost operator."""

    text: str
    precedence: int = ATOM


class Notation:
    """Plain text with Unicode symbols: ∂E/∂w5, (x + y) × z, σ(a)."""

    times = " × "
    plus = " + "

    def label(self, text: str) -> str:
        """A node's label as written."""
        return text

    def fallback(self, index: int) -> str:
        """The name of a node known only by its place in the topological order."""
        return f"v{index}"

    def parenthesize(self, text: str) -> str:
        """text in parentheses."""
        return f"({text})"

    def wrap(self, name: Name, below: int = ATOM) -> str:
        """A name as an operand, in parentheses if its operator binds looser than below."""
        return self.parenthesize(name.text) if name.precedence < below else name.text

    def operands(self, symbol: str, a: Name, b: Name) -> tuple[str, str, int]:
        """Both operands of a op b, wrapped as its precedence needs, and that precedence."""
        p = _PRECEDENCE.get(symbol, 0)
        if symbol == "**":  # right-associative
            return self.wrap(a, p + 1), self.wrap(b, p), p
        return self.wrap(a, p), self.wrap(b, p + 1), p

    def infix(self, symbol: str, a: Name, b: Name) -> Name:
        """a op b."""
        left, right, p = self.operands(symbol, a, b)
        return Name(f"{left} {symbol} {right}", p)

    def unary(self, symbol: str, a: Name) -> Name:
        """op applied to a: −a, a**2, |a|, or a function call σ(a)."""
        if symbol == "−":
            return Name("−" + self.wrap(a, _NEGATION + 1), _NEGATION)
        if symbol.startswith("**"):
            return Name(self.wrap(a, _PRECEDENCE["**"] + 1) + symbol, _PRECEDENCE["**"])
        if "·" in symbol:
            return Name(symbol.replace("·", a.text))
        return Name(f"{symbol}({a.text})")

    def partial(self, of: Name, by: Name) -> str:
        """∂of/∂by."""
        return f"∂{self.wrap(of)}/∂{self.wrap(by)}"

    def number(self, x: float, decimals: int) -> str:
        """A number standing alone."""
        return format_number(x, decimals)

    def factor(self, x: float, decimals: int) -> str:
        """A number in a product: negative ones in parentheses."""
        text = self.number(x, decimals)
        return f"({text})" if text.startswith("-") else text


_LATEX_TEXT = {c: "\\" + c for c in "{}_#$%&"} | {
    "\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


def _latex_text(text: str) -> str:
    return "".join(_LATEX_TEXT.get(c, c) for c in text)


class LatexNotation(Notation):
    r"""LaTeX math (amsmath): \frac{\partial E}{\partial \text{w5}}, \sigma(a), a^{2}."""

    times = r" \cdot "
    _symbols: ClassVar[dict[str, str]] = {"×": r"\times", "÷": r"\div", "−": "-", "σ": r"\sigma"}

    def label(self, text: str) -> str:
        """A label as text, LaTeX's special characters escaped."""
        return r"\text{" + _latex_text(text) + "}"

    def fallback(self, index: int) -> str:
        """v_{index}."""
        return f"v_{{{index}}}"

    def parenthesize(self, text: str) -> str:
        r"""text in \left( \right)."""
        return rf"\left({text}\right)"

    def infix(self, symbol: str, a: Name, b: Name) -> Name:
        """a op b, or a^{b} for a power."""
        left, right, p = self.operands(symbol, a, b)
        if symbol == "**":
            return Name(f"{left}^{{{b.text}}}", p)
        return Name(f"{left} {self._symbols.get(symbol, symbol)} {right}", p)

    def unary(self, symbol: str, a: Name) -> Name:
        r"""-a, a^{2}, \lvert a \rvert, \sqrt{a}, \sigma(a) or \operatorname{f}(a)."""
        if symbol == "−":
            return Name("-" + self.wrap(a, _NEGATION + 1), _NEGATION)
        if symbol.startswith("**"):
            p = _PRECEDENCE["**"]
            return Name(f"{self.wrap(a, p + 1)}^{{{symbol[2:]}}}", p)
        if symbol == "|·|":
            return Name(rf"\lvert {a.text} \rvert")
        if symbol == "√":
            return Name(rf"\sqrt{{{a.text}}}")
        if symbol in self._symbols:
            return Name(f"{self._symbols[symbol]}({a.text})")
        return Name(rf"\operatorname{{{_latex_text(symbol)}}}({a.text})")

    def partial(self, of: Name, by: Name) -> str:
        r"""\frac{\partial of}{\partial by}."""
        return rf"\frac{{\partial {self.wrap(of)}}}{{\partial {self.wrap(by)}}}"

    def number(self, x: float, decimals: int) -> str:
        r"""A number, with \infty and \mathrm{NaN} for the non-finite ones."""
        text = format_number(x, decimals)
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}.get(text, text)


def node_names(order: Sequence[Value], notation: Notation, decimals: int = 9) -> list[Name]:
    """A name for each node of a topological order: its label, its number, or its formula.

    A leaf without a label is named by its value (a constant); an unlabelled op node by the
    formula that made it from its parents' names, or v<index> when that would be too long
    (judged on the plain-text name, so every notation names the same nodes the same way).
    """
    plain = Notation()
    index = {node: i for i, node in enumerate(order)}
    plains: list[Name] = []
    names: list[Name] = []
    for i, node in enumerate(order):
        op = node.op_info
        if node.label:
            plains.append(Name(plain.label(node.label)))
            names.append(Name(notation.label(node.label)))
        elif op is None:
            plains.append(number_name(plain, node.data, decimals))
            names.append(number_name(notation, node.data, decimals))
        else:
            parents = [index[p] for p in node.parents]
            made = formula(plain, op, [plains[j] for j in parents])
            if len(made.text) > NAME_LIMIT:
                plains.append(Name(plain.fallback(i)))
                names.append(Name(notation.fallback(i)))
            else:
                plains.append(made)
                names.append(formula(notation, op, [names[j] for j in parents]))
    return names


def number_name(notation: Notation, x: float, decimals: int) -> Name:
    """A number as an operand: a negative one is bracketed wherever an operator binds it."""
    return Name(notation.number(x, decimals), 0 if x < 0.0 else ATOM)


def formula(notation: Notation, op: Op, operands: list[Name]) -> Name:
    """op applied to its operands' names: x + y, σ(a), −b, atan2(y, x)."""
    if len(operands) == 2:
        if op.display.isidentifier():  # a function of two, not an operator
            return notation.unary(op.display, Name(f"{operands[0].text}, {operands[1].text}"))
        return notation.infix(op.display, operands[0], operands[1])
    return notation.unary(op.display, operands[0])
