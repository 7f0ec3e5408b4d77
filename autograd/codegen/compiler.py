"""compile(): a built graph turned into straight-line Python, its forward then its backward.

The graph a program built once is the program. `compile(root, inputs)` walks it once, writes one
line a node (`v7 = v3 * v5`) and one a local derivative (`g3 += g7 * v5`), all from the op
table's forwards and derivative rules (run on symbols, see `autograd.codegen.symbolic`), and runs
the source once to define a function. Calling the result with new numbers for the inputs gives the
root's value and its gradient without making a single Value.

What a trace cannot capture: the graph records which ops ran, not the Python that chose them.
A Python `if` on `.data` (or a loop whose length depends on it) while the graph was built is
frozen at the branch taken then; use ops instead (`relu`, `abs`, `step`, `sign`), which are
right for any input. Leaves not listed in `inputs` are constants: their value at compile time is
written into the code. Numbers taken from `.data` while building (`Value(x.data * 2)`) are
constants too. Nodes listed in `aux` (a model's outputs, say) have their values returned as well,
by `step.with_aux(values)`.
"""

from __future__ import annotations

import builtins
import numbers
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from .._checks import check_root
from ..engine.graph import topological_order
from ..engine.value import Value
from .symbolic import SUM, Namespace, Operand, Symbol, code_of

if TYPE_CHECKING:
    from .kernels import BatchStep

FUNCTION = "forward_backward"


class CompiledStep:
    """A graph compiled to Python: `step(values)` gives `(value, gradients)` for new inputs."""

    __slots__ = ("_function", "aux_count", "inputs", "node_count", "source")

    def __init__(self, function: Any, source: str, inputs: tuple[Value, ...],
                 node_count: int, aux_count: int = 0) -> None:
        self._function = function
        self.source = source
        self.inputs = inputs
        self.node_count = node_count
        self.aux_count = aux_count

    def __call__(self, values: Sequence[float]) -> tuple[float, tuple[float, ...]]:
        """The root's value and d(root)/d(input) for each input, the inputs set to values."""
        result: tuple[float, tuple[float, ...]] = self._function(self._checked(values))
        return (result[0], result[1]) if self.aux_count else result

    def with_aux(self, values: Sequence[float]
                 ) -> tuple[float, tuple[float, ...], tuple[float, ...]]:
        """What calling the step gives, and the value of each node of `aux` as well."""
        result: tuple[float, tuple[float, ...], tuple[float, ...]] = self._function(
            self._checked(values))
        return result if self.aux_count else (result[0], result[1], ())

    def _checked(self, values: Sequence[float]) -> Sequence[float]:
        expected = len(self.inputs)
        if not isinstance(values, Sequence) or isinstance(values, str):
            raise TypeError(f"a compiled step takes a sequence of {expected} numbers, one per "
                            f"input, got {type(values).__name__}")
        if len(values) != expected:
            raise ValueError(f"this step takes {expected} values, one per input, "
                             f"got {len(values)}")
        if all(type(x) is float for x in values):
            return values
        return [_as_float(x, i) for i, x in enumerate(values)]

    def __repr__(self) -> str:
        return f"<CompiledStep: {self.node_count} nodes, {len(self.inputs)} inputs>"


def _as_float(x: object, i: int) -> float:
    if isinstance(x, numbers.Real):
        return float(x)
    hint = " (pass its .data)" if isinstance(x, Value) else ""
    raise TypeError(f"values[{i}] must be a real number, got {type(x).__name__}{hint}")


@overload
def compile(root: Value, inputs: Sequence[Value], aux: Sequence[Value] = (), *,
            batch_inputs: None = None, backend: str = "python",
            allow_unused: bool = False) -> CompiledStep: ...
@overload
def compile(root: Value, inputs: Sequence[Value], aux: Sequence[Value] = (), *,
            batch_inputs: Sequence[Value], backend: str = "python",
            allow_unused: bool = False) -> BatchStep: ...
