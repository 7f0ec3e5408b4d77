"""autograd.testing: the public strategies draw what they promise."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from hypothesis import find, given
from hypothesis import strategies as st

from autograd import OPS, Domain
from autograd.testing import BLOCKS, MARGIN, Program, in_domain, op_with_inputs, programs, values


@given(st.data())
def test_in_domain_stays_inside_and_clear_of_the_avoided_points(data: st.DataObject) -> None:
    domain = Domain(-3.0, 5.0, avoid=(0.0, 1.0))
    x = data.draw(in_domain(domain))
    assert -3.0 <= x <= 5.0
    assert abs(x) >= MARGIN and abs(x - 1.0) >= MARGIN


@given(st.data())
def test_a_domain_keeps_its_clearance_where_it_is_wider_than_the_margin(
        data: st.DataObject) -> None:
    x = data.draw(in_domain(Domain(-1.0, 1.0, avoid=(0.0,), clearance=0.5)))
    assert 0.5 <= abs(x) <= 1.0


@given(st.data())
def test_op_with_inputs_draws_params_and_inputs_from_their_domains(data: st.DataObject) -> None:
    op, (x,) = data.draw(op_with_inputs(OPS["pow"]))
    (name, exponent), = op.params
    assert name == "exponent" and -5.0 <= exponent <= 5.0
    assert MARGIN <= x <= 10.0


@given(programs(max_leaves=3, max_steps=5))
def test_programs_read_only_earlier_nodes(program: Program) -> None:
    assert 1 <= len(program.leaves) <= 3 and 1 <= len(program.steps) <= 5
    assert all(-2.0 <= x <= 2.0 for x in program.leaves)
    for k, (name, args) in enumerate(program.steps):
        assert len(args) == BLOCKS[name][0]
        assert all(0 <= i < len(program.leaves) + k for i in args)


def test_programs_share_subexpressions() -> None:
    def reads_a_step_twice(program: Program) -> bool:
        reads = Counter(i for _, args in program.steps for i in args)
        return any(n >= 2 and i >= len(program.leaves) for i, n in reads.items())

    shared = find(programs(), reads_a_step_twice)
    assert reads_a_step_twice(shared)


def test_a_program_runs_on_floats_and_values_alike() -> None:
    program = Program((0.5, -1.0), (("mul", (0, 1)), ("tanh", (2,)), ("add", (3, 2))))
    on_values = program.run(*values(program.leaves))
    assert on_values.data == program.run(*program.leaves)
    assert [leaf.label for leaf in values([1.0, 2.0])] == ["x0", "x1"]


def test_a_program_adds_its_steps_in_order_on_every_python() -> None:
    # 5e15 + 0.75 rounds to 5e15 + 1, so in order the sum is 1.0; a compensated sum (as sum()
    # of floats is from Python 3.12 on) gives 0.75, which adding Values never does
    program = Program((1e16, 1.0), (("scale", (0,)), ("scale", (1,)), ("neg", (2,))))
    assert program.run(*program.leaves) == program.run(*values(program.leaves)).data == 1.0


def test_only_autograd_testing_needs_hypothesis() -> None:
    without_hypothesis = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import autograd\n"
        "try:\n"
        "    import autograd.testing\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    run = subprocess.run([sys.executable, "-c", without_hypothesis], capture_output=True,
                         text=True, check=True)
    assert "autograd.testing needs hypothesis" in run.stdout
    assert 'pip install "chainrule[testing]"' in run.stdout
