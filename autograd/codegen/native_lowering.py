"""LLVM IR from a per-sample kernel's Python: the same float operations, as machine code runs them.

A kernel's code (autograd.codegen.kernels) is Python of a small kind: assignments of arithmetic and
of calls of the functions its namespace binds, each op's float forward. This module reads that
code's syntax tree and writes the same operations as LLVM IR; a function it calls is read the
same way from its own source and inlined, so the op table's math, written once, is what the
machine code runs, `define_op`s included. The subset it reads: numbers, + - * /, comparisons,
`and`/`or`/`not`, `x if c else y`, `if`/`else` and `return`, local assignments, calls of such
functions, and of math's functions, which become calls of the C math library's function of the
same name, the one Python's math module calls, so results agree bit for bit. Both sides of a
branch are computed and one is chosen, so a branch must not guard against an error: a `try`
whose handlers catch arithmetic errors is read as its body, since C's math answers with the IEEE
754 result (inf, nan) that the op table's handlers spell out in Python. Anything else is refused
with the reason and the line.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import linecache
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import CodeType, FunctionType, ModuleType
from typing import Any

from ..engine.ops import Function

DOUBLE, BOOL = "double", "i1"
LANES = 4  # rows a kernel computes at once, one in each lane of a vector
VECTOR = {DOUBLE: f"<{LANES} x double>", BOOL: f"<{LANES} x i1>"}
MAX_INLINE_DEPTH = 32

# math's functions that call the C library's function of the same name on a float
_LIBM_NAMES = ("exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "asin",
               "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
               "erf", "erfc", "pow", "cbrt", "exp2")
LIBM: dict[Any, str] = {getattr(math, name): name for name in _LIBM_NAMES if hasattr(math, name)}
_COMPARISONS = {ast.Lt: "olt", ast.LtE: "ole", ast.Gt: "ogt", ast.GtE: "oge", ast.Eq: "oeq",
                ast.NotEq: "une"}
_ARITHMETIC = {ast.Add: "fadd", ast.Sub: "fsub", ast.Mult: "fmul", ast.Div: "fdiv"}
_INTRINSICS = ("fabs", "sqrt", "copysign")  # LLVM's, exact, on doubles or vectors


class LoweringError(TypeError):
    """Raised for code that has no machine-code form here, saying which and why."""


@dataclass(frozen=True)
class Operand:
    """An IR value: its reference (a register or a literal) and its type (double or i1, or a
    vector of them: one value a row)."""

    ref: str
    type: str

    @property
    def vector(self) -> bool:
        """Whether this is a vector."""
        return self.type.startswith("<")

    @property
    def number(self) -> bool:
        """Whether this is a double or a vector of doubles (not a truth value)."""
        return self.type in (DOUBLE, VECTOR[DOUBLE])


def constant(x: float) -> Operand:
    """A double literal, exact: its IEEE bits in hex."""
    bits = struct.unpack("<Q", struct.pack("<d", float(x)))[0]
    return Operand(f"0x{bits:016X}", DOUBLE)


TRUE, FALSE = Operand("true", BOOL), Operand("false", BOOL)


@dataclass
class Emitter:
    """The instructions written so far, and the functions they declare."""

    lines: list[str] = field(default_factory=list)
    declarations: dict[str, str] = field(default_factory=dict)
    count: int = 0
    splats: dict[str, Operand] = field(default_factory=dict)

    def emit(self, type_: str, instruction: str) -> Operand:
        """Append `%tN = instruction`, returning %tN."""
        self.count += 1
        name = f"%t{self.count}"
        self.lines.append(f"  {name} = {instruction}")
        return Operand(name, type_)

    def widen(self, x: Operand) -> Operand:
        """x as a vector: the same value in every lane."""
        if x.vector:
            return x
        wide = VECTOR[x.type]
        if not x.ref.startswith("%"):  # a literal
            return Operand("<" + ", ".join([f"{x.type} {x.ref}"] * LANES) + ">", wide)
        known = self.splats.get(x.ref)
        if known is None:
            first = self.emit(wide, f"insertelement {wide} poison, {x.type} {x.ref}, i64 0")
            known = self.emit(wide, f"shufflevector {wide} {first.ref}, {wide} poison, "
                                    f"<{LANES} x i32> zeroinitializer")
            self.splats[x.ref] = known
        return known

    def unify(self, *xs: Operand) -> list[Operand]:
        """xs, all widened to vectors if any is one."""
        return [self.widen(x) for x in xs] if any(x.vector for x in xs) else list(xs)

    def call(self, function: str, args: Sequence[Operand]) -> Operand:
        """A call of a double function: an intrinsic, or the C library's (never rewritten),
        once for each lane of a vector."""
        args = self.unify(*args)
        kind = args[0].type
        if function in _INTRINSICS:
            name = f"llvm.{function}.{f'v{LANES}f64' if args[0].vector else 'f64'}"
            self.declarations[name] = f"declare {kind} @{name}({', '.join([kind] * len(args))})"
            listed = ", ".join(f"{kind} {a.ref}" for a in args)
            return self.emit(kind, f"call {kind} @{name}({listed})")
        params = ", ".join([DOUBLE] * len(args))
        self.declarations[function] = f"declare double @{function}({params}) nounwind"
        if not args[0].vector:
            listed = ", ".join(f"double {a.ref}" for a in args)
            # #0 is nobuiltin: LLVM must not swap in its own reading of the function
            return self.emit(DOUBLE, f"call double @{function}({listed}) #0")
        result = Operand("poison", kind)
        for lane in range(LANES):
            parts = [self.emit(DOUBLE, f"extractelement {kind} {a.ref}, i64 {lane}")
                     for a in args]
            one = self.call(function, parts)
            result = self.emit(kind, f"insertelement {kind} {result.ref}, double {one.ref}, "
                                     f"i64 {lane}")
        return result


class Scope:
    """Where names are looked up: locals (IR values), then what the code's function sees."""

    def __init__(self, emitter: Emitter, env: dict[str, Operand],
                 lookup: Callable[[str], object], where: str, depth: int = 0) -> None:
        self.emitter = emitter
        self.env = env
        self.lookup = lookup
        self.where = where
        self.depth = depth

    def branch(self) -> Scope:
        """A copy whose assignments do not reach this one."""
        return Scope(self.emitter, dict(self.env), self.lookup, self.where, self.depth)

    def error(self, node: ast.AST | None, reason: str) -> LoweringError:
        line = f", line {node.lineno}" if node is not None and hasattr(node, "lineno") else ""
        return LoweringError(f"cannot compile {self.where}{line} to machine code: {reason} "
                             "(backend='python' runs any op)")


