"""nn.draw_network: the lectures' unit diagrams, golden DOT files, the SVG, the limits."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from golden_files import assert_golden
from networks import lecture_mlp

import autograd
import nn
from nn import network_drawing

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")
MAZUR_X, MAZUR_T = [0.05, 0.10], [0.01, 0.99]


def borela_mlp() -> nn.MLP:
    """The 2-3-1 network with biases: sigmoid hidden units, a linear output, every weight 1."""
    return nn.init.constant(nn.MLP(2, [3, 1], activation="sigmoid"), 1.0)


def stepped(model: nn.MLP, x: list[float], target: object, lr: float,
            weights_only: bool = False) -> nn.MLP:
    """A copy of model after one step of gradient descent on one sample's quadratic loss."""
    copy = nn.MLP(**model.config())
    copy.load_state_dict(model.state_dict())
    learning = copy.weights() if weights_only else copy.parameters()
    nn.fit(copy, [x], [target], loss="quadratic", optimizer=nn.optim.SGD(learning, lr=lr),
           progress=False)
    return copy


def mazur_figure() -> autograd.Drawing:
    model = lecture_mlp()
    trace = nn.trace(model, MAZUR_X, MAZUR_T)
    return nn.draw_network(model, trace, after=stepped(model, MAZUR_X, MAZUR_T, 0.5, True))


GOLDEN_CASES: dict[str, Callable[[], autograd.Drawing]] = {
    "network_2_2_2": lambda: nn.draw_network(lecture_mlp()),
    "network_2_2_2_trace_update": mazur_figure,
    "network_2_3_1_trace": lambda: nn.draw_network(
        borela_mlp(), nn.trace(borela_mlp(), [0.5, 0.5], 0.5)),
}


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden_dot_files(case: str) -> None:
    assert_golden(case, GOLDEN_CASES[case]().source)


def edge(source: str, tail: str, head: str) -> str:
    """The attributes of the edge tail -> head in DOT source."""
    match = re.search(rf"^\s*{tail} -> {head} \[(.*)\]$", source, re.MULTILINE)
    assert match is not None, (tail, head)
    return match.group(1)


def node(source: str, name: str) -> str:
    match = re.search(rf"^\s*{name} \[(.*)\]$", source, re.MULTILINE)
    assert match is not None, name
    return match.group(1)


def colour(attrs: str) -> tuple[int, int, int]:
    match = re.search(r'color="#(..)(..)(..)"', attrs)
    assert match is not None
    return int(match[1], 16), int(match[2], 16), int(match[3], 16)


def width(attrs: str) -> float:
    match = re.search(r"penwidth=([\d.]+)", attrs)
    assert match is not None
    return float(match[1])


def test_units_weights_and_a_bias_unit_per_layer() -> None:
    source = nn.draw_network(lecture_mlp()).source
    for name in ("x1", "x2", "h1", "h2", "o1", "o2"):
        assert f"label={name} " in node(source, name)
    assert 'label="+1"' in node(source, "bias0") and 'label="+1"' in node(source, "bias1")
    assert "label=0.15 " in edge(source, "x1", "h1")  # w1
    assert "label=0.45 " in edge(source, "h2", "o1")  # w6
    assert "label=0.6 " in edge(source, "bias1", "o2")  # b2
    assert 'tooltip="layers.1.neurons.0.w.1 = 0.45"' in edge(source, "h2", "o1")
    assert "bias2" not in source  # the output layer feeds no biases
    assert source.count(" -> ") - source.count("style=invis") == 12


