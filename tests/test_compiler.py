"""compile(): the generated step against the eager engine, on every op and on random graphs."""

from __future__ import annotations

import ast
import gc
import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from liveness import live_values
from test_value import EDGE_CASES, EDGE_IDS

import autograd
from autograd import OPS, CompiledStep, Value
from autograd.engine.ops import Domain, Op
from autograd.engine.value import apply
from autograd.testing import Program, op_with_inputs, programs, values


def same(a: float, b: float) -> bool:
    """Equal to the bit, zeros by their sign too, nan equal to nan: the compiled step rounds as
    the eager engine does."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def assert_matches_eager(step: CompiledStep, root: Value, inputs: Sequence[Value]) -> None:
    """The step at the inputs' current values gives root's value and eager's gradients."""
    value, grads = step([x.data for x in inputs])
    for node in autograd.topological_order(root):
        node.grad = 0.0
    root.backward()
    assert same(value, root.data), (value, root.data)
    assert len(grads) == len(inputs)
    for x, g in zip(inputs, grads, strict=True):
        assert same(g, x.grad), (g, x.grad)


def test_lecture_graph() -> None:
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    step = autograd.compile(f, [x, y, z])
    assert step([-2.0, 5.0, -4.0]) == (-12.0, (-4.0, -4.0, 3.0))
    assert step([1.0, 2.0, 3.0]) == (9.0, (3.0, 3.0, 3.0))
    assert step.inputs == (x, y, z)
    assert repr(step) == "<CompiledStep: 5 nodes, 3 inputs>"


def test_source_is_readable_straight_line_python() -> None:
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = ((x + y) * z).tanh()
    f.label = "f"
    source = autograd.compile(f, [x, y, z]).source
    body = source.splitlines()
    assert body[0] == "def forward_backward(values):"
    # add and mul are written as Python arithmetic, tanh calls the op table's float forward
    assert "    v3 = v1 + v2" in body or "    v3 = v2 + v1" in body
    assert any(line.endswith("= tanh(v4)  # f") for line in body)
    # tanh's derivative rule (1 - out)(1 + out), written out on the output's local
    assert "    g4 = (1.0 - v5) * (1.0 + v5)" in body
    branches = (ast.For, ast.While, ast.If, ast.IfExp, ast.Lambda, ast.comprehension)
    assert not any(isinstance(node, branches) for node in ast.walk(ast.parse(source)))


def test_the_same_graph_compiles_to_the_same_source() -> None:
    def build() -> tuple[Value, list[Value]]:
        x, y = Value(0.3), Value(-1.2)
        return (x * y).sigmoid() + x.exp() * y, [x, y]

    assert autograd.compile(*build()).source == autograd.compile(*build()).source


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_every_op_matches_eager(name: str, data: st.DataObject) -> None:
    op, xs = data.draw(op_with_inputs(OPS[name]))
    inputs = values(xs)
    out = apply(op, *inputs)
    assert_matches_eager(autograd.compile(out, inputs), out, inputs)
    for i in range(len(inputs)):  # each input alone, the others constant
        assert_matches_eager(autograd.compile(out, [inputs[i]]), out, [inputs[i]])


@pytest.mark.parametrize(("name", "fn", "x", "derivative"), EDGE_CASES, ids=EDGE_IDS)
def test_edge_cases_match_eager(name: str, fn: Callable[[Value], Value], x: float,
                                derivative: float) -> None:
    v = Value(x)
    out = fn(v)
    assert_matches_eager(autograd.compile(out, [v]), out, [v])


