"""Random expression DAGs with shared subexpressions against finite differences."""

from __future__ import annotations

from finite_differences import central_difference, close_to_difference
from hypothesis import given

from autograd.testing import Program, programs, values


@given(programs())
def test_random_dags_match_finite_differences(program: Program) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    root.backward()
    assert root.data == program.run(*program.leaves)
    for i, leaf in enumerate(leaves):
        numeric = central_difference(program.run, program.leaves, i)
        assert close_to_difference(leaf.grad, numeric), (i, leaf.grad, numeric)


@given(programs())
def test_random_dags_backward_twice_doubles(program: Program) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    root.backward()
    once = [leaf.grad for leaf in leaves]
    root.backward()
    assert [leaf.grad for leaf in leaves] == [2 * g for g in once]
