"""nn.trace: the lecture's numbers layer by layer, BP1–BP4 on random MLPs, check(), the tables."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from networks import lecture_mlp
from rounding import assert_rounds_to

import autograd
import nn
from autograd import Value

TOLERANCE = 1e-12
Vector = list[float]

# --- the lecture's 2-2-2 network: inputs 0.05, 0.10, targets 0.01, 0.99 ---


def lecture_trace() -> nn.Trace:
    return nn.trace(lecture_mlp(), x=[0.05, 0.10], target=[0.01, 0.99], loss="quadratic")


def test_the_lecture_network_layer_by_layer() -> None:
    tr = lecture_trace()
    hidden, output = tr.layers
    assert_rounds_to(tr.cost, "0.298371109")
    assert_rounds_to(hidden.z[0], "0.3775")  # net_h1
    assert_rounds_to(hidden.a[0], "0.593269992")  # out_h1
    assert_rounds_to(hidden.a[1], "0.596884378")
    assert_rounds_to(output.z[0], "1.105905967")  # net_o1
    assert_rounds_to(output.a[0], "0.75136507")
    assert_rounds_to(output.a[1], "0.772928465")
    assert_rounds_to(output.grad_a[0], "0.74136507")  # ∂E/∂out_o1
    assert_rounds_to(output.sigma_prime[0], "0.186815602")  # ∂out_o1/∂net_o1
    assert_rounds_to(output.delta[0], "0.138498562")  # δ_o1
    assert_rounds_to(output.grad_w[0][0], "0.082167041")  # ∂E/∂w5
    assert_rounds_to(hidden.grad_a[0], "0.036350306")  # ∂E/∂out_h1
    assert_rounds_to(hidden.sigma_prime[0], "0.241300709")  # ∂out_h1/∂net_h1
    assert_rounds_to(hidden.grad_w[0][0], "0.000438568")  # ∂E/∂w1
    assert output.grad_b == output.delta and hidden.grad_b == hidden.delta  # BP3, exactly
    assert hidden.W == [[0.15, 0.20], [0.25, 0.30]] and output.b == [0.60, 0.60]
    assert (hidden.units, output.units, hidden.inputs, output.inputs) == (
        ["h1", "h2"], ["o1", "o2"], ["x1", "x2"], ["h1", "h2"])
    assert [layer.number for layer in tr.layers] == [1, 2]
    assert tr.x == [0.05, 0.10] and tr.loss == "quadratic"
    assert tr.check() is True


def test_one_gradient_step_from_the_trace_gives_the_lectures_updated_weights() -> None:
    w5_and_w1 = [lecture_trace().layers[1].W[0][0] - 0.5 * lecture_trace().layers[1].grad_w[0][0],
                 lecture_trace().layers[0].W[0][0] - 0.5 * lecture_trace().layers[0].grad_w[0][0]]
    assert_rounds_to(w5_and_w1[0], "0.35891648")
    assert_rounds_to(w5_and_w1[1], "0.149780716")


def test_the_graph_it_read_has_the_lectures_labels() -> None:
    tr = lecture_trace()
    labelled = {node.label: node for node in autograd.topological_order(tr.root) if node.label}
    for name in ("x1", "x2", "net_h1", "out_h1", "net_h2", "out_h2", "net_o1", "out_o1",
                 "net_o2", "out_o2", "C"):
        assert name in labelled, name
    assert labelled["C"] is tr.root
    assert labelled["net_o1"].data == tr.layers[1].z[0]
    assert autograd.grad(tr.root, labelled["net_o1"]) == (tr.layers[1].delta[0],)
    assert "net_h1" in autograd.draw(tr.root).source


def test_a_linear_unit_is_one_node_named_both_ways() -> None:
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="linear")
    tr = nn.trace(nn.init.constant(model, 1.0), [0.5, 0.5], 0.5)
    labels = {node.label for node in autograd.topological_order(tr.root)}
    assert "net_o1 = out_o1" in labels
    (output,) = tr.layers[1:]
    assert output.z == output.a and output.sigma_prime == [1.0]
    assert output.delta == output.grad_a


def test_trace_leaves_every_grad_as_it_was() -> None:
    model = lecture_mlp()
    for p in model.parameters():
        p.grad = 7.0
    lecture = nn.trace(model, [0.05, 0.10], [0.01, 0.99])
    assert [p.grad for p in model.parameters()] == [7.0] * 12
    assert lecture.layers[0].grad_w == lecture_trace().layers[0].grad_w


def test_the_lectures_without_bias_and_with_a_linear_output() -> None:
    # 2-2-1 without bias (x = (0.35, 0.9), y = 0.5): the deck defines δ = (y − o)·o·(1 − o),
    # which is −∂C/∂z, and carries o = 0.69 rounded into it (so within 0.5%)
    macleod = nn.init.set_weights(
        nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", bias=False),
        [[[0.1, 0.8], [0.4, 0.6]], [[0.3, 0.9]]])
    tr = nn.trace(macleod, [0.35, 0.9], 0.5)
    assert tr.layers[0].b is None and tr.layers[0].grad_b is None
    assert -tr.layers[1].delta[0] == pytest.approx(-0.0406, rel=0.005)
    assert [-d for d in tr.layers[0].delta] == pytest.approx([-0.00265, -0.00815], rel=0.005)
    assert tr.check()
    assert "∂C/∂b (BP3)" not in str(tr)
    # 2-3-1 with biases and a linear output, every weight 1 (x = (0.5, 0.5), t = 0.5)
    borela = nn.trace(nn.init.constant(nn.MLP(2, [3, 1], activation="sigmoid"), 1.0),
                      [0.5, 0.5], 0.5)
    assert_rounds_to(borela.layers[1].delta[0], "3.14")  # y − t
    for d in borela.layers[0].delta:
        assert_rounds_to(d, "0.33")


# --- BP1–BP4 on random MLPs, against the equations worked out independently here ---

LOSS_CASES = ["quadratic", "mse", "binary_cross_entropy", "binary_cross_entropy_with_logits",
              "cross_entropy", "hinge"]


def test_every_loss_is_covered() -> None:
    assert sorted(LOSS_CASES) == sorted(nn.losses.LOSSES)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


ACTIVATION: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    # name: (σ, σ′)
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
    "tanh": (math.tanh, lambda z: 1.0 - math.tanh(z) ** 2),
    "relu": (lambda z: max(z, 0.0), lambda z: 1.0 if z > 0.0 else 0.0),
    "leaky_relu": (lambda z: z if z > 0.0 else 0.01 * z, lambda z: 1.0 if z > 0.0 else 0.01),
    "linear": (lambda z: z, lambda z: 1.0),
}


def loss_gradient(loss: str, a: Vector, target: object) -> Vector:
    """∇ₐC, the loss's gradient by the outputs, by hand."""
    if loss == "cross_entropy":
        exps = [math.exp(v - max(a)) for v in a]
        return [e / sum(exps) - (k == target) for k, e in enumerate(exps)]
    t = cast(Vector, target if isinstance(target, list) else [target])
    if loss == "quadratic":
        return [o - y for o, y in zip(a, t, strict=True)]
    if loss == "mse":
        return [2.0 * (o - y) / len(a) for o, y in zip(a, t, strict=True)]
    if loss == "binary_cross_entropy":
        # a term whose weight is 0 is left out, as the loss leaves it out
        return [(-y / p if y else 0.0) + ((1.0 - y) / (1.0 - p) if y != 1.0 else 0.0)
                for p, y in zip(a, t, strict=True)]
    if loss == "binary_cross_entropy_with_logits":
        return [sigmoid(z) - y for z, y in zip(a, t, strict=True)]
    assert loss == "hinge"
    return [-t[0] if 1.0 - t[0] * a[0] > 0.0 else 0.0]