def statements(body: Sequence[ast.stmt], scope: Scope) -> None:
    """Straight-line assignments, binding their targets in scope."""
    for statement in body:
        if not _assign(statement, scope):
            raise scope.error(statement, f"a {type(statement).__name__} statement")


def expression(node: ast.expr, scope: Scope) -> Operand:
    """The IR value of a Python expression."""
    emitter = scope.emitter
    if isinstance(node, ast.Constant):
        return _number(node.value, scope, node)
    if isinstance(node, ast.Name):
        if node.id in scope.env:
            return scope.env[node.id]
        return _number(_resolve(node, scope), scope, node)
    if isinstance(node, ast.Attribute):
        return _number(_resolve(node, scope), scope, node)
    if isinstance(node, ast.UnaryOp):
        operand = expression(node.operand, scope)
        if isinstance(node.op, ast.Not):
            truth, true = emitter.unify(_truth(operand, scope), TRUE)
            return emitter.emit(truth.type, f"xor {truth.type} {truth.ref}, {true.ref}")
        _double(operand, scope, node)
        if isinstance(node.op, ast.USub):
            return emitter.emit(operand.type, f"fneg {operand.type} {operand.ref}")
        if isinstance(node.op, ast.UAdd):
            return operand
    if isinstance(node, ast.BinOp):
        left, right = expression(node.left, scope), expression(node.right, scope)
        return _binary(node.op, left, right, scope, node)
    if isinstance(node, ast.BoolOp):
        operator = "and" if isinstance(node.op, ast.And) else "or"
        result = _truth(expression(node.values[0], scope), scope)
        for value in node.values[1:]:
            result, truth = emitter.unify(result, _truth(expression(value, scope), scope))
            result = emitter.emit(truth.type, f"{operator} {truth.type} {result.ref}, {truth.ref}")
        return result
    if isinstance(node, ast.Compare):
        return _compare(node, scope)
    if isinstance(node, ast.IfExp):
        condition = _truth(expression(node.test, scope), scope)
        return _select(condition, expression(node.body, scope),
                       expression(node.orelse, scope), scope, node)
    if isinstance(node, ast.Call):
        return _call_node(node, scope)
    raise scope.error(node, f"a {type(node).__name__} expression")


