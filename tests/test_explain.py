"""explain(): the backward pass told step by step, checked against the lecture's numbers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from networks import lecture_network, seed_graph

import autograd
from autograd import Value, explain
from autograd.testing import Program, programs, values
from autograd.views import chain
from autograd.views.explain import Explanation
from autograd.views.notation import LatexNotation, Notation, format_number


def test_the_lecture_chain_for_w5() -> None:
    error, w = lecture_network()
    text = explain(error, wrt=w[4])
    assert text.splitlines()[-1] == (
        "∂E/∂w5 = ∂E/∂out_o1 × ∂out_o1/∂net_o1 × ∂net_o1/∂w5"
        " = 0.74136507 × 0.186815602 × 0.593269992 = 0.082167041")


def test_the_lecture_chain_for_w1_sums_both_outputs() -> None:
    error, w = lecture_network()
    lines = explain(error, wrt=w[0]).splitlines()
    assert lines[-1] == (
        "∂E/∂w1 = ∂E/∂out_h1 × ∂out_h1/∂net_h1 × ∂net_h1/∂w1"
        " = 0.036350306 × 0.241300709 × 0.05 = 0.000438568")
    out_h1 = next(line for line in lines if line.startswith("∂E/∂out_h1 ="))
    # the lecture's 0.055399425 + -0.019049119, each as upstream × local derivative
    assert out_h1.endswith("= 0.138498562 × 0.4 + (-0.038098237) × 0.5 = 0.036350306")


def test_the_seed_graph_told_in_full() -> None:
    assert explain(seed_graph()) == (
        "∂f/∂f = 1\n"
        "∂f/∂(x + y) = ∂f/∂f × ∂f/∂(x + y) = 1 × (-4) = -4\n"
        "∂f/∂x = ∂f/∂(x + y) × ∂(x + y)/∂x = (-4) × 1 = -4\n"
        "∂f/∂y = ∂f/∂(x + y) × ∂(x + y)/∂y = (-4) × 1 = -4\n"
        "∂f/∂z = ∂f/∂f × ∂f/∂z = 1 × 3 = 3\n"
    )


def test_wrt_keeps_only_the_steps_leading_to_it() -> None:
    f = seed_graph()
    x = f.parents[0].parents[0]
    assert explain(f, wrt=x).splitlines() == [
        "∂f/∂f = 1",
        "∂f/∂(x + y) = ∂f/∂f × ∂f/∂(x + y) = 1 × (-4) = -4",
        "∂f/∂x = ∂f/∂(x + y) × ∂(x + y)/∂x = (-4) × 1 = -4",
    ]


def test_a_labelled_node_becomes_a_stop_of_the_chain() -> None:
    f = seed_graph()
    q = f.parents[0]
    q.label = "q"
    assert explain(f, wrt=q.parents[0]).splitlines()[-1] == (
        "∂f/∂x = ∂f/∂q × ∂q/∂x = (-4) × 1 = -4")


def test_a_long_chain_is_explained_in_one_pass_over_it(monkeypatch: pytest.MonkeyPatch) -> None:
    x = Value(0.5, label="x")
    y = x
    for i in range(2000):
        y = (y * 1.0001).tanh()
        y.label = f"h{i}"
    reads = count_calls(monkeypatch, chain, "local_derivatives")
    last = explain(y, wrt=x).splitlines()[-1]
    assert reads[0] <= 4 * 4001  # about twice per op node: the record, then the chain's factors
    symbols, numbers, total = last.split(" = ")[1:]
    assert symbols.count("∂") == 2 * 2000 and numbers.count(" × ") == 1999  # h1999 ... x
    y.backward()
    assert total == format_number(x.grad, 9)


def count_calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """Count the calls to module.name from now on, in the list's one item."""
    calls = [0]
    function: Callable[..., object] = getattr(module, name)

    def counted(*args: object) -> object:
        calls[0] += 1
        return function(*args)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_node_outside_the_graph() -> None:
    text = explain(seed_graph(), wrt=Value(1.0, label="w"))
    assert text == "∂f/∂w = 0 (f does not depend on w)\n"


def test_the_lines_do_not_need_backward_and_do_not_touch_grad() -> None:
    x = Value(2.0, label="x")
    y = x * x + x
    y.label = "y"
    assert explain(y).splitlines()[-1] == (
        "∂y/∂x = ∂y/∂y × ∂y/∂x + ∂y/∂(x × x) × ∂(x × x)/∂x + ∂y/∂(x × x) × ∂(x × x)/∂x"
        " = 1 × 1 + 1 × 2 + 1 × 2 = 5")
    assert x.grad == 0.0


def test_markdown_is_a_table() -> None:
    text = explain(seed_graph(), style="markdown")
    lines = text.splitlines()
    assert lines[0] == "| step | node | gradient | chain rule |"
    assert lines[1] == "| ---: | --- | ---: | --- |"
    assert lines[6] == "| 5 | `z` | 3 | `∂f/∂z = ∂f/∂f × ∂f/∂z = 1 × 3 = 3` |"
    assert len(lines) == 2 + 5
    assert all(line.count(" | ") == 3 for line in lines)


def test_markdown_escapes_pipes() -> None:
    x = Value(-2.0, label="x")
    text = explain(abs(x), style="markdown")
    assert "`\\|x\\|`" in text


