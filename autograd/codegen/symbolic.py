"""Symbols: operands that turn the op table's forwards and derivative rules into Python source.

A `Symbol` stands for a float in generated code. Arithmetic on symbols writes the expression
(`v3 * g7`) instead of computing it, and an op applied to symbols (the polymorphic functions of
`ops` reach it through the registry: `exp`, `step`, ...) writes a call of the op's own float
forward, bound to a name in a `Namespace` that becomes the generated code's globals. So a
rule like `tanh: (1 - out)(1 + out)`, given symbols, returns the source that computes it, and
no op's math is written a second time.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable
from typing import Any

from ..engine.ops import DIV, POW_XY, Op, register_node_type

# How tightly an expression binds: an operand that binds less tightly than its operator needs
# parentheses (on the right also when equal, since float + and * are not associative).
SUM, PRODUCT, UNARY, ATOM = 1, 2, 3, 4

Operand = Any  # a Symbol or a number
_LOCAL_NAME = re.compile(r"[vg]\d+\Z")


class BranchOnSymbolError(TypeError):
    """Raised where code asks for the truth or order of a symbol, which has none until run."""


def literal(x: float) -> tuple[str, int]:
    """Python source for a number, and its precedence (`inf` and `nan` are bound names)."""
    if not is_number(x):
        raise TypeError(f"only numbers can be written into generated code, not "
                        f"{type(x).__name__}")
    code = repr(float(x)) if isinstance(x, float) else repr(int(x))
    return code, UNARY if code.startswith("-") else ATOM


def is_number(x: object) -> bool:
    """Whether x is a float or an int, which literal() writes exactly."""
    return isinstance(x, float | int) and not isinstance(x, bool)


def _is_keyword_argument(name: str) -> bool:
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


class Namespace:
    """The globals of generated code: the float functions it calls, each under one name."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self.globals: dict[str, Any] = {"__builtins__": {}, "inf": math.inf, "nan": math.nan}
        self.globals.update(dict.fromkeys(reserved))
        self._names: dict[int, str] = {}
        # ops whose forward is being run on symbols: one that reaches its own op again (written
        # with the polymorphic function of its own name) is called instead of expanded
        self._rendering: set[str] = set()

    def name(self, function: Callable[..., Any], preferred: str) -> str:
        """The name function is bound to, binding it under preferred (made unique) if new."""
        known = self._names.get(id(function))
        if known is not None:
            return known
        base = re.sub(r"[^A-Za-z0-9_]", "_", preferred) or "f"
        if base[0].isdigit() or keyword.iskeyword(base) or _LOCAL_NAME.match(base):
            base = "op_" + base
        name, k = base, 1
        while name in self.globals:
            k += 1
            name = f"{base}_{k}"
        self.globals[name] = function
        self._names[id(function)] = name
        return name

    def symbol(self, code: str, precedence: int = ATOM) -> Symbol:
        """A symbol for code in this namespace."""
        return Symbol(code, precedence, self)

    def call(self, function: Callable[..., Any], preferred: str, args: tuple[Operand, ...],
             params: tuple[tuple[str, float], ...] = ()) -> Symbol:
        """A symbol for the call function(*args, **params)."""
        parts = [code_of(a) for a in args]
        parts += [f"{key}={literal(value)[0]}" for key, value in params]
        return self.symbol(f"{self.name(function, preferred)}({', '.join(parts)})")

    def apply(self, op: Op, *args: Operand) -> Symbol | float:
        """The source of op applied to args: its forward run on symbols where it is written with
        operators (add: `a + b`), else a call of its float forward (`exp(v3)`)."""
        if op.name not in self._rendering:
            self._rendering.add(op.name)
            try:
                result = op.evaluate(*args)
            except TypeError:  # float-only math (math.exp, a comparison, a branch) met a symbol
                pass
            else:
                if isinstance(result, Symbol | float | int):
                    return result
            finally:
                self._rendering.discard(op.name)
        if all(_is_keyword_argument(k) and is_number(v) for k, v in op.params):
            return self.call(op.forward, op.name, args, op.params)
        return self.call(op.evaluate, op.name, args)  # params bound inside: none written out