@st.composite
def traced_models(draw: st.DrawFn) -> tuple[nn.MLP, Vector, object, str]:
    """An MLP of at most 4-5-5-3, any activations, an input and a target fit for the loss."""
    loss = draw(st.sampled_from(LOSS_CASES))
    sizes = [draw(st.integers(1, 4)), *draw(st.lists(st.integers(1, 5), min_size=0, max_size=2))]
    outputs = 1 if loss == "hinge" else draw(st.integers(1, 3))
    output = "sigmoid" if loss == "binary_cross_entropy" else draw(st.sampled_from(
        sorted(ACTIVATION)))
    model = nn.MLP(sizes[0], [*sizes[1:], outputs], activation=draw(st.sampled_from(
        sorted(ACTIVATION))), output_activation=output, seed=draw(st.integers(0, 2**32)))
    x = draw(st.lists(st.floats(-2.0, 2.0), min_size=sizes[0], max_size=sizes[0]))
    target: object
    if loss == "cross_entropy":
        target = draw(st.integers(0, outputs - 1))
    elif loss == "hinge":
        target = draw(st.sampled_from([-1.0, 1.0]))
    else:
        low = 0.0 if loss.startswith("binary") else -1.0
        target = draw(st.lists(st.floats(low, 1.0), min_size=outputs, max_size=outputs))
    return model, x, target, loss