def test_latex_is_an_align_block() -> None:
    error, w = lecture_network()
    text = explain(error, wrt=w[4], style="latex")
    assert text.startswith("\\begin{align*}\n") and text.endswith("\\end{align*}\n")
    last = text.splitlines()[-2]
    assert last == (
        r"\frac{\partial \text{E}}{\partial \text{w5}} &= "
        r"\frac{\partial \text{E}}{\partial \text{out\_o1}} \cdot "
        r"\frac{\partial \text{out\_o1}}{\partial \text{net\_o1}} \cdot "
        r"\frac{\partial \text{net\_o1}}{\partial \text{w5}} = "
        r"0.74136507 \cdot 0.186815602 \cdot 0.593269992 = 0.082167041")
    assert text.count(r" \\") == text.count("&=") - 1


def test_latex_names_of_ops() -> None:
    x = Value(4.0, label="x_1")
    text = explain((x.sqrt() * x.sigmoid()) ** 2, style="latex")
    assert r"\sqrt{\text{x\_1}}" in text
    assert r"\sigma(\text{x\_1})" in text
    assert r"\left(\sqrt{\text{x\_1}} \times \sigma(\text{x\_1})\right)^{2}" in text


def test_decimals() -> None:
    assert explain(seed_graph(), decimals=2).splitlines()[4] == "∂f/∂z = ∂f/∂f × ∂f/∂z = 1 × 3 = 3"
    x = Value(1.0, label="x")
    assert "∂(x × 0.333)/∂x = ∂(x × 0.333)/∂(x × 0.333) × ∂(x × 0.333)/∂x = 1 × 0.333 = 0.333" \
        in explain(x * (1 / 3), decimals=3).splitlines()


def test_bad_arguments_say_what_is_expected() -> None:
    with pytest.raises(TypeError, match="expects a Value"):
        explain(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="wrt must be a Value"):
        explain(Value(1.0), wrt=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="style must be one of 'text', 'markdown', 'latex'"):
        explain(Value(1.0), style="html")
    with pytest.raises(ValueError, match="decimals"):
        explain(Value(1.0), decimals=40)


def test_a_constant_gets_no_line_unless_it_is_wrt() -> None:
    x = Value(3.0, label="x")
    two = Value(2.0)
    f = x * two + 1.0
    f.label = "f"
    assert explain(f) == (
        "∂f/∂f = 1\n"
        "∂f/∂(x × 2) = ∂f/∂f × ∂f/∂(x × 2) = 1 × 1 = 1\n"
        "∂f/∂x = ∂f/∂(x × 2) × ∂(x × 2)/∂x = 1 × 2 = 2\n")
    assert explain(f, wrt=two).splitlines()[-1] == "∂f/∂2 = ∂f/∂(x × 2) × ∂(x × 2)/∂2 = 1 × 3 = 3"


@given(programs())
def test_every_line_ends_in_the_gradient_backward_gives(program: Program) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    lines = explain(root, decimals=12).splitlines()
    root.backward()
    order = autograd.topological_order(root)
    assert len(lines) == len([node for node in order if node.label or node.parents])
    by_name = {line.split(" = ")[0]: line.rsplit(" = ", 1)[1] for line in lines}
    for leaf in leaves:
        if any(node is leaf for node in order):
            assert by_name[f"∂{root_name(lines)}/∂{leaf.label}"] == format_number(leaf.grad, 12)


def root_name(lines: list[str]) -> str:
    match = re.match(r"∂(.*)/∂", lines[0])
    assert match is not None
    return match.group(1)


# --- the forward pass, a line per node ---


def forward_lines(root: Value, notation: Notation | None = None, decimals: int = 9) -> list[str]:
    told = Explanation(chain.backprop(root), notation or Notation(), decimals)
    return [told.value_line(i) for i in range(len(told.record.nodes))]


def test_the_forward_pass_of_the_seed_graph() -> None:
    lines = forward_lines(seed_graph())
    assert "x = -2" in lines and "y = 5" in lines and "z = -4" in lines
    assert "x + y = (-2) + 5 = 3" in lines  # an unlabelled node is named by its formula
    assert lines[-1] == "f = (x + y) × z = 3 × (-4) = -12"


def test_forward_lines_name_constants_ops_and_notations() -> None:
    x = Value(0.5, label="x")
    lines = forward_lines((x * 2.0).sigmoid() - (-x), decimals=4)
    assert sorted(lines[:-1]) == sorted(["x = 0.5", "2", "x × 2 = 0.5 × 2 = 1",
                                         "σ(x × 2) = σ(1) = 0.7311", "−x = −0.5 = -0.5"])
    assert lines[-1] == "σ(x × 2) − −x = 0.7311 − (-0.5) = 1.2311"
    assert forward_lines(x * 2.0, LatexNotation())[-1] == r"\text{x} \times 2 = 0.5 \times 2 = 1"


@given(programs())
def test_every_forward_line_ends_in_the_nodes_value(program: Program) -> None:
    root = program.run(*values(program.leaves))
    lines = forward_lines(root, decimals=12)
    order = autograd.topological_order(root)
    assert [line.rsplit(" = ", 1)[-1] for line in lines] == [
        format_number(node.data, 12) for node in order]


def test_the_text_is_a_str_that_a_notebook_shows_as_markdown() -> None:
    x = Value(2.0, label="x_1")
    f = x * x
    f.label = "f"
    text = explain(f)
    assert isinstance(text, str) and str(text) == text and text.splitlines()[0] == "∂f/∂f = 1"
    assert text._repr_markdown_().splitlines()[1] == (
        "∂f/∂x\\_1 = ∂f/∂f × ∂f/∂x\\_1 \\+ ∂f/∂f × ∂f/∂x\\_1 = 1 × 2 \\+ 1 × 2 = 4  ")
    table = explain(f, style="markdown")
    assert table._repr_markdown_() == str(table)
    latex = explain(f, style="latex")
    assert latex._repr_markdown_() == f"$$\n{latex}$$\n"
    assert latex.startswith("\\begin{align*}")