def call(callee: object, args: list[Operand], keywords: dict[str, Operand], scope: Scope,
         node: ast.AST | None = None) -> Operand:
    """The IR of calling callee (a math function, or Python to inline) on args."""
    emitter = scope.emitter
    while True:  # see through what only forwards a call
        if isinstance(callee, functools.partial):
            args = [*(_number(a, scope, node) for a in callee.args), *args]
            keywords = {**{k: _number(v, scope, node) for k, v in callee.keywords.items()},
                        **keywords}
            callee = callee.func
        elif isinstance(callee, Function):
            callee = callee._on_float
        elif hasattr(callee, "__wrapped__"):
            callee = callee.__wrapped__
        else:
            break
    if isinstance(callee, FunctionType):
        return _inline(callee, args, keywords, scope, node)
    if keywords:
        raise scope.error(node, f"{_name_of(callee)} called with keywords")
    for a in args:
        _double(a, scope, node)
    libm = LIBM.get(callee) if callee.__hash__ is not None else None
    if libm is not None:
        return emitter.call(libm, args)
    if callee is float and len(args) == 1:
        return args[0]
    if (callee is abs or callee is math.fabs) and len(args) == 1:
        return emitter.call("fabs", args)
    if callee is math.sqrt and len(args) == 1:
        return emitter.call("sqrt", args)
    if callee is math.copysign and len(args) == 2:
        return emitter.call("copysign", args)
    if callee in (math.isfinite, math.isinf, math.isnan) and len(args) == 1:
        return _classify(callee, args[0], scope)
    if callee in (max, min) and len(args) == 2:
        # Python's max(a, b) is b only where b > a (min: b < a), so a where either is nan
        chosen = _fcmp("ogt" if callee is max else "olt", args[1], args[0], scope)
        return _select(chosen, args[1], args[0], scope, node)
    raise scope.error(node, f"it calls {_name_of(callee)}, which has no machine-code form")


# --- helpers ---


def _number(value: object, scope: Scope, node: ast.AST | None) -> Operand:
    if isinstance(value, Operand):
        return value
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, float | int):
        if isinstance(value, int) and abs(value) > 2**53:
            raise scope.error(node, f"the integer {value} is not exact as a float")
        return constant(value)
    raise scope.error(node, f"it uses {type(value).__name__} {value!r:.40} as a number")


def _resolve(node: ast.expr, scope: Scope) -> object:
    """The Python object a name or a dotted name (math.pi) stands for, outside the locals."""
    if isinstance(node, ast.Name):
        if node.id in scope.env:
            raise scope.error(node, f"{node.id} is a number here, not a module or function")
        return scope.lookup(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, scope)
        if not isinstance(base, ModuleType):
            raise scope.error(node, f"attribute .{node.attr} of {_name_of(base)}")
        try:
            return getattr(base, node.attr)
        except AttributeError:
            raise scope.error(node, f"{base.__name__} has no {node.attr}") from None
    raise scope.error(node, f"calls a {type(node).__name__}")


def _double(operand: Operand, scope: Scope, node: ast.AST | None) -> None:
    if not operand.number:
        raise scope.error(node, "a truth value used as a number")


def _truth(operand: Operand, scope: Scope) -> Operand:
    if not operand.number:
        return operand
    return _fcmp("une", operand, constant(0.0), scope)  # nan is true


def _fcmp(predicate: str, left: Operand, right: Operand, scope: Scope) -> Operand:
    left, right = scope.emitter.unify(left, right)
    kind = VECTOR[BOOL] if left.vector else BOOL
    return scope.emitter.emit(kind, f"fcmp {predicate} {left.type} {left.ref}, {right.ref}")


