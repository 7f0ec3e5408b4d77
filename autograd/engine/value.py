"""Value: one float in the computational graph, the op that made it and its gradient."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from itertools import compress
from operator import attrgetter
from typing import Any

from . import anomaly, graph, modes
from .ops import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LEAKY_RELU,
    LOG,
    MUL,
    NEG,
    POW,
    POW_XY,
    RELU,
    SIGMOID,
    SIGN,
    SIN,
    SQRT,
    STEP,
    SUB,
    TANH,
    Op,
    register_node_type,
    to_float,
)


def _as_float(x: object, what: str = "Value") -> float:
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return to_float(x)
    raise TypeError(f"{what} expects a real number, got {type(x).__name__}: {x!r:.40}")


def _operator(op: Op, symbol: str, reflected: bool = False) -> Callable[[Value, object], Value]:
    """The method for a binary operator: self op other, or other op self when reflected."""
    evaluate = op.evaluate

    def method(self: Value, other: object) -> Value:
        if type(other) is not Value:
            other = _constant(other, symbol)
        return _record(op, evaluate(self.data, other.data), self, other)

    def reflected_method(self: Value, other: object) -> Value:
        constant = _constant(other, symbol)
        return _record(op, evaluate(constant.data, self.data), constant, self)

    return reflected_method if reflected else method


def _comparison(compare: Callable[[float, float], bool]) -> Callable[[Value, object], Any]:
    """An order method comparing data with another Value's data or a real number."""

    def method(self: Value, other: object) -> Any:
        if type(other) is Value:
            return compare(self.data, other.data)
        if isinstance(other, numbers.Real):
            return compare(self.data, to_float(other))
        return NotImplemented

    return method