@given(programs(), st.data())
def test_random_graphs_match_eager(program: Program, data: st.DataObject) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    in_graph = {id(node) for node in autograd.topological_order(root)}
    chosen = [i for i in data.draw(st.permutations(range(len(leaves))))
              if id(leaves[i]) in in_graph and data.draw(st.booleans())]
    inputs = [leaves[i] for i in chosen]
    step = autograd.compile(root, inputs)
    assert_matches_eager(step, root, inputs)
    # new numbers for the inputs: the same as building the graph again from them
    for x in inputs:
        x.data = data.draw(st.floats(-2.0, 2.0))
    rebuilt = values([x.data for x in leaves])
    again = program.run(*rebuilt)
    again.backward()
    value, grads = step([x.data for x in inputs])
    assert same(value, again.data), (value, again.data)
    for i, g in zip(chosen, grads, strict=True):
        assert same(g, rebuilt[i].grad)


@given(programs(), st.data())
def test_aux_nodes_give_their_values_for_new_inputs(program: Program,
                                                    data: st.DataObject) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    order = autograd.topological_order(root)
    in_graph = {id(node) for node in order}
    inputs = [x for x in leaves if id(x) in in_graph]
    picked = data.draw(st.lists(st.integers(0, len(order) - 1), max_size=4))
    step = autograd.compile(root, inputs, aux=[order[k] for k in picked])
    for x in inputs:
        x.data = data.draw(st.floats(-2.0, 2.0))
    again = autograd.topological_order(program.run(*values([x.data for x in leaves])))
    value, grads, aux = step.with_aux([x.data for x in inputs])
    assert (value, grads) == step([x.data for x in inputs])
    assert len(aux) == len(picked)
    for k, got in zip(picked, aux, strict=True):
        assert same(got, again[k].data), (got, again[k].data)