def _binary(op: ast.operator, left: Operand, right: Operand, scope: Scope,
            node: ast.AST) -> Operand:
    _double(left, scope, node)
    _double(right, scope, node)
    if isinstance(op, ast.Pow):
        return scope.emitter.call("pow", [left, right])
    instruction = _ARITHMETIC.get(type(op))
    if instruction is None:
        raise scope.error(node, f"the operator {type(op).__name__}")
    left, right = scope.emitter.unify(left, right)
    return scope.emitter.emit(left.type, f"{instruction} {left.type} {left.ref}, {right.ref}")


def _compare(node: ast.Compare, scope: Scope) -> Operand:
    result: Operand | None = None
    left = expression(node.left, scope)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = expression(right_node, scope)
        predicate = _COMPARISONS.get(type(op))
        if predicate is None:
            raise scope.error(node, f"the comparison {type(op).__name__}")
        _double(left, scope, node)
        _double(right, scope, node)
        test = _fcmp(predicate, left, right, scope)
        if result is not None:
            result, test = scope.emitter.unify(result, test)
            test = scope.emitter.emit(test.type, f"and {test.type} {result.ref}, {test.ref}")
        result = test
        left = right
    assert result is not None
    return result


def _select(condition: Operand, yes: Operand, no: Operand, scope: Scope,
            node: ast.AST | None) -> Operand:
    if yes.number != no.number:
        raise scope.error(node, "the two sides of a choice are a number and a truth value")
    if condition.vector:
        yes, no = scope.emitter.widen(yes), scope.emitter.widen(no)
    yes, no = scope.emitter.unify(yes, no)
    return scope.emitter.emit(yes.type, f"select {condition.type} {condition.ref}, "
                                        f"{yes.type} {yes.ref}, {no.type} {no.ref}")


def _classify(callee: object, x: Operand, scope: Scope) -> Operand:
    if callee is math.isnan:
        return _fcmp("uno", x, x, scope)
    size = scope.emitter.call("fabs", [x])
    return _fcmp("oeq" if callee is math.isinf else "olt", size, constant(math.inf), scope)


def _call_node(node: ast.Call, scope: Scope) -> Operand:
    callee = _resolve(node.func, scope)
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords):
        raise scope.error(node, "a call with * or ** arguments")
    args = [expression(a, scope) for a in node.args]
    keywords = {k.arg: expression(k.value, scope) for k in node.keywords if k.arg is not None}
    return call(callee, args, keywords, scope, node)