def assert_close(got: Sequence[float], expected: Sequence[float],
                 sizes: Sequence[float]) -> None:
    """Each got within 1e-12 of the size of the terms its expected value is made of."""
    assert len(got) == len(expected)
    for g, e, size in zip(got, expected, sizes, strict=True):
        if math.isfinite(e):
            assert abs(g - e) <= TOLERANCE * max(size, abs(e)), (got, expected)
        else:
            assert g == e or (math.isnan(g) and math.isnan(e)), (got, expected)


@given(traced_models())
def test_bp1_to_bp4_hold_on_random_mlps(case: tuple[nn.MLP, Vector, object, str]) -> None:
    model, x, target, loss = case
    tr = nn.trace(model, x, target, loss)
    # the forward pass, by hand from the weights
    a_in = x
    for layer, record in zip(model.layers, tr.layers, strict=True):
        sigma, _ = ACTIVATION[layer.activation]
        terms = [[n.w[k].data * a_in[k] for k in range(layer.nin)] + [n.b.data]  # type: ignore[union-attr]
                 for n in layer.neurons]
        z = [math.fsum(t) for t in terms]
        assert_close(record.z, z, [math.fsum(map(abs, t)) for t in terms])
        assert record.a_in == a_in
        a_in = record.a
        assert_close(a_in, [sigma(v) for v in record.z], [1.0] * len(z))
    # BP1 at the output, BP2 backward, BP3 and BP4 in each layer
    following: nn.LayerTrace | None = None
    for record in reversed(tr.layers):
        _, slope = ACTIVATION[record.activation]
        assert_close(record.sigma_prime, [slope(v) for v in record.z], [1.0] * len(record.z))
        if following is None:
            signal = [[g] for g in loss_gradient(loss, record.a, target)]
        else:
            signal = [[row[j] * d for row, d in zip(following.W, following.delta, strict=True)]
                      for j in range(len(record.units))]
        assert_close(record.grad_a, [math.fsum(s) for s in signal],
                     [math.fsum(map(abs, s)) for s in signal])
        sizes = [math.fsum(map(abs, s)) * abs(slope(v)) for s, v in zip(signal, record.z,
                                                                         strict=True)]
        assert_close(record.delta, [math.fsum(s) * slope(v) for s, v in zip(
            signal, record.z, strict=True)], sizes)  # BP1, BP2
        assert_close(record.grad_b or [], record.delta, [0.0] * len(record.delta))  # BP3
        for j, d in enumerate(record.delta):  # BP4
            assert_close(record.grad_w[j], [a * d for a in record.a_in], [0.0] * len(record.a_in))
        following = record
    # the same gradients as the model's own backward pass
    prediction = model.forward(x)
    autograd_grads = autograd.grad(nn.losses.get(loss)(prediction, target), model.parameters())
    traced = [g for layer in tr.layers for j in range(len(layer.units))
              for g in (*layer.grad_w[j], *(layer.grad_b or [])[j:j + 1])]
    assert_close(traced, list(autograd_grads), [abs(g) for g in autograd_grads])
    if all(math.isfinite(d) for layer in tr.layers for d in layer.delta):
        assert tr.check()


