"""compile(): a built graph turned into straight-line Python, its forward then its backward.

The graph a program built once is the program. `compile(root, inputs)` walks it once, writes one
line a node (`v7 = v3 * v5`) and one a local derivative (`g3 += g7 * v5`), all from the op
table's forwards and derivative rules (run on symbols, see `autograd.symbolic`), and runs the
source once to define a function. Calling the result with new numbers for the inputs gives the
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
from typing import Any

from ._checks import check_root
from .graph import topological_order
from .symbolic import SUM, Namespace, Operand, Symbol, code_of
from .value import Value

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


def compile(root: Value, inputs: Sequence[Value], aux: Sequence[Value] = ()) -> CompiledStep:
    """Compile root's graph to Python giving root's value and its gradient for each input."""
    check_root(root, "compile()")
    inputs = _checked_inputs(inputs)
    aux = _checked_aux(aux)
    order = topological_order(root)
    position = {id(node): k for k, node in enumerate(order)}
    for name, nodes in (("inputs", inputs), ("aux", aux)):
        for i, node in enumerate(nodes):
            if id(node) not in position:
                raise ValueError(f"{name}[{i}] ({node!r}) is not in the graph of root")
    source, names = _generate(order, position, inputs, aux)
    code = builtins.compile(source, "<compiled step>", "exec")
    exec(code, names.globals)  # our own generated source, with no builtins and bound names only
    # taken out of its own globals, where it would make a reference cycle
    function = names.globals.pop(FUNCTION)
    return CompiledStep(function, source, inputs, len(order), len(aux))


def _checked_inputs(inputs: object) -> tuple[Value, ...]:
    if isinstance(inputs, Value | str) or not isinstance(inputs, Sequence):
        raise TypeError(f"compile() expects inputs as a list or tuple of Values, got "
                        f"{type(inputs).__name__}")
    seen: set[int] = set()
    for i, leaf in enumerate(inputs):
        if not isinstance(leaf, Value):
            raise TypeError(f"inputs[{i}] must be a Value, got {type(leaf).__name__}")
        if leaf.op is not None:
            raise ValueError(f"inputs[{i}] was made by {leaf.op!r}: inputs must be leaves "
                             "(Values made directly, not by an op)")
        if id(leaf) in seen:
            raise ValueError(f"inputs[{i}] is listed twice")
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


def _generate(order: list[Value], position: dict[int, int], inputs: tuple[Value, ...],
              aux: tuple[Value, ...] = ()) -> tuple[str, Namespace]:
    """The source of the function, and the namespace it runs in."""
    names = Namespace(reserved=(FUNCTION, "values"))
    is_input = {id(leaf) for leaf in inputs}
    values: list[Operand] = []  # each node's value: a symbol, or a number if it is constant
    # whether each node depends on an input: those need a gradient, even where their value is
    # a number (keep(x, 0) is 0, but its gradient can still be 0 * inf, as eager's is)
    varies: list[bool] = []
    forward: list[str] = []
    for k, node in enumerate(order):
        op = node.op_info
        if op is None:
            values.append(names.symbol(f"v{k}") if id(node) in is_input else node.data)
            varies.append(id(node) in is_input)
            continue
        slots = [position[id(p)] for p in node.parents]
        result = names.apply(op, *(values[s] for s in slots))
        if isinstance(result, Symbol):
            forward.append(f"v{k} = {result.code}{_comment(node.label)}")
            result = names.symbol(f"v{k}")
        values.append(result)
        varies.append(any(varies[s] for s in slots))
    backward, grads = _backward(order, position, values, varies, names)
    unpack = [f"v{position[id(leaf)]}" for leaf in inputs]
    gradients = [code_of(0.0 + grads[position[id(leaf)]]) for leaf in inputs]
    returned = _tuple_lines(f"return {code_of(values[-1])}, (", gradients, "), (" if aux else ")")
    if aux:  # a third tuple: the aux nodes' values
        outputs = [code_of(values[position[id(node)]]) for node in aux]
        returned += _tuple_lines("", outputs, ")")[1:]
    lines = [
        f"def {FUNCTION}(values):",
        f'    """The value of a graph of {len(order)} nodes and its gradient for {len(inputs)} '
        'inputs."""',
        *_tuple_lines("(", unpack, ") = values"),
        "    # forward",
        *("    " + line for line in forward),
        "    # backward: g<k> is d(root)/d(v<k>)",
        *("    " + line for line in backward),
        "    # 0.0 + g: a gradient is a sum from 0.0, as backward()'s are, so never -0.0",
        *returned,
    ]
    return "\n".join(lines) + "\n", names


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


def _tuple_lines(opening: str, items: list[str], closing: str) -> list[str]:
    """A statement with a tuple display, its items wrapped inside the brackets."""
    body = textwrap.wrap(" ".join(item + "," for item in items), width=92,
                         break_long_words=False, break_on_hyphens=False)
    return [f"    {opening}", *(f"        {line}" for line in body), f"    {closing}"]