def test_aux_is_checked_and_without_it_with_aux_gives_an_empty_tuple() -> None:
    x = Value(2.0)
    f = x * 3.0
    assert autograd.compile(f, [x]).with_aux([1.0]) == (3.0, (3.0,), ())
    assert autograd.compile(f, [x], aux=[f, x]).with_aux([1.0]) == (3.0, (3.0,), (3.0, 1.0))
    with pytest.raises(TypeError, match="aux as a list or tuple of Values, got Value"):
        autograd.compile(f, [x], aux=f)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"aux\[0\] must be a Value, got float"):
        autograd.compile(f, [x], aux=[1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"aux\[0\] \(Value\(data=5.0.*is not in the graph"):
        autograd.compile(f, [x], aux=[Value(5.0)])


def test_leaves_not_listed_are_constants_at_their_compile_time_value() -> None:
    x, y = Value(2.0), Value(3.0)
    step = autograd.compile(x * y + y, [x])
    y.data = 100.0
    assert step([5.0]) == (18.0, (3.0,))
    assert "3.0" in step.source


def test_the_root_itself_as_input_and_a_graph_without_inputs() -> None:
    x = Value(4.0)
    assert autograd.compile(x, [x])([2.5]) == (2.5, (1.0,))
    assert autograd.compile(Value(3.0) * 2.0, [])([]) == (6.0, ())


def test_a_node_whose_value_is_a_number_still_passes_its_gradient_on() -> None:
    x = Value(2.0)
    masked = autograd.keep(x, 0.0)  # 0.0 for every x: its value is written as a number
    for root in (masked * 3.0, masked, x + masked * math.inf, x * masked.log()):
        assert_matches_eager(autograd.compile(root, [x]), root, [x])
    # x + 0 * inf: the 0 * inf on the way to x makes its gradient nan, as eager's is
    assert math.isnan(autograd.compile(x + masked * math.inf, [x])([5.0])[1][0])


def test_a_defined_op_whose_forward_is_a_constant_compiles(table: None) -> None:
    seven = autograd.define_op("seven", lambda a: 7.0, lambda a, out: (0.0,))
    x = Value(2.0)
    for root in (seven(x), seven(x) * x, seven(x) / 0.0):
        assert_matches_eager(autograd.compile(root, [x]), root, [x])


def test_gradients_are_zero_with_eager_signs() -> None:
    x = Value(-3.0)
    root = x * -0.0  # d/dx is -0.0, but a gradient starts at 0.0 and 0.0 + -0.0 is 0.0
    root.backward()
    assert math.copysign(1.0, x.grad) == 1.0
    assert math.copysign(1.0, autograd.compile(root, [x])([1.0])[1][0]) == 1.0


def test_a_reused_node_accumulates_as_eager_does() -> None:
    a = Value(3.0)
    b = a * a
    c = (b + b) * b
    assert_matches_eager(autograd.compile(c, [a]), c, [a])


def test_a_long_chain_compiles() -> None:
    x = Value(0.5)
    y = x
    for i in range(5_000):
        y = (y * 0.999).tanh() + x if i % 2 else y + x
    assert_matches_eager(autograd.compile(y, [x]), y, [x])


def test_a_python_branch_on_data_is_frozen_and_an_op_is_not() -> None:
    x = Value(2.0)
    traced = x * 3.0 if x.data > 0 else x * 0.0  # the trace keeps the branch taken: 3x
    step = autograd.compile(traced, [x])
    assert step([-1.0]) == (-3.0, (3.0,))
    relu = autograd.compile((x * 3.0).relu(), [x])  # an op is right for every input
    assert relu([-1.0]) == (0.0, (0.0,))
    assert relu([1.0]) == (3.0, (3.0,))


def test_an_op_outside_the_table_compiles_from_its_own_row() -> None:
    softplus = Op("softplus", "softplus", 1, lambda a: autograd.log(1.0 + autograd.exp(a)),
                  lambda a, out: (autograd.sigmoid(a),), (Domain(),))
    x = Value(0.7)
    out = apply(softplus, x) * x
    step = autograd.compile(out, [x])
    assert_matches_eager(step, out, [x])
    assert "log(1.0 + exp(v0))" in step.source  # its forward, written with ops, is inlined


def test_a_derivative_rule_that_branches_on_its_input_is_refused() -> None:
    bent = Op("bent", "bent", 1, lambda a: a * a if a > 0.0 else a,
              lambda a, out: (2.0 * a if a > 0.0 else 1.0,), (Domain(),))
    x = Value(0.5)
    with pytest.raises(TypeError, match="derivative rule of op 'bent' cannot be compiled"):
        autograd.compile(apply(bent, x), [x])


def test_step_checks_its_values() -> None:
    x, y = Value(1.0), Value(2.0)
    step = autograd.compile(x * y, [x, y])
    with pytest.raises(ValueError, match="takes 2 values, one per input, got 3"):
        step([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"values\[1\] must be a real number, got str"):
        step([1.0, "2"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"got Value \(pass its .data\)"):
        step([1.0, y])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="sequence of 2 numbers, one per input, got float"):
        step(1.0)  # type: ignore[arg-type]
    assert step((3, True)) == (3.0, (1.0, 3.0))  # ints and bools are numbers


def test_compile_checks_root_and_inputs() -> None:
    x, y = Value(1.0), Value(2.0)
    f = x * 2.0
    with pytest.raises(TypeError, match=r"compile\(\) expects a Value, got float"):
        autograd.compile(1.0, [x])  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="list or tuple of Values, got Value"):
        autograd.compile(f, x)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got float"):
        autograd.compile(f, [x, 2.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"inputs\[0\] \(Value\(data=2.0.*is not in the graph"):
        autograd.compile(f, [y])
    with pytest.raises(ValueError, match=r"inputs\[0\] was made by 'mul': inputs must be leaves"):
        autograd.compile(f * f, [f])
    with pytest.raises(ValueError, match=r"inputs\[1\] is listed twice"):
        autograd.compile(f, [x, x])


def test_labels_are_only_comments() -> None:
    x = Value(1.5, label="x")
    y = x * 2.0
    y.label = "two x\n    return 0.0\x00 # done"
    step = autograd.compile(y, [x])
    assert "  # two x return 0.0 # done" in step.source
    assert step([4.0]) == (8.0, (2.0,))


def test_an_op_with_any_name_and_params_compiles() -> None:
    scaled = Op("scale by k!", "·k", 1, lambda a, **p: a * p["for"],
                lambda a, out, **p: (p["for"],), (Domain(),), params=(("for", 3.0),))
    x = Value(0.5)
    out = apply(scaled, x).exp()
    step = autograd.compile(out, [x])
    assert_matches_eager(step, out, [x])
    assert "scale_by_k_(" not in step.source  # its forward ran on symbols: `v0 * 3.0`
    # a forward of floats only is called, its params bound (`if` cannot be a keyword argument)
    called = Op("sign of", "s", 1, lambda a, **p: math.copysign(p["if"], a),
                lambda a, out, **p: (0.0,), (Domain(),), params=(("if", 2.0),))
    out = apply(called, x) * x
    step = autograd.compile(out, [x])
    assert_matches_eager(step, out, [x])
    assert "v1 = sign_of(v0)" in step.source


def test_a_training_loop_compiles_once_and_feeds_new_batches() -> None:
    w, b = Value(0.0), Value(0.0)
    xs, ys = [Value(0.0) for _ in range(4)], [Value(0.0) for _ in range(4)]
    loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys, strict=True)) * 0.25
    assert isinstance(loss, Value)
    step = autograd.compile(loss, [w, b, *xs, *ys])
    weights = [0.0, 0.0]
    for i in range(200):
        batch_x = [math.sin(i + k) for k in range(4)]
        value, grads = step(weights + batch_x + [3.0 * x + 1.0 for x in batch_x])
        weights = [p - 0.1 * g for p, g in zip(weights, grads[:2], strict=True)]
    assert value < 1e-12
    assert math.isclose(weights[0], 3.0, rel_tol=1e-6)
    assert math.isclose(weights[1], 1.0, rel_tol=1e-6)