class Value:
    """A scalar node: `data`, the `grad` of the last backward root, its `parents` and `op`."""

    # The node's own slots: data, grad, label; _a and _b, its parents (None for a leaf); _op,
    # the op that made it (None exactly when it has no parents); _info, where it was made.
    # Parents live in two slots rather than a tuple: one GC-tracked object per node, not two,
    # which is what the cyclic collector's cost grows with. Every op has one or two inputs.
    # The walks' slots, which only graph.py reads or writes: _w, the token of the walk that
    # last claimed the node; _n and _g, that walk's count of consumers and gradient (unset
    # until a walk claims the node). _requires_grad backs the property requires_grad.
    __slots__ = ("_a", "_b", "_g", "_info", "_n", "_op", "_requires_grad", "_w", "data", "grad",
                 "label")

    data: float
    grad: float
    label: str
    _requires_grad: bool
    _a: Value | None
    _b: Value | None
    _op: Op | None
    _info: modes.NodeInfo | None
    _w: object
    _n: int
    _g: float

    def __init__(self, data: float, label: str = "", requires_grad: bool = True) -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data = _as_float(data)
        self.grad = 0.0
        self._requires_grad = True
        if requires_grad is not True:
            self.requires_grad = requires_grad
        self._a = self._b = None
        self._op = None
        self.label = label
        self._info = None
        self._w = None

    @property
    def requires_grad(self) -> bool:
        """Whether backward reaches this node: False, and ops record no edge to it (they take
        its value as a constant's) and optimizers leave it as it is. True unless set."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        global _some_frozen
        if not isinstance(flag, bool):
            raise TypeError(f"requires_grad must be True or False, got {flag!r:.40}")
        if not flag:
            _some_frozen = True  # first: ops start checking before any node is frozen
        self._requires_grad = flag

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this node, in order; () for a leaf."""
        a, b = self._a, self._b
        return () if a is None else (a,) if b is None else (a, b)

    @property
    def op(self) -> str | None:
        """The name of the op that made this node, None for a leaf."""
        return None if self._op is None else self._op.name

    @property
    def op_info(self) -> Op | None:
        """The op table row that made this node (with its params), None for a leaf."""
        return self._op

    @property
    def scopes(self) -> tuple[str, ...]:
        """The names of the scopes open when this node was made, outermost first."""
        return () if self._info is None else self._info.scopes

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        extra += f", op={self.op!r}" if self._op is not None else ""
        extra += "" if self.requires_grad else ", requires_grad=False"
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    # --- a number where Python wants one, as a 0-d torch.Tensor is ---

    def __float__(self) -> float:
        if modes.open_contexts:
            modes.check_number_readable(self)
        return self.data

    def item(self) -> float:
        """The value as a float: `data`, as torch.Tensor.item() reads a 0-d tensor."""
        return self.__float__()

    def __round__(self, ndigits: int | None = None) -> Any:
        """round(data, ndigits): an int without ndigits, else a float (no node is made)."""
        return round(self.data, ndigits)

    # Orders compare data and answer a bool, so `if loss < best:` works; == and hash stay
    # identity, since a node is a dict key and set member in every walk (`a == b` is `a is b`).
    __lt__ = _comparison(float.__lt__)
    __le__ = _comparison(float.__le__)
    __gt__ = _comparison(float.__gt__)
    __ge__ = _comparison(float.__ge__)

    # --- the chain rule ---

    def backward(self, grad: float = 1.0) -> None:
        """Add grad * d(self)/d(node) to the `grad` of every node in this graph, once each."""
        graph.backward(self, _as_float(grad, "backward(grad)"))

    def zero_grad(self) -> None:
        """Set `grad` to 0 on every node of this graph."""
        for node in graph.topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with this node's data and label, cut off from the graph."""
        return Value(self.data, self.label)

    # --- arithmetic: either operand may be a Value, a float or an int ---

    __add__ = _operator(ADD, "+")
    __radd__ = _operator(ADD, "+", reflected=True)
    __sub__ = _operator(SUB, "-")
    __rsub__ = _operator(SUB, "-", reflected=True)
    __mul__ = _operator(MUL, "*")
    __rmul__ = _operator(MUL, "*", reflected=True)
    __truediv__ = _operator(DIV, "/")
    __rtruediv__ = _operator(DIV, "/", reflected=True)

    def __pow__(self, other: object) -> Value:
        if type(other) is not Value and isinstance(other, numbers.Real):
            return _unary(POW.bind(exponent=to_float(other)), self)
        return self._power(other)

    __rpow__ = _operator(POW_XY, "**", reflected=True)
    _power = _operator(POW_XY, "**")

    def __neg__(self) -> Value:
        return _unary(NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(ABS, self)

    # --- functions (also module-level: autograd.exp(x) for a float or a Value) ---

    def exp(self) -> Value:
        """e ** self."""
        return _unary(EXP, self)

    def log(self) -> Value:
        """Natural logarithm: -inf at 0, nan below."""
        return _unary(LOG, self)

    def sqrt(self) -> Value:
        """Square root: nan below 0."""
        return _unary(SQRT, self)

    def sin(self) -> Value:
        """Sine."""
        return _unary(SIN, self)

    def cos(self) -> Value:
        """Cosine."""
        return _unary(COS, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _unary(TANH, self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e^-x), stable at any x."""
        return _unary(SIGMOID, self)

    def relu(self) -> Value:
        """max(self, 0), with derivative 0 at 0."""
        return _unary(RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """self where positive, else slope * self."""
        op = LEAKY_RELU if slope == 0.01 else LEAKY_RELU.bind(slope=_as_float(slope, "slope"))
        return _unary(op, self)

    def sign(self) -> Value:
        """-1, 0 or 1 by the sign of self (derivative 0)."""
        return _unary(SIGN, self)

    def step(self, low: float = 0.0, high: float = 1.0) -> Value:
        """high where self > 0, else low (derivative 0)."""
        return _unary(STEP.bind(low=low, high=high), self)


def _constant(x: object, symbol: str) -> Value:
    """x as a constant leaf, or a TypeError naming its type if it is not a real number."""
    if type(x) is float or type(x) is int or isinstance(x, numbers.Real):
        constant = _record(None, to_float(x), None)
        constant._requires_grad = False
        return constant
    raise TypeError(
        f"unsupported operand type for {symbol}: Value and {type(x).__name__} "
        "(expected a Value, a float or an int)"
    )


def _record(op: Op | None, data: float, a: Value | None, b: Value | None = None) -> Value:
    """A new node made by op from a and b (a leaf when op is None)."""
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node._w = None
    node.label = ""
    node._info = None
    node._a = a
    node._b = b
    node._op = op
    node._requires_grad = True
    if _some_frozen and a is not None and not (
            a._requires_grad and (b is None or b._requires_grad)):
        _cut_frozen(node)
    if modes.open_contexts:
        _apply_modes(node)
    return node


# Whether any node's requires_grad has ever been set to False: until then an op pays nothing
# for the flag but one store (checking both inputs' flags costs an op some 6%, as measured).
_some_frozen = False


def _cut_frozen(node: Value) -> None:
    """Record no edge to an input that does not require grad: it becomes a constant leaf of
    its value and label (backward leaves it alone), and a node none of whose inputs requires
    grad is a leaf that does not either, as in PyTorch."""
    a, b = node._a, node._b
    assert a is not None  # _record checked
    if not a._requires_grad and (b is None or not b._requires_grad):
        node._a = node._b = node._op = None
        node._requires_grad = False
    elif not a._requires_grad:
        node._a = _frozen_copy(a)
    elif b is not None:
        node._b = _frozen_copy(b)


def _frozen_copy(x: Value) -> Value:
    copy = _constant(x.data, "")
    copy.label = x.label
    return copy


def indices_requiring_grad(nodes: Sequence[Value]) -> Sequence[int]:
    """The index of each of nodes whose requires_grad is True: range(len(nodes)) while no node
    was ever frozen, so optimizers pay for freezing only once it is used."""
    if not _some_frozen:
        return range(len(nodes))
    return list(compress(range(len(nodes)), map(_REQUIRES_GRAD, nodes)))


_REQUIRES_GRAD = attrgetter("_requires_grad")


def _apply_modes(node: Value) -> None:
    state = modes.state()
    info = state.info
    if state.anomaly_depth:
        info = anomaly.observe(node, info)
    if state.no_grad_depth:
        node._a = node._b = node._op = None
    node._info = info


_new_value = object.__new__


def _unary(op: Op, x: Value) -> Value:
    return _record(op, op.evaluate(x.data), x)


def apply(op: Op, *inputs: Value | float) -> Value:
    """The node op makes from inputs (Values, or numbers taken as constants)."""
    if len(inputs) != op.arity:
        raise TypeError(f"{op.name} takes {op.arity} input(s), got {len(inputs)}")
    # unrolled for the one or two inputs every op has: the functions (autograd.exp(x)) and the
    # rules under create_graph come this way, and a comprehension took four times as long
    a = inputs[0]
    if type(a) is not Value:
        a = _constant(a, op.name)
    if len(inputs) == 1:
        return _record(op, op.evaluate(a.data), a)
    b = inputs[1]
    if type(b) is not Value:
        b = _constant(b, op.name)
    return _record(op, op.evaluate(a.data, b.data), a, b)


register_node_type(Value, apply)