def test_a_trace_puts_z_a_and_delta_on_units_and_gradients_on_edges() -> None:
    model = lecture_mlp()
    source = nn.draw_network(model, nn.trace(model, MAZUR_X, MAZUR_T)).source
    assert r'label="o1\nz 1.11\na 0.751\nδ 0.138"' in node(source, "o1")
    assert r'label="x1\n0.05"' in node(source, "x1")
    assert r'label="0.4\n∂C/∂w 0.0822"' in edge(source, "h1", "o1")  # w5
    assert r'label="0.6\n∂C/∂b 0.138"' in edge(source, "bias1", "o1")  # b2: δ_o1
    assert "∂C/∂w = 0.000438567734" in edge(source, "x1", "h1")  # w1, in the tooltip
    assert 'color="#2166ac"' in edge(source, "bias1", "o1")  # the largest gradient: full blue
    red, _, blue = colour(edge(source, "h1", "o1"))
    assert blue > red  # ∂C/∂w5 > 0
    red, _, blue = colour(edge(source, "h1", "o2"))
    assert red > blue  # ∂C/∂w7 < 0
    assert width(edge(source, "h1", "o1")) > width(edge(source, "x1", "h1"))  # larger |∂C/∂w|
    assert "quadratic C = 0.298371109" in source


def test_after_shows_each_weight_before_and_after_with_the_digits_that_tell_them_apart() -> None:
    model = lecture_mlp()
    after = stepped(model, MAZUR_X, MAZUR_T, 0.5, weights_only=True)
    source = nn.draw_network(model, after=after).source
    assert "label=\"0.4 → 0.359\"" in edge(source, "h1", "o1")  # w5⁺ = 0.35891648
    assert "label=\"0.15 → 0.1498\"" in edge(source, "x1", "h1")  # w1⁺ = 0.149780716
    assert "label=\"0.35 → 0.35\"" in edge(source, "bias0", "h1")  # the biases stay
    assert nn.draw_network(model, after=after.state_dict()).source == source


def test_a_wide_network_is_drawn_with_its_numbers_as_tooltips_and_a_wider_one_refused() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    source = nn.draw_network(model, nn.trace(model, [0.3, -0.2], [1.0])).source
    assert source.count(" -> ") - source.count("style=invis") == 2 * 16 + 16 * 16 + 16 + 33
    assert " label=" not in edge(source, "h1_3", "h2_5")
    assert "tooltip=" in edge(source, "h1_3", "h2_5")
    with pytest.raises(ValueError, match="a layer of 17 units, more than max_units=16"):
        nn.draw_network(nn.MLP(2, [17, 1], seed=0))
    with pytest.raises(ValueError, match="a layer of 20 units"):
        nn.draw_network(nn.MLP(20, [1], seed=0))
    assert "h17" in nn.draw_network(nn.MLP(2, [17, 1], seed=0), max_units=17).source