def test_the_step_keeps_only_its_inputs_alive() -> None:
    gc.collect()
    before = live_values()
    x, y = Value(1.0), Value(2.0)
    out = ((x * y).tanh() + 3.0) * x
    step = autograd.compile(out, [x, y])
    del out
    assert live_values() == before + 2
    assert step([1.0, 2.0])[0] == (math.tanh(2.0) + 3.0) * 1.0



def test_a_dropped_step_is_freed_by_reference_counting_alone() -> None:
    gc.collect()
    gc.disable()  # so that only reference counting frees
    try:
        x = Value(1.0)
        step = autograd.compile((x * 2.0).tanh(), [x])
        function = weakref.ref(step._function)
        del step
        assert function() is None
    finally:
        gc.enable()


SUNG: list[str] = []


class Canary:
    """Reachable from code with no builtins at all, through object.__subclasses__()."""

    @staticmethod
    def sing() -> float:
        SUNG.append("code ran")
        return 1.0


class HostileKey(str):
    """A param name that claims to be an identifier and formats itself as code that sings."""

    def isidentifier(self) -> bool:
        return True

    def __format__(self, spec: str) -> str:
        return ("k=[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "
                "'Canary'][0].sing(), j")


def test_a_param_name_cannot_write_code_into_a_step() -> None:
    def attack() -> None:
        # a forward of floats only: the step calls it, writing its params as keywords
        op = Op("hostile", "h", 1, lambda a, **params: math.copysign(2.0, a),
                lambda a, out, **params: (0.0,), (Domain(),), params=((HostileKey("k"), 1.0),))
        x = Value(1.0)
        autograd.compile(apply(op, x) * x, [x])([1.0])

    with pytest.raises(TypeError, match="a param's name must be a str that is an identifier"):
        attack()
    assert SUNG == []

# --- every op on edge inputs: compiled and eager agree to the bit, in random graphs ---

EDGE_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.0, math.inf, -math.inf, math.nan,
               1e300, -1e300, 1e-300, -1e-300, 5e-324, -5e-324, 1e-310, 2.2250738585072014e-308,
               1.7976931348623157e308)
