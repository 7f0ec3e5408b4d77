"""The command line's formula language, read by a whitelist over Python's ast (never eval).

A formula is numbers, names, + - * / **, parentheses, unary minus and the engine's functions:
`(x + y) * z`, `sigmoid(w * x + b)`, `leaky_relu(x, 0.1)`, `atan2(y, x)`, `clamp(x, 0, 1)`.
Anything else is refused with a FormulaError that says what was wrong and, where it helps, at
which column.
"""

from __future__ import annotations

import ast
import itertools
import keyword
import math
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from ..engine import ops
from ..engine.value import Value
from .python_parser import join_lines, parse_expression

MAX_LENGTH = 100_000  # characters

Operand = Value | float


class FormulaError(ValueError):
    """A formula or a value that cannot be used; the message says what and where."""


@dataclass(frozen=True)
class FormulaFunction:
    """A function a formula can call: its inputs (formulas), then number params, of which the
    first `needed` must be given."""

    apply: Callable[..., Value]
    params: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ("x",)
    needed: int = 0

    def signature(self, name: str) -> str:
        """How it is called, optional params in brackets: tanh(x), atan2(y, x), clamp(x, min[,
        max])."""
        optional = self.params[self.needed:]
        given = ", ".join((*self.inputs, *self.params[:self.needed]))
        return f"{name}({given}{''.join(f'[, {p}' for p in optional)}{']' * len(optional)})"


# every function of one or two scalars that ops defines for an op of the table, and four with
# number params
FUNCTIONS: dict[str, FormulaFunction] = {
    name: FormulaFunction(function) for name, function in vars(ops).items()
    if type(function) is ops.Function
} | {
    name: FormulaFunction(function, inputs=("y", "x") if name == "atan2" else ("a", "b"))
    for name, function in vars(ops).items() if type(function) is ops.Function2
} | {"abs": FormulaFunction(Value.__abs__),
     "leaky_relu": FormulaFunction(Value.leaky_relu, ("slope",)),
     "step": FormulaFunction(Value.step, ("low", "high")),
     "clamp": FormulaFunction(ops.clamp, ("min", "max"), needed=1)}

_OPERATORS: dict[type[ast.operator], Callable[[Value, Operand], Value]] = {
    ast.Add: Value.__add__, ast.Sub: Value.__sub__, ast.Mult: Value.__mul__,
    ast.Div: Value.__truediv__, ast.Pow: Value.__pow__,
}
_REFUSED_OPERATORS: dict[type[ast.AST], str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}
_REFUSED = {
    ast.Attribute: "attribute access (a.b)", ast.Subscript: "subscripts (a[b])",
    ast.Lambda: "lambda", ast.Compare: "comparisons", ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions", ast.NamedExpr: "assignments (:=)",
    ast.List: "lists", ast.Tuple: "tuples (a, b)", ast.Set: "sets", ast.Dict: "dicts",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings", ast.Starred: "starred arguments (*a)", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "slices",
}
FUNCTION_NAMES = ", ".join(sorted(FUNCTIONS))
LANGUAGE = "numbers, names, + - * / **, parentheses and the functions " + FUNCTION_NAMES


def function_signatures() -> str:
    """The functions a formula can call, each of one input by its name, the others with their
    inputs and number params: abs ... atan2(y, x) ... step(x, low, high)."""
    return " ".join(f.signature(name) if f.params or f.inputs != ("x",) else name
                    for name, f in sorted(FUNCTIONS.items()))