def compile(root: Value, inputs: Sequence[Value], aux: Sequence[Value] = (), *,
            batch_inputs: Sequence[Value] | None = None, backend: str = "python",
            allow_unused: bool = False) -> CompiledStep | BatchStep:
    """Compile root's graph to Python giving root's value and its gradient for each input.

    With batch_inputs, root is one sample's loss: the result is a per-sample kernel
    (`autograd.codegen.kernels.BatchStep`) that runs it over rows of those leaves' numbers and sums
    the gradients; backend "native" compiles it to machine code (needs chainrule[native]).
    An input root does not depend on is refused, or with allow_unused its gradient is 0.0 (as
    torch.autograd.grad's with allow_unused and materialize_grads).
    """
    check_root(root, "compile()")
    inputs = _checked_inputs(inputs)
    aux = _checked_aux(aux)
    batch = None if batch_inputs is None else _checked_inputs(batch_inputs, "batch_inputs")
    if batch is None and backend != "python":
        raise ValueError(f"backend={backend!r} compiles per-sample kernels: give batch_inputs "
                         "(the leaves that take each row's numbers)")
    order = topological_order(root)
    if allow_unused:  # leaves of their own, before the graph: nothing reads them
        reached = {id(node) for node in order}
        order = [*(leaf for leaf in inputs if id(leaf) not in reached), *order]
    position = {id(node): k for k, node in enumerate(order)}
    for name, nodes in (("inputs", inputs), ("aux", aux), ("batch_inputs", batch or ())):
        for i, node in enumerate(nodes):
            if id(node) not in position:
                raise ValueError(f"{name}[{i}] ({node!r}) is not in the graph of root")
    if batch is not None:
        from .kernels import compile_kernel  # which imports this module's straight_line

        return compile_kernel(root, order, position, inputs, batch, aux, backend)
    source, names = _generate(order, position, inputs, aux)
    code = builtins.compile(source, "<compiled step>", "exec")
    exec(code, names.globals)  # our own generated source, with no builtins and bound names only
    # taken out of its own globals, where it would make a reference cycle
    function = names.globals.pop(FUNCTION)
    return CompiledStep(function, source, inputs, len(order), len(aux))


def _checked_inputs(inputs: object, what: str = "inputs") -> tuple[Value, ...]:
    if isinstance(inputs, Value | str) or not isinstance(inputs, Sequence):
        raise TypeError(f"compile() expects {what} as a list or tuple of Values, got "
                        f"{type(inputs).__name__}")
    seen: set[int] = set()
    for i, leaf in enumerate(inputs):
        if not isinstance(leaf, Value):
            raise TypeError(f"{what}[{i}] must be a Value, got {type(leaf).__name__}")
        if leaf.op is not None:
            raise ValueError(f"{what}[{i}] was made by {leaf.op!r}: {what} must be leaves "
                             "(Values made directly, not by an op)")
        if id(leaf) in seen:
            raise ValueError(f"{what}[{i}] is listed twice")
        seen.add(id(leaf))
    return tuple(inputs)


def _checked_aux(aux: object) -> tuple[Value, ...]:
    if isinstance(aux, Value | str) or not isinstance(aux, Sequence):
        raise TypeError(f"compile() expects aux as a list or tuple of Values, got "
                        f"{type(aux).__name__}")
    for i, node in enumerate(aux):
        if not isinstance(node, Value):
            raise TypeError(f"aux[{i}] must be a Value, got {type(node).__name__}")
    return tuple(aux)


@dataclass
class StraightLine:
    """A graph written as straight-line code: each node's value and gradient, and the lines.

    values[k] and grads[k] are node k's (a symbol or a number; a gradient is None where the root
    does not depend on the node through a differentiated leaf).
    """

    forward: list[str]
    backward: list[str]
    values: list[Operand]
    grads: list[Operand]
    names: Namespace


def straight_line(order: list[Value], position: dict[int, int], leaves: Sequence[Value],
                  wrt: Sequence[Value], names: Namespace) -> StraightLine:
    """The lines computing each node from the leaves (symbols v<k>), then each gradient g<k>
    of a node that depends on a leaf of wrt; other leaves are constants written into the code."""
    symbolic = {id(leaf) for leaf in leaves}
    differentiated = {id(leaf) for leaf in wrt}
    values: list[Operand] = []  # each node's value: a symbol, or a number if it is constant
    # whether each node depends on a leaf of wrt: those need a gradient, even where their value
    # is a number (keep(x, 0) is 0, but its gradient can still be 0 * inf, as eager's is)
    varies: list[bool] = []
    forward: list[str] = []
    for k, node in enumerate(order):
        op = node.op_info
        if op is None:
            values.append(names.symbol(f"v{k}") if id(node) in symbolic else node.data)
            varies.append(id(node) in differentiated)
            continue
        slots = [position[id(p)] for p in node.parents]
        result = names.apply(op, *(values[s] for s in slots))
        if isinstance(result, Symbol):
            forward.append(f"v{k} = {result.code}{_comment(node.label)}")
            result = names.symbol(f"v{k}")
        values.append(result)
        varies.append(any(varies[s] for s in slots))
    backward, grads = _backward(order, position, values, varies, names)
    return StraightLine(forward, backward, values, grads, names)