edge_floats = st.sampled_from(EDGE_FLOATS) | st.floats()  # st.floats() also gives subnormals
# operands where shortcuts such as x * 0 -> 0 or x + 0 -> x would not be IEEE arithmetic
CONSTANTS = (0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan)
numbers = st.sampled_from(CONSTANTS)
one_operand = st.sampled_from((None, 0, 1))  # which operand of two is a number, if any


@dataclass(frozen=True)
class OpGraph:
    """Leaves, then steps each applying an op of the table to earlier nodes or to numbers."""

    leaves: tuple[float, ...]
    # (op name, params, arguments: an int the index of an earlier node, a float a number)
    steps: tuple[tuple[str, tuple[tuple[str, float], ...], tuple[int | float, ...]], ...]
    differentiate: int | None  # the root: the last node, or its gradient by this leaf

    def build(self, leaf_values: Sequence[float]) -> tuple[list[Value], Value]:
        """Fresh leaves with these values, and the root built from them."""
        leaves = values(leaf_values)
        nodes: list[Value] = list(leaves)
        for name, params, args in self.steps:
            op = OPS[name].bind(**dict(params)) if params else OPS[name]
            nodes.append(apply(op, *(nodes[a] if isinstance(a, int) else a for a in args)))
        root = nodes[-1]
        if self.differentiate is not None:
            (first,) = autograd.grad(root, [leaves[self.differentiate]], create_graph=True)
            root = first
        return leaves, root


@st.composite
def op_graphs(draw: st.DrawFn, max_leaves: int = 3) -> OpGraph:
    """A random graph on edge values with every op of the table once, in a random order, each
    taking earlier nodes or (for one of two operands) a number."""
    leaves = tuple(draw(st.lists(edge_floats, min_size=1, max_size=max_leaves)))
    steps = []
    for k, name in enumerate(draw(st.permutations(sorted(OPS)))):
        op = OPS[name]
        params = tuple((key, draw(edge_floats)) for key, _ in op.param_domains)
        latest = len(leaves) + k - 1  # drawn twice as often, so that most steps reach the root
        args: list[int | float] = [min(draw(st.integers(0, latest + 1)), latest)
                                   for _ in range(op.arity)]
        if op.arity == 2:  # a number for one operand (for both, the op is a constant)
            constant = draw(one_operand)
            if constant is not None:
                args[constant] = draw(numbers)
        steps.append((name, params, tuple(args)))
    differentiate = draw(st.none() | st.integers(0, len(leaves) - 1))
    return OpGraph(leaves, tuple(steps), differentiate)


def eager(graph: OpGraph, leaf_values: Sequence[float], chosen: Sequence[int]
          ) -> tuple[float, tuple[float, ...]]:
    """The root's value and its gradient by the chosen leaves, by the eager engine."""
    leaves, root = graph.build(leaf_values)
    root.backward()
    return root.data, tuple(leaves[i].grad for i in chosen)


@given(op_graphs(), st.data())
def test_every_op_on_edge_inputs_matches_eager_bit_for_bit(graph: OpGraph,
                                                           data: st.DataObject) -> None:
    leaves, root = graph.build(graph.leaves)
    in_graph = {id(node) for node in autograd.topological_order(root)}
    constant = data.draw(st.lists(st.booleans(), min_size=len(leaves), max_size=len(leaves)))
    chosen = [i for i, leaf in enumerate(leaves) if id(leaf) in in_graph and not constant[i]]
    step = autograd.compile(root, [leaves[i] for i in chosen])  # the others are constants
    now = list(graph.leaves)
    for again in (False, True):  # at the compile-time values, then at new ones
        if again:
            for i in chosen:
                now[i] = data.draw(edge_floats)
        value, grads = step([now[i] for i in chosen])
        expected_value, expected_grads = eager(graph, now, chosen)
        assert same(value, expected_value), (value, expected_value, step.source)
        for g, expected in zip(grads, expected_grads, strict=True):
            assert same(g, expected), (grads, expected_grads, step.source)
