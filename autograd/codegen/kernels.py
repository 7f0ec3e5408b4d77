"""Per-sample kernels: one sample's loss compiled once, then run over any number of rows.

`compile(loss, inputs=params, batch_inputs=[x0, x1, t])` writes one sample's forward and
backward as straight-line code (see `autograd.codegen.compiler`) and wraps it in a loop over rows:
the parameters are the same for every row, the batch inputs take each row's numbers in turn, and
the parameters' gradients are summed over the rows. One compile serves every batch size. The
"python" backend runs the loop as generated Python; the "native" backend lowers the same code to
machine code (`autograd.codegen.native`).
"""

from __future__ import annotations

import builtins
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.ops import to_float
from ..engine.value import Value
from .compiler import StraightLine, gradient_code, straight_line, tuple_lines
from .symbolic import Namespace, code_of

SUM_KERNEL, ROW_KERNEL = "sum_over_rows", "each_row"
_LOCALS = (SUM_KERNEL, ROW_KERNEL, "params", "rows", "total", "values", "gradients", "outputs")
BACKENDS = ("python", "native")


@dataclass(frozen=True)
class KernelCode:
    """One sample's code: the body (per row), its inputs, and the expressions it returns."""

    body: list[str]
    params: list[str]  # the local name of each parameter
    batch: list[str]  # the local name of each batch input, in a row's order
    value: str
    gradients: list[str]  # of the value by each parameter
    aux: list[str]
    names: Namespace
    node_count: int


def kernel_code(root: Value, order: list[Value], position: dict[int, int],
                params: tuple[Value, ...], batch: tuple[Value, ...],
                aux: tuple[Value, ...]) -> KernelCode:
    """The straight-line code of one sample, the parameters differentiated."""
    accumulators = tuple(f"d{i}" for i in range(len(params)))
    names = Namespace(reserved=(*_LOCALS, *accumulators))
    line: StraightLine = straight_line(order, position, (*params, *batch), params, names)
    return KernelCode(
        body=line.forward + line.backward,
        params=[f"v{position[id(p)]}" for p in params],
        batch=[f"v{position[id(x)]}" for x in batch],
        value=code_of(line.values[position[id(root)]]),
        gradients=[gradient_code(line, position[id(p)]) for p in params],
        aux=[code_of(line.values[position[id(node)]]) for node in aux],
        names=names,
        node_count=len(order),
    )


def python_source(code: KernelCode) -> str:
    """Two functions: the sums over rows, and each row's value and gradients."""
    count = len(code.params)
    head = tuple_lines("(", code.params, ") = params") if code.params else []
    row = tuple_lines("for (", code.batch, ") in rows:") if code.batch else [
        "    for _ in rows:"]
    body = ["        " + text for text in code.body]
    outputs = ["        outputs.append(" + _tuple(code.aux) + ")"] if code.aux else []
    sums = [
        f"def {SUM_KERNEL}(params, rows):",
        '    """Σ over rows of the value, of its gradient, and each row\'s aux values."""',
        *head,
        "    total = 0.0",
        *(f"    d{i} = 0.0" for i in range(count)),
        "    outputs = []",
        *row,
        *body,
        f"        total += {code.value}",
        *(f"        d{i} += {g}" for i, g in enumerate(code.gradients)),
        *outputs,
        *tuple_lines("return total, (", [f"d{i}" for i in range(count)], "), outputs"),
    ]
    each = [
        f"def {ROW_KERNEL}(params, rows):",
        '    """Each row\'s value, gradient and aux values."""',
        *head,
        "    values = []",
        "    gradients = []",
        "    outputs = []",
        *row,
        *body,
        f"        values.append({code.value})",
        *tuple_lines("gradients.append((", code.gradients, "))", indent="        "),
        *outputs,
        "    return values, gradients, outputs",
    ]
    return "\n".join(sums) + "\n\n\n" + "\n".join(each) + "\n"


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