def gradient_code(line: StraightLine, slot: int) -> str:
    """The source of node slot's gradient: a sum from 0.0, as backward()'s are, so never -0.0."""
    grad = line.grads[slot]
    return code_of(0.0 + (0.0 if grad is None else grad))


def _generate(order: list[Value], position: dict[int, int], inputs: tuple[Value, ...],
              aux: tuple[Value, ...] = ()) -> tuple[str, Namespace]:
    """The source of the function, and the namespace it runs in."""
    line = straight_line(order, position, inputs, inputs,
                         Namespace(reserved=(FUNCTION, "values")))
    unpack = [f"v{position[id(leaf)]}" for leaf in inputs]
    gradients = [gradient_code(line, position[id(leaf)]) for leaf in inputs]
    returned = tuple_lines(f"return {code_of(line.values[-1])}, (", gradients,
                           "), (" if aux else ")")
    if aux:  # a third tuple: the aux nodes' values
        outputs = [code_of(line.values[position[id(node)]]) for node in aux]
        returned += tuple_lines("", outputs, ")")[1:]
    lines = [
        f"def {FUNCTION}(values):",
        f'    """The value of a graph of {len(order)} nodes and its gradient for {len(inputs)} '
        'inputs."""',
        *tuple_lines("(", unpack, ") = values"),
        "    # forward",
        *("    " + text for text in line.forward),
        "    # backward: g<k> is d(root)/d(v<k>)",
        *("    " + text for text in line.backward),
        "    # 0.0 + g: a gradient is a sum from 0.0, as backward()'s are, so never -0.0",
        *returned,
    ]
    return "\n".join(lines) + "\n", line.names


def _backward(order: list[Value], position: dict[int, int], values: list[Operand],
              varies: list[bool], names: Namespace) -> tuple[list[str], list[Operand]]:
    """The backward lines, and each node's gradient (see _accumulate).

    Contributions are added consumers first, in the eager engine's order, so that the sums are
    rounded as it rounds them.
    """
    grads: list[Operand] = [None] * len(order)
    grads[-1] = 1.0
    owned: set[int] = set()  # nodes whose gradient is a local g<k> of their own
    lines: list[str] = []
    for k in range(len(order) - 1, -1, -1):
        op = order[k].op_info
        if op is None or not varies[k]:
            continue
        slots = [position[id(p)] for p in order[k].parents]
        try:
            derivatives = op.local_derivatives(*(values[s] for s in slots), values[k])
        except TypeError as error:
            raise TypeError(f"the derivative rule of op {op.name!r} cannot be compiled: {error}"
                            ) from None
        for s, derivative in zip(slots, derivatives, strict=True):
            if varies[s]:
                line = _accumulate(grads, owned, s, grads[k] * derivative, names)
                if line is not None:
                    lines.append(line)
    return lines, grads


def _accumulate(grads: list[Operand], owned: set[int], s: int, term: Operand,
                names: Namespace) -> str | None:
    """Add term to node s's gradient, returning the line that does it, if one is needed.

    A gradient is None before its first term; then that term itself where it is a name or a
    number (a copy: the name is final by now, and no line is written); else a local g<s> of
    its own (in owned), set by its first line and added to by the next ones.
    """
    previous = grads[s]
    if previous is None and _is_name_or_number(term):
        grads[s] = term
        return None
    grads[s] = names.symbol(f"g{s}")
    if s in owned:
        return f"g{s} += {code_of(term)}"
    owned.add(s)
    if previous is None:
        return f"g{s} = {code_of(term)}"
    return f"g{s} = {code_of(previous, SUM)} + {code_of(term, SUM, True)}"


def _is_name_or_number(x: Operand) -> bool:
    return not isinstance(x, Symbol) or x.code.isidentifier()


def _comment(label: str) -> str:
    label = " ".join("".join(c if c.isprintable() else " " for c in label).split())
    return f"  # {label}" if label else ""


def tuple_lines(opening: str, items: list[str], closing: str, indent: str = "    "
                ) -> list[str]:
    """A statement with a tuple display, its items wrapped inside the brackets."""
    body = textwrap.wrap(" ".join(item + "," for item in items), width=92,
                         break_long_words=False, break_on_hyphens=False)
    return [f"{indent}{opening}", *(f"{indent}    {line}" for line in body), f"{indent}{closing}"]