def code_of(x: Operand, precedence: int = 0, right: bool = False) -> str:
    """x's source, parenthesized if it binds less tightly than an operator of precedence."""
    if isinstance(x, Symbol):
        code, own = x.code, x.precedence
    else:
        code, own = literal(x)
    if own < precedence or (right and own == precedence):
        return f"({code})"
    return code


def _is(x: Operand, number: float) -> bool:
    return not isinstance(x, Symbol) and x == number


class Symbol:
    """A float in generated code: its source, how tightly it binds, and the namespace it uses."""

    __slots__ = ("code", "names", "precedence")

    def __init__(self, code: str, precedence: int, names: Namespace) -> None:
        self.code = code
        self.precedence = precedence
        self.names = names

    def __repr__(self) -> str:
        return f"Symbol({self.code!r})"

    def _binary(self, left: Operand, operator: str, right: Operand, precedence: int) -> Symbol:
        code = f"{code_of(left, precedence)} {operator} {code_of(right, precedence, right=True)}"
        return self.names.symbol(code, precedence)

    # --- Python arithmetic where it is exactly the float op (+, -, * never raise on floats) ---

    def __add__(self, other: Operand) -> Symbol:
        return self._binary(self, "+", other, SUM)

    def __radd__(self, other: Operand) -> Symbol:
        return self._binary(other, "+", self, SUM)

    def __sub__(self, other: Operand) -> Symbol:
        return self._binary(self, "-", other, SUM)

    def __rsub__(self, other: Operand) -> Symbol:
        return self._binary(other, "-", self, SUM)

    def __mul__(self, other: Operand) -> Symbol:
        return self._product(self, other)

    def __rmul__(self, other: Operand) -> Symbol:
        return self._product(other, self)

    def _product(self, left: Operand, right: Operand) -> Symbol:
        # x * 1.0 is x and x * -1.0 is -x, bit for bit, for every float x
        if _is(left, 1.0) or _is(right, 1.0):
            return self
        if _is(left, -1.0) or _is(right, -1.0):
            return -self
        return self._binary(left, "*", right, PRODUCT)

    def __neg__(self) -> Symbol:
        return self.names.symbol(f"-{code_of(self, UNARY, right=True)}", UNARY)

    def __pos__(self) -> Symbol:
        return self

    def __abs__(self) -> Symbol:
        return self.names.call(abs, "abs", (self,))

    # --- division and powers: the ops' IEEE-safe float functions, as `div` and `power` use ---

    def __truediv__(self, other: Operand) -> Symbol:
        return self.names.call(DIV.forward, DIV.name, (self, other))

    def __rtruediv__(self, other: Operand) -> Symbol:
        return self.names.call(DIV.forward, DIV.name, (other, self))

    def __pow__(self, other: Operand) -> Symbol:
        return self.names.call(POW_XY.forward, POW_XY.name, (self, other))

    def __rpow__(self, other: Operand) -> Symbol:
        return self.names.call(POW_XY.forward, POW_XY.name, (other, self))

    # --- a symbol has no value yet: code that branches on it cannot be written out ---

    def __bool__(self) -> bool:
        raise BranchOnSymbolError(f"the truth of {self.code} is known only when the code runs")

    def _no_order(self, other: object) -> bool:
        raise BranchOnSymbolError(f"{self.code} has no order until the code runs")

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _no_order
    __hash__ = None  # type: ignore[assignment]


def _apply_to_symbols(op: Op, *inputs: Operand) -> Symbol | float:
    """Any op (the table's or a user's) called on symbols: its code, in their namespace."""
    names = next(x.names for x in inputs if isinstance(x, Symbol))
    return names.apply(op, *inputs)


register_node_type(Symbol, _apply_to_symbols)