# --- check() names the equation and the layer of a number that breaks one ---


def corrupted(tr: nn.Trace, layer: int, **changes: object) -> nn.Trace:
    layers = list(tr.layers)
    layers[layer] = dataclasses.replace(layers[layer], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(tr, layers=layers)


@pytest.mark.parametrize(("layer", "field", "equation", "where"), [
    (1, "delta", "BP1", "layer 2, unit o1: δ = 0.2 but (∇ₐC ⊙ σ′(z²))ⱼ = 0.1384985"),
    (0, "delta", "BP2", "layer 1, unit h1: δ = 0.2 but (((W²)ᵀ δ²) ⊙ σ′(z¹))ⱼ = 0.00877"),
    (0, "grad_b", "BP3", "layer 1, unit h1: ∂C/∂b = 0.2 but δ¹ⱼ = 0.00877"),
    (1, "grad_w", "BP4", "layer 2, the weight from h1 to o1: ∂C/∂w = 0.2 but a¹ₖ δ²ⱼ = 0.0821"),
    (0, "z", "z = W·a + b", "layer 1, unit h1: z = 0.2 but (W¹a⁰ + b¹)ⱼ = 0.3775"),
])
def test_check_names_the_equation_layer_and_unit_that_fails(layer: int, field: str,
                                                              equation: str, where: str) -> None:
    tr = lecture_trace()
    values = getattr(tr.layers[layer], field)
    changed = [[0.2, *values[0][1:]], *values[1:]] if field == "grad_w" else [0.2, *values[1:]]
    with pytest.raises(nn.EquationError) as caught:
        corrupted(tr, layer, **{field: changed}).check()
    assert isinstance(caught.value, AssertionError)
    assert caught.value.equation == equation
    assert str(caught.value).startswith(f"{equation} does not hold in {where}")


def test_check_allows_rounding_but_not_more() -> None:
    tr = lecture_trace()
    delta = tr.layers[0].delta
    assert corrupted(tr, 0, delta=[delta[0] * (1 + 1e-15), delta[1]]).check()
    with pytest.raises(nn.EquationError, match="BP2"):
        corrupted(tr, 0, delta=[delta[0] * (1 + 1e-9), delta[1]]).check()
    assert corrupted(tr, 0, delta=[delta[0] * (1 + 1e-9), delta[1]]).check(tol=1e-8)


# --- the tables ---


def test_the_table_names_the_equations_and_shows_every_number() -> None:
    text = str(lecture_trace())
    for needle in ("nn.trace of MLP 2-2-2 at x = [0.05, 0.1], target [0.01, 0.99]",
                   "C = quadratic(a², target) = 0.298371109",
                   "BP1  δᴸ = ∇ₐC ⊙ σ′(zᴸ)", "BP2  δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)",
                   "BP3  ∂C/∂bˡ = δˡ", "BP4  ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ",
                   "layer 1 of 2 (hidden, sigmoid): z¹ = W¹a⁰ + b¹, a¹ = σ(z¹), a⁰ = x",
                   "layer 2 of 2 (output, sigmoid): z² = W²a¹ + b², a² = σ(z²)",
                   "δ (BP1)", "δ (BP2)", "∂C/∂b (BP3)", "∂C/∂W¹ (BP4)",
                   "0.138498562", "0.082167041", "0.000438568", "0.593269992"):
        assert needle in text, needle
    rows = [line.split() for line in text.splitlines()]
    assert ["o1", "0.4", "0.45"] in rows  # W², row o1
    assert ["o1", "1.105905967", "0.75136507", "0.186815602", "0.74136507",
                           "0.138498562", "0.6", "0.138498562"] in rows
    assert "0.13849856" in lecture_trace().table(decimals=8)
    assert repr(lecture_trace()).startswith("Trace(MLP 2-2-2, loss='quadratic', C=0.29837")


def test_the_markdown_has_a_table_per_part() -> None:
    tr = lecture_trace()
    markdown = tr.markdown()
    assert tr._repr_markdown_() == markdown
    assert "| BP2 | δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ) |" in markdown
    assert "| unit | z | a | σ′(z) | ∂C/∂a | δ (BP1) | b | ∂C/∂b (BP3) |" in markdown
    assert "| o1 | 1.105905967 | 0.75136507 | 0.186815602 |" in markdown
    assert "| ∂C/∂W¹ (BP4) | x1 | x2 |\n| --- | --- | --- |\n| h1 | 0.000438568 |" in markdown


def test_several_hidden_layers_are_named_by_layer() -> None:
    model = nn.MLP(3, [2, 2, 1], seed=0)
    assert nn.trace(model, [1.0, 2.0, 3.0], [0.0]).layers[1].units == ["h2_1", "h2_2"]
    assert nn.trace(model, [1.0, 2.0, 3.0], [0.0]).layers[0].inputs == ["x1", "x2", "x3"]


# --- bad input ---


@pytest.mark.parametrize(("model", "x", "target", "loss", "error", "message"), [
    (nn.Layer(2, 2), [0.1, 0.2], [0.0, 1.0], "quadratic", TypeError,
     "nn.trace expects an nn.MLP .layers of neurons., got Layer"),
    ("net", [0.1, 0.2], [0.0, 1.0], "quadratic", TypeError, "expects an nn.MLP"),
    (lecture_mlp(), [0.1, 0.2, 0.3], [0.0, 1.0], "quadratic", ValueError,
     "the model takes 2 inputs, x has 3"),
    (lecture_mlp(), 0.1, [0.0, 1.0], "quadratic", TypeError, "x as a list of 2 numbers"),
    (lecture_mlp(), ["a", 0.2], [0.0, 1.0], "quadratic", TypeError, "x as numbers, got 'a'"),
    (lecture_mlp(), [0.1, 0.2], [0.0, 1.0, 2.0], "quadratic", ValueError,
     "quadratic: 2 outputs but 3 targets"),
    (lecture_mlp(), [0.1, 0.2], [0.0, 1.0], "squared", ValueError, "unknown loss 'squared'"),
])
def test_bad_input_says_what_is_expected(model: object, x: object, target: object, loss: str,
                                         error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        nn.trace(model, x, target, loss)  # type: ignore[arg-type]


def test_a_custom_loss_is_named_by_its_function() -> None:
    def half_square(prediction: Value | Sequence[Value], target: object) -> Value:
        assert not isinstance(prediction, Value)
        return 0.5 * (prediction[0] - 0.01) ** 2

    tr = nn.trace(lecture_mlp(), [0.05, 0.10], None, half_square)
    assert tr.loss == "half_square"
    assert tr.layers[1].delta[1] == 0.0 and tr.check()


def test_an_activation_made_of_several_ops_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    softplus: Callable[[Value], Value] = lambda z: (1.0 + z.exp()).log()  # noqa: E731
    monkeypatch.setitem(nn.ACTIVATIONS, "softplus", softplus)
    model = nn.MLP(2, [2, 1], activation="softplus", seed=0)
    with pytest.raises(TypeError, match="reads z as the input of the softplus op, but the "
                                        "unit's output was made by 'log'"):
        nn.trace(model, [0.1, 0.2], 0.0)


def test_a_model_with_dropout_is_read_as_in_eval_mode() -> None:
    with_dropout = nn.MLP(2, [3, 2], activation="tanh", dropout=0.5, seed=4)
    without = nn.MLP(2, [3, 2], activation="tanh", seed=4)
    assert with_dropout.training
    traced, plain = (nn.trace(m, x=[0.3, -0.7], target=[0.1, 0.2]) for m in (with_dropout, without))
    assert [(layer.z, layer.delta, layer.grad_w) for layer in traced.layers] == [
        (layer.z, layer.delta, layer.grad_w) for layer in plain.layers]
    assert traced.cost == plain.cost


@pytest.mark.parametrize("target", ["ab", 0.5, None])
def test_a_target_for_several_outputs_must_be_a_list(target: object) -> None:
    model = nn.MLP(2, [2, 2], seed=0)
    with pytest.raises(TypeError, match=re.escape(
            f"quadratic: 2 outputs need a list of 2 numbers as targets, got {target!r}")):
        nn.trace(model, [0.1, 0.2], target)