def test_a_network_without_biases_has_no_bias_units() -> None:
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", bias=False,
                   seed=0)
    source = nn.draw_network(model, nn.trace(model, [0.35, 0.9], 0.5)).source
    assert "bias" not in source
    assert source.count(" -> ") - source.count("style=invis") == 6


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: nn.draw_network(nn.Layer(2, 2)), TypeError,  # type: ignore[arg-type]
     "expects an nn.MLP, got Layer"),
    (lambda: nn.draw_network(lecture_mlp(), nn.trace(borela_mlp(), [0.5, 0.5], 0.5)),
     ValueError, "the trace is of an MLP 2-3-1, not of this MLP 2-2-2"),
    (lambda: nn.draw_network(lecture_mlp(), trace="t"), TypeError,  # type: ignore[arg-type]
     "trace must be what nn.trace returns, got str"),
    (lambda: nn.draw_network(lecture_mlp(), after=borela_mlp()), ValueError,
     "after must name this MLP 2-2-2's parameters as its state_dict.. does: "
     "layers.1.neurons.1.w.0 is missing"),
    (lambda: nn.draw_network(lecture_mlp(), after=[1.0]), TypeError,  # type: ignore[arg-type]
     "after must be a state dict or a model, got list"),
    (lambda: nn.draw_network(lecture_mlp(), digits=0), ValueError, "digits must be an int"),
    (lambda: nn.draw_network(lecture_mlp(), rankdir="RL"), ValueError, "rankdir must be"),
    (lambda: nn.draw_network(lecture_mlp(), max_units=0), ValueError,
     "max_units must be a positive int"),
])
def test_bad_arguments_say_what_is_expected(call: object, error: type[Exception],
                                            message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


@needs_dot
def test_render_network_writes_svg_by_suffix(tmp_path: Path) -> None:
    model = lecture_mlp()
    path = nn.render_network(model, tmp_path / "net.svg", nn.trace(model, MAZUR_X, MAZUR_T))
    svg = path.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    assert 'id="o1"' in svg and "δ 0.138" in svg and "∂C/∂w 0.0822" in svg
    assert [p.name for p in tmp_path.iterdir()] == ["net.svg"]


def test_render_network_dot_is_the_source_and_a_bad_suffix_is_refused(tmp_path: Path) -> None:
    model = lecture_mlp()
    path = nn.render_network(model, tmp_path / "net.dot")
    assert path.read_text(encoding="utf-8") == nn.draw_network(model).source
    with pytest.raises(ValueError, match=r"cannot tell the format from 'net\.jpg'"):
        nn.render_network(model, tmp_path / "net.jpg")


def test_render_drawing_writes_any_digraph(tmp_path: Path) -> None:
    drawing = nn.draw_network(lecture_mlp())
    assert autograd.render_drawing(drawing, tmp_path / "g.dot").read_text() == drawing.source


def test_colours_run_from_grey_through_to_blue_and_red() -> None:
    def edge(value: float) -> str:
        return autograd.gradient_colour(value, 1.0, zero=network_drawing.GREY, strongest=1.0)

    assert edge(0.0) == "#969696"
    assert edge(1.0) == "#2166ac"
    assert edge(-1.0) == "#b2182b"
    assert edge(float("nan")) == "#bdbdbd"


def test_units_and_edges_are_coloured_on_autograds_scale() -> None:
    model = lecture_mlp()
    record = nn.trace(model, MAZUR_X, MAZUR_T)
    source = nn.draw_network(model, record).source
    layer = record.layers[0]
    largest = max(abs(g) for each in record.layers
                  for row in (*each.grad_w, each.grad_b or [], each.delta) for g in row)
    delta = autograd.gradient_colour(layer.delta[0], largest, strongest=network_drawing.PALE)
    assert re.search(rf'\bh1 \[[^\]]*fillcolor="{delta}"', source)
    grad = autograd.gradient_colour(layer.grad_w[0][0], largest, zero=network_drawing.GREY,
                                    strongest=1.0)
    width = 0.6 + 2.4 * autograd.gradient_strength(layer.grad_w[0][0], largest)
    assert re.search(rf'x1 -> h1 \[[^\]]*color="{grad}"[^\]]*penwidth={width:.2f}\b', source)


def test_a_trace_of_other_weights_is_refused() -> None:
    model = lecture_mlp()
    record = nn.trace(model, MAZUR_X, MAZUR_T)
    other = lecture_mlp()
    other.layers[1].neurons[0].w[1].data += 0.25
    with pytest.raises(ValueError, match=re.escape(
            "the trace was taken with other weights than the model has (unit o1 of layer 2 "
            "differs): trace the model as it is now")):
        nn.draw_network(other, record)
    stepped_model = stepped(model, MAZUR_X, MAZUR_T, 0.5)
    with pytest.raises(ValueError, match="other weights than the model has"):
        nn.draw_network(stepped_model, record)
    assert nn.draw_network(model, record).source == nn.draw_network(lecture_mlp(), record).source


@pytest.mark.parametrize("bad", ["0.5", None, True, [0.5]])
def test_after_with_a_weight_that_is_not_a_number_is_refused(bad: object) -> None:
    model = lecture_mlp()
    after: dict[str, Any] = {**model.state_dict(), "layers.0.neurons.1.w.0": bad}
    with pytest.raises(ValueError, match=re.escape(
            "after must give each parameter a number, as state_dict() does: "
            f"layers.0.neurons.1.w.0 is {bad!r}")):
        nn.draw_network(model, after=after)