def _assign(statement: ast.stmt, scope: Scope) -> bool:
    """Bind an assignment's target in scope; False for any other statement."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(
            statement.targets[0], ast.Name):
        scope.env[statement.targets[0].id] = expression(statement.value, scope)
        return True
    if isinstance(statement, ast.AnnAssign) and statement.value is not None and isinstance(
            statement.target, ast.Name):
        scope.env[statement.target.id] = expression(statement.value, scope)
        return True
    if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        name = statement.target.id
        if name not in scope.env:
            raise scope.error(statement, f"{name} is added to before it is set")
        value = expression(statement.value, scope)
        scope.env[name] = _binary(statement.op, scope.env[name], value, scope, statement)
        return True
    return False


def _block(body: Sequence[ast.stmt], scope: Scope) -> Operand:
    """The value a function body returns: both sides of each `if`, one chosen."""
    for i, statement in enumerate(body):
        rest = body[i + 1:]
        if isinstance(statement, ast.Pass) or (
                isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            continue  # a docstring
        if isinstance(statement, ast.Return):
            if statement.value is None:
                raise scope.error(statement, "a return without a value")
            return expression(statement.value, scope)
        if _assign(statement, scope):
            continue
        if isinstance(statement, ast.If):
            condition = _truth(expression(statement.test, scope), scope)
            yes = _block([*statement.body, *rest], scope.branch())
            no = _block([*statement.orelse, *rest], scope.branch())
            return _select(condition, yes, no, scope, statement)
        if isinstance(statement, ast.Try) and _arithmetic_only(statement, scope):
            return _block([*statement.body, *rest], scope)
        raise scope.error(statement, f"a {type(statement).__name__} statement")
    raise scope.error(body[-1] if body else None, "it can end without returning a number")


def _arithmetic_only(statement: ast.Try, scope: Scope) -> bool:
    """Whether a try only catches arithmetic errors, which IEEE 754 answers with inf or nan."""
    if statement.orelse or statement.finalbody:
        raise scope.error(statement, "a try with else or finally")
    for handler in statement.handlers:
        if handler.type is None:
            raise scope.error(handler, "a bare except")
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for node in caught:
            error = _resolve(node, scope)
            if not (isinstance(error, type) and issubclass(error, ArithmeticError | ValueError)):
                raise scope.error(handler, f"a try that catches {_name_of(error)}")
    return True


def _inline(function: FunctionType, args: list[Operand], keywords: dict[str, Operand],
            scope: Scope, node: ast.AST | None) -> Operand:
    where = f"{function.__qualname__} ({function.__module__})"
    if scope.depth >= MAX_INLINE_DEPTH:
        raise scope.error(node, f"calls nested deeper than {MAX_INLINE_DEPTH} (recursion?)")
    try:
        bound = inspect.signature(function).bind(*args, **keywords)
    except TypeError as error:
        raise scope.error(node, f"calling {where}: {error}") from None
    bound.apply_defaults()
    inner = Scope(scope.emitter, {}, _lookup_in(function, scope), where, scope.depth + 1)
    for name, value in bound.arguments.items():
        inner.env[name] = _number(value, inner, node)
    syntax = _syntax(function, inner)
    if isinstance(syntax, ast.Lambda):
        return expression(syntax.body, inner)
    return _block(syntax.body, inner)


def _lookup_in(function: FunctionType, scope: Scope) -> Callable[[str], object]:
    code = function.__code__
    cells = dict(zip(code.co_freevars, function.__closure__ or (), strict=True))

    def lookup(name: str) -> object:
        if name in cells:
            return cells[name].cell_contents
        if name in function.__globals__:
            return function.__globals__[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise LoweringError(f"cannot compile {function.__qualname__} to machine code: the name "
                            f"{name} is not defined")

    return lookup


Definition = ast.FunctionDef | ast.Lambda


def _syntax(function: FunctionType, scope: Scope) -> Definition:
    """The def or lambda that made function, found in its file's syntax tree."""
    code = function.__code__
    known = _syntax_of.get(code)
    if known is not None:
        return known
    lines = linecache.getlines(code.co_filename, function.__globals__)
    if not lines:
        raise scope.error(None, f"its source is not available ({code.co_filename})")
    candidates = _functions_in(code.co_filename, "".join(lines)).get(
        (code.co_firstlineno, code.co_name), [])
    names = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = [node for node in candidates
             if [a.arg for a in (*node.args.posonlyargs, *node.args.args,
                                 *node.args.kwonlyargs)] == names]
    if len(found) != 1:
        raise scope.error(None, f"its source cannot be told apart ({len(found)} candidates on "
                                f"line {code.co_firstlineno} of {code.co_filename})")
    if len(_syntax_of) > 1024:
        _syntax_of.clear()
    _syntax_of[code] = found[0]
    return found[0]


_syntax_of: dict[CodeType, Definition] = {}


def _first_line(node: ast.FunctionDef | ast.Lambda) -> int:
    if isinstance(node, ast.FunctionDef) and node.decorator_list:
        return min(d.lineno for d in node.decorator_list)
    return node.lineno


@functools.lru_cache(maxsize=64)
def _functions_in(filename: str, source: str) -> dict[tuple[int, str], list[Definition]]:
    """Each def and lambda of a file, by its first line and the name its code object has."""
    found: dict[tuple[int, str], list[Definition]] = {}
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.FunctionDef | ast.Lambda):
            name = node.name if isinstance(node, ast.FunctionDef) else "<lambda>"
            found.setdefault((_first_line(node), name), []).append(node)
    return found


def _name_of(x: object) -> str:
    return getattr(x, "__qualname__", None) or getattr(x, "__name__", None) or repr(x)[:40]