class BatchStep:
    """A per-sample kernel: `step(param_values, rows)` gives Σ over rows of the value and of its
    gradient by each parameter; `per_sample=True` gives each row's instead."""

    def __init__(self, code: KernelCode, params: tuple[Value, ...], batch: tuple[Value, ...],
                 backend: str) -> None:
        self.params = params
        self.batch_inputs = batch
        self.backend = backend
        self.node_count = code.node_count
        self.aux_count = len(code.aux)
        self._python_source = python_source(code)
        self._run: Any
        if backend == "native":
            from .native import NativeKernel  # llvmlite and numpy: imported only when asked for

            self._run = NativeKernel(code, self._python_source)
        else:
            namespace = code.names.globals
            exec(builtins.compile(self._python_source, "<per-sample kernel>", "exec"), namespace)
            self._run = _PythonKernel(namespace.pop(SUM_KERNEL), namespace.pop(ROW_KERNEL))

    @property
    def source(self) -> str:
        """The generated code: the python backend's Python, the native backend's LLVM IR."""
        return str(self._run.source) if self.backend == "native" else self._python_source

    def __call__(self, param_values: Iterable[float], rows: Any,
                 per_sample: bool = False) -> tuple[Any, Any]:
        """(Σ value, Σ gradient) over the rows, or with per_sample (each value, each gradient).

        rows: a list of rows or a 2-D array, each row one number per batch input (an iterator
        is read once into a list). The python backend gives floats and tuples, the native one
        numpy arrays.
        """
        result = self.with_aux(param_values, rows, per_sample)
        return result[0], result[1]

    def with_aux(self, param_values: Iterable[float], rows: Any,
                 per_sample: bool = False) -> tuple[Any, Any, Any]:
        """What calling the step gives, and each row's values of the aux nodes as well."""
        param_values, rows = _listed(param_values), _listed_rows(rows)
        try:
            result: tuple[Any, Any, Any] = self._run(param_values, rows, per_sample)
        except (TypeError, ValueError, IndexError):
            self._check(param_values, rows)  # says what was wrong; else the error was ours
            raise
        return result

    def _check(self, param_values: Any, rows: Any) -> None:
        expected = len(self.params)
        width = len(self.batch_inputs)
        if not hasattr(param_values, "__len__") or isinstance(param_values, str):
            raise TypeError(f"a per-sample kernel takes {expected} parameter values, got "
                            f"{type(param_values).__name__}")
        if len(param_values) != expected:
            raise ValueError(f"this kernel takes {expected} parameter values, got "
                             f"{len(param_values)}")
        _check_numbers(param_values, "param_values")
        if not hasattr(rows, "__len__") or isinstance(rows, str):
            raise TypeError(f"rows must be a list of rows or a 2-D array, got "
                            f"{type(rows).__name__}")
        for i, row in enumerate(rows):
            if not hasattr(row, "__len__") or len(row) != width:
                raise ValueError(f"each row must hold {width} numbers, one per batch input: "
                                 f"rows[{i}] is {row!r:.60}")
            _check_numbers(row, f"rows[{i}]")

    def __repr__(self) -> str:
        return (f"<BatchStep ({self.backend}): {self.node_count} nodes a sample, "
                f"{len(self.params)} parameters, {len(self.batch_inputs)} batch inputs>")


def _listed(values: Any) -> Any:
    """An iterable without a length (an iterator, a generator) read once into a list."""
    if hasattr(values, "__len__") or not hasattr(values, "__iter__"):
        return values
    return list(values)


def _listed_rows(rows: Any) -> Any:
    """rows listed, and each row of them that is an iterator (an array stays as it is)."""
    rows = _listed(rows)
    if hasattr(rows, "tolist") or not isinstance(rows, Sequence) or all(
            hasattr(row, "__len__") for row in rows):
        return rows
    return [_listed(row) for row in rows]


def as_floats(values: Any, where: str = "param_values") -> list[float]:
    """Real numbers as floats, one beyond a float's range ±inf, as Value(number) makes it."""
    _check_numbers(values, where)
    return [to_float(x) for x in values]


def rows_as_floats(rows: Any) -> list[list[float]]:
    """Each row's real numbers as floats (see as_floats)."""
    return [as_floats(row, f"rows[{i}]") for i, row in enumerate(rows)]


def _check_numbers(values: Any, where: str) -> None:
    for j, x in enumerate(values):
        if not isinstance(x, numbers.Real):
            hint = " (pass its .data)" if isinstance(x, Value) else ""
            raise TypeError(f"{where}[{j}] must be a real number, got {type(x).__name__}{hint}")


class _PythonKernel:
    """The generated Python functions, fed lists of floats."""

    def __init__(self, sums: Any, each: Any) -> None:
        self._sums = sums
        self._each = each

    def __call__(self, params: Sequence[float], rows: Any,
                 per_sample: bool) -> tuple[Any, Any, Any]:
        if hasattr(rows, "tolist"):  # an array: its rows as lists of floats
            rows = rows.tolist()
        if hasattr(params, "tolist"):
            params = params.tolist()
        if not all(type(x) is float for x in params):  # a Value would build a graph instead
            params = as_floats(params, "param_values")
        if not all(type(x) is float for row in rows for x in row):
            rows = rows_as_floats(rows)
        function = self._each if per_sample else self._sums
        result: tuple[Any, Any, Any] = function(params, rows)
        return result


def compile_kernel(root: Value, order: list[Value], position: dict[int, int],
                   params: tuple[Value, ...], batch: tuple[Value, ...],
                   aux: tuple[Value, ...], backend: str) -> BatchStep:
    """The per-sample kernel of root's graph (see compile())."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, "
                         f"got {backend!r}")
    overlap = {id(p) for p in params} & {id(x) for x in batch}
    if overlap:
        raise ValueError("a leaf cannot be both in inputs and in batch_inputs")
    code = kernel_code(root, order, position, params, batch, aux)
    return BatchStep(code, params, batch, backend)