def _error(text: str, node: ast.AST, message: str, note: str = "") -> FormulaError:
    """A FormulaError for node: the message, its place (line and column) in text, a note."""
    lines = text.split("\n")
    lineno: int = getattr(node, "lineno", 1)
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    offset: int = getattr(node, "col_offset", 0)
    column = len(line.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1
    where = f"column {column}" if len(lines) == 1 else f"line {lineno}, column {column}"
    return FormulaError(f"{message} at {where}" + (f" ({note})" if note else ""))


@dataclass(frozen=True)
class Formula:
    """A checked formula: its text, its tree and its variable names in order of appearance."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]

    def evaluate(self, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
        """The formula's Value graph for these values (root named by output_name), and its
        variables."""
        missing = [name for name in self.names if name not in values]
        if missing:
            raise FormulaError(f"no value for {missing[0]}: give it as {missing[0]}=NUMBER")
        unused = [name for name in values if name not in self.names]
        if unused:
            raise FormulaError(f"{unused[0]} is given a value but the formula does not use it")
        leaves = {name: Value(float(values[name]), label=name) for name in self.names}
        result = _evaluate(self.tree.body, leaves)
        root = result if isinstance(result, Value) else Value(result)
        if root.op_info is not None or not root.label:  # a lone variable keeps its name
            root.label = output_name(self.names)
        return root, leaves


def output_name(names: Collection[str]) -> str:
    """The formula's output's name: the first of f, F, out, f_, f__, ... not among names."""
    candidates = itertools.chain(("f", "F", "out"), ("f" + "_" * n for n in itertools.count(1)))
    return next(name for name in candidates if name not in names)


def parse(text: str) -> Formula:
    """Check a formula and find its variables; a FormulaError says what is wrong, and where."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text):,} characters long; "
                           f"the limit is {MAX_LENGTH:,}")
    if "\0" in text:
        column = text.index("\0") + 1
        raise FormulaError(f"the formula contains a NUL character at column {column}")
    _check_characters(text)
    source = text.strip()
    if not source:
        raise FormulaError("the formula is empty")
    line = join_lines(source)  # the same lines and columns, read as one line
    tree = _parse_python(line)
    return Formula(source, tree, _check(line, tree))


def _check_characters(text: str) -> None:
    """Refuse a lone surrogate (what undecodable bytes in a command line become): not text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise FormulaError(f"the formula holds a lone surrogate (U+{ord(text[e.start]):04X}) at "
                           f"column {e.start + 1}, not a character: is it UTF-8 text?") from None


def _parse_python(source: str) -> ast.Expression:
    try:
        return parse_expression(source)
    except SyntaxError as e:
        message = e.msg
        if "Exceeds the limit" in message:
            message = "a number has more than 4300 digits"
        elif "too many nested parentheses" in message:
            message = "too many nested parentheses (at most 200)"
        where = f" at column {e.offset}" if e.offset and "\n" not in source else ""
        if e.lineno and "\n" in source:
            where = f" at line {e.lineno}, column {e.offset}"
        raise FormulaError(f"syntax error{where}: {message}") from None
    except (RecursionError, MemoryError):
        raise FormulaError("the formula is nested too deeply for Python's parser (operators "
                           "a few thousand deep at most; a sum may have any number of terms)"
                           ) from None


def _check(text: str, tree: ast.Expression) -> tuple[str, ...]:
    """Refuse every node outside the language; return the variable names in order."""
    names: dict[str, None] = {}
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise _unsupported(text, node, node.op)
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise _unsupported(text, node, node.op)
            stack.append(node.operand)
        elif isinstance(node, ast.Constant):
            _number(text, node)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise _error(text, node, f"{node.id} is a function",
                             f"call it: {FUNCTIONS[node.id].signature(node.id)}")
            names.setdefault(node.id)
        elif isinstance(node, ast.Call):
            stack += reversed(_check_call(text, node))
        else:
            what = _REFUSED.get(type(node), type(node).__name__)
            raise _error(text, node, f"{what} not allowed", f"a formula has {LANGUAGE}")
    return tuple(names)


def _unsupported(text: str, node: ast.AST, op: ast.AST) -> FormulaError:
    return _error(text, node, f"unsupported operator {_REFUSED_OPERATORS[type(op)]}",
                  "use + - * / **")


def _check_call(text: str, node: ast.Call) -> list[ast.expr]:
    """The arguments to check further of a call, once the call itself is allowed."""
    if not isinstance(node.func, ast.Name):
        raise _error(text, node, "only a function's name can be called", "as in exp(x)")
    function = FUNCTIONS.get(node.func.id)
    if function is None:
        raise _error(text, node, f"unknown function {node.func.id!r}",
                     f"the functions: {FUNCTION_NAMES}")
    if node.keywords:
        raise _error(text, node, f"keyword argument to {node.func.id}()",
                     "give its numbers in order")
    starred = next((arg for arg in node.args if isinstance(arg, ast.Starred)), None)
    if starred is not None:
        raise _error(text, starred, "starred arguments (*a) not allowed",
                     f"as {function.signature(node.func.id)}")
    least = len(function.inputs) + function.needed
    most = len(function.inputs) + len(function.params)
    if not least <= len(node.args) <= most:
        takes = _arguments(least) if least == most else f"{least} to {most} arguments"
        raise _error(text, node, f"{node.func.id}() takes {takes}, got {len(node.args)}",
                     f"as {function.signature(node.func.id)}")
    inputs = len(function.inputs)
    for param, arg in zip(function.params, node.args[inputs:], strict=False):
        if _literal(text, arg) is None:
            raise _error(text, arg, f"the {param} of {node.func.id}() must be a number")
    return node.args[:inputs]


def _arguments(count: int) -> str:
    return "one argument" if count == 1 else f"{count} arguments"


def _number(text: str, node: ast.Constant) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "complex number" if isinstance(value, complex) else f"{value!r:.20}"
        raise _error(text, node, f"{kind} not allowed", "a formula's numbers are real")
    try:
        return float(value)
    except OverflowError:
        return math.inf  # an integer literal beyond float range, as float("1e999") is


def _literal(text: str, node: ast.expr) -> float | None:
    """The number a literal (possibly signed) stands for, None if node is not one."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant):
        return sign * _number(text, node)
    return None


