"""The recorded backward pass: the same numbers as backward(), and the paths to a node."""

from __future__ import annotations

import functools
import operator
from itertools import pairwise

from hypothesis import given

from autograd import Value
from autograd.testing import Program, programs, values
from autograd.views.chain import (
    backprop,
    cut_nodes,
    derivative,
    derivatives_along,
    local_derivatives,
)


@given(programs())
def test_the_record_gives_exactly_the_gradients_of_backward(program: Program) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    record = backprop(root)
    assert all(node.grad == 0.0 for node in record.nodes)  # recording leaves grad alone
    root.backward()
    assert [record.grad(i) for i in range(len(record.nodes))] == [n.grad for n in record.nodes]
    for step in record.steps:
        # in order, as backward adds (not sum(), which adds floats compensated from Python 3.12)
        terms = (t.upstream * t.local for t in step.terms)
        assert step.grad == functools.reduce(operator.add, terms, 0.0 if step.terms else 1.0)


def test_local_derivatives_come_from_the_op_table() -> None:
    x, y = Value(3.0), Value(-2.0)
    assert local_derivatives(x * y) == (-2.0, 3.0)
    assert local_derivatives(x) == ()
    out = x.sigmoid()
    assert local_derivatives(out) == (out.data * (1.0 - out.data),)


def test_cut_nodes_are_on_every_path() -> None:
    x = Value(1.0, label="x")
    a = x * 2.0
    b = a.tanh() + a.exp()  # two paths from b down to a, both through a
    c = b * 3.0
    record = backprop(c)
    index = {node: i for i, node in enumerate(record.nodes)}
    cut = [record.nodes[i] for i in cut_nodes(record, index[x])]
    assert cut == [c, b, a, x]


def test_derivative_between_two_nodes() -> None:
    x = Value(2.0)
    a = x * x
    b = a * 5.0
    assert derivative(b, x) == 20.0
    assert derivative(b, a) == 5.0
    assert derivative(b, Value(1.0)) == 0.0


@given(programs())
def test_derivatives_along_the_cut_nodes_are_exactly_derivatives(program: Program) -> None:
    leaves = values(program.leaves)
    record = backprop(program.run(*leaves))
    index = {node: i for i, node in enumerate(record.nodes)}
    for leaf in leaves:
        if leaf in index:
            cut = cut_nodes(record, index[leaf])
            assert derivatives_along(record, cut) == [
                derivative(record.nodes[a], record.nodes[b]) for a, b in pairwise(cut)]