def _evaluate(tree: ast.expr, leaves: Mapping[str, Value]) -> Operand:
    """The Value of a checked tree, bottom up with an explicit stack (no recursion)."""
    results: dict[int, Operand] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results[id(node)] = _number("", node)
            continue
        children = _children(node)
        if not ready and children:
            stack.append((node, True))
            stack += [(child, False) for child in reversed(children)]
            continue
        results[id(node)] = _combine(node, [results.pop(id(c)) for c in children], leaves)
    return results[id(tree)]


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.args[:len(FUNCTIONS[node.func.id].inputs)]
    return []


def _combine(node: ast.expr, operands: list[Operand], leaves: Mapping[str, Value]) -> Operand:
    """One node's result from its operands' (a signed number stays a number: -2 is a constant)."""
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.BinOp):
        left, right = operands
        if not isinstance(left, Value):
            left = Value(left)  # a number on the left, as in 2 ** x: a constant leaf
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        (operand,) = operands
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    values = [x if isinstance(x, Value) else Value(x) for x in operands]
    params = [_literal("", arg) for arg in node.args[len(operands):]]
    return FUNCTIONS[node.func.id].apply(*values, *params)


def parse_assignment(text: str) -> tuple[str, float]:
    """NAME=NUMBER as (name, number); a FormulaError says what is wrong with it."""
    name, equals, number = text.partition("=")
    if not equals:
        raise FormulaError(f"expected NAME=NUMBER, got {text[:40]!r}")
    name = unicodedata.normalize("NFKC", name.strip())  # as Python reads names in a formula
    if not name.isidentifier() or keyword.iskeyword(name):
        raise FormulaError(f"{name[:40]!r} is not a name (in {text[:40]!r})")
    if name in FUNCTIONS:
        raise FormulaError(f"{name} is a function, not a name that can take a value")
    try:
        return name, float(number)
    except ValueError:
        raise FormulaError(f"{number[:40]!r} is not a number (for {name})") from None
