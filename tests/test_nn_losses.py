"""nn.losses: values, gradients (against their closed forms), stability and clear errors."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import nn
from autograd import Value
from nn import losses

finite = st.floats(-30.0, 30.0)
probability = st.floats(1e-6, 1.0 - 1e-6)
label01 = st.sampled_from([0.0, 1.0])


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def values(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=5))
def test_quadratic_and_mse_values_and_gradients(pairs: list[tuple[float, float]]) -> None:
    outputs, targets = values([o for o, _ in pairs]), [t for _, t in pairs]
    quadratic = losses.quadratic(outputs, targets)
    quadratic.backward()
    assert quadratic.data == pytest.approx(
        sum(0.5 * (t - o) ** 2 for o, t in pairs), rel=1e-12, abs=1e-300)
    for out, (o, t) in zip(outputs, pairs, strict=True):
        assert out.grad == pytest.approx(o - t, rel=1e-12, abs=1e-12)  # dE/do = -(t - o)
    outputs = values([o for o, _ in pairs])
    mse = losses.mse(outputs, targets)
    mse.backward()
    assert mse.data == pytest.approx(2 * quadratic.data / len(pairs), rel=1e-12, abs=1e-300)
    for out, (o, t) in zip(outputs, pairs, strict=True):
        assert out.grad == pytest.approx(2 * (o - t) / len(pairs), rel=1e-12, abs=1e-12)


def test_a_single_value_and_a_single_target_are_accepted() -> None:
    assert losses.quadratic(Value(0.75), 0.25).data == 0.125
    assert losses.quadratic([Value(0.75)], [0.25]).data == 0.125


@given(probability, st.floats(0.0, 1.0))
def test_binary_cross_entropy_value_and_gradient(p: float, t: float) -> None:
    prediction = Value(p)
    loss = losses.binary_cross_entropy(prediction, t)
    loss.backward()
    assert loss.data == pytest.approx(-(t * math.log(p) + (1 - t) * math.log(1 - p)),
                                      rel=1e-9, abs=1e-12)
    assert prediction.grad == pytest.approx((p - t) / (p * (1 - p)), rel=1e-9, abs=1e-9)


def test_binary_cross_entropy_of_a_certain_right_answer_is_zero_not_nan() -> None:
    assert losses.binary_cross_entropy(Value(1.0), 1.0).data == 0.0
    assert losses.binary_cross_entropy(Value(0.0), 0.0).data == 0.0
    assert losses.binary_cross_entropy(Value(0.0), 1.0).data == math.inf


@given(finite, st.floats(0.0, 1.0))
@example(19.5, 0.0)
@example(17.0, 1.0 - 2.0**-53)
def test_bce_with_logits_is_bce_of_the_sigmoid_with_gradient_sigmoid_minus_t(
        z: float, t: float) -> None:
    logit = Value(z)
    loss = losses.binary_cross_entropy_with_logits(logit, t)
    loss.backward()
    # −t·log σ(z) − (1 − t)·log(1 − σ(z)) to 50 digits: in floats 1 − σ(z) would round away.
    with localcontext() as context:
        context.prec = 50
        p = 1 / (1 + (-Decimal(z)).exp())
        expected = float(-Decimal(t) * p.ln() - (1 - Decimal(t)) * (1 - p).ln())
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert logit.grad == pytest.approx(sigmoid(z) - t, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("z", "t", "loss", "grad"), [
    (0.0, 1.0, math.log(2), -0.5), (0.0, 0.0, math.log(2), 0.5),  # the kink-free point z = 0
    (1000.0, 0.0, 1000.0, 1.0), (-1000.0, 1.0, 1000.0, -1.0),
    (1000.0, 1.0, 0.0, 0.0), (-1000.0, 0.0, 0.0, 0.0),
])
def test_bce_with_logits_at_zero_and_at_extreme_logits(z: float, t: float, loss: float,
                                                       grad: float) -> None:
    logit = Value(z)
    value = losses.binary_cross_entropy_with_logits(logit, t)
    value.backward()
    assert value.data == pytest.approx(loss, rel=1e-15)
    assert logit.grad == pytest.approx(grad, rel=1e-15)


@given(st.lists(st.tuples(finite, st.floats(0.0, 1.0)), min_size=1, max_size=4))
def test_both_binary_cross_entropies_sum_over_the_outputs(pairs: list[tuple[float, float]]) -> None:
    """Σₖ over K outputs, as the lectures' J(W) sums them: each output's own loss and slope."""
    for loss, to_input in ((losses.binary_cross_entropy_with_logits, lambda z: z),
                           (losses.binary_cross_entropy, lambda z: min(max(sigmoid(z), 1e-6),
                                                                        1.0 - 1e-6))):
        outputs = values([to_input(z) for z, _ in pairs])
        total = loss(outputs, [t for _, t in pairs])
        total.backward()
        alone = [Value(to_input(z)) for z, _ in pairs]
        for value, (_, t) in zip(alone, pairs, strict=True):
            loss(value, t).backward()
        assert total.data == pytest.approx(
            math.fsum(loss(Value(to_input(z)), t).data for z, t in pairs), rel=1e-12, abs=1e-12)
        assert [o.grad for o in outputs] == [v.grad for v in alone]


def test_binary_cross_entropy_checks_every_target_and_the_count() -> None:
    with pytest.raises(ValueError, match=r"expects targets 0 or 1 .*got 2"):
        losses.binary_cross_entropy(values([0.5, 0.5]), [1.0, 2.0])
    with pytest.raises(ValueError, match="binary_cross_entropy: 2 outputs but 3 targets"):
        losses.binary_cross_entropy(values([0.5, 0.5]), [1.0, 0.0, 1.0])


@pytest.mark.parametrize("loss", [losses.binary_cross_entropy,
                                  losses.binary_cross_entropy_with_logits])
def test_losses_wanting_0_1_targets_reject_minus_one(loss: losses.Loss) -> None:
    with pytest.raises(ValueError, match=r"expects targets 0 or 1 .*got -1; for labels -1/\+1 "
                                         "use hinge"):
        loss(Value(0.5), -1.0)


@given(st.lists(finite, min_size=1, max_size=6))
def test_softmax_and_log_softmax(logits: list[float]) -> None:
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    probabilities = [p.data for p in losses.softmax(values(logits))]
    assert probabilities == pytest.approx([e / sum(exps) for e in exps], rel=1e-12, abs=1e-300)
    assert sum(probabilities) == pytest.approx(1.0, rel=1e-12)
    logs = [v.data for v in losses.log_softmax(values(logits))]
    assert logs == pytest.approx([z - top - math.log(sum(exps)) for z in logits], rel=1e-12,
                                 abs=1e-12)


@given(st.lists(finite, min_size=2, max_size=6), st.data())
def test_cross_entropy_gradient_is_softmax_minus_one_hot(logits: list[float],
                                                         data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(logits) - 1))
    inputs = values(logits)
    loss = losses.cross_entropy(inputs, k)
    loss.backward()
    probabilities = [p.data for p in losses.softmax(values(logits))]
    assert loss.data == pytest.approx(-math.log(probabilities[k]), rel=1e-9, abs=1e-12)
    expected = [p - (j == k) for j, p in enumerate(probabilities)]
    assert [v.grad for v in inputs] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_cross_entropy_is_finite_for_logits_of_plus_minus_1000() -> None:
    inputs = values([1000.0, -1000.0, 0.0])
    wrong = losses.cross_entropy(inputs, 1)
    wrong.backward()
    assert wrong.data == 2000.0
    assert [v.grad for v in inputs] == [1.0, -1.0, 0.0]
    right = losses.cross_entropy(values([1000.0, -1000.0, 0.0]), 0)
    assert right.data == 0.0
    assert all(math.isfinite(p.data) for p in losses.softmax(values([1000.0, -1000.0])))
    assert [v.data for v in losses.log_softmax(values([1000.0, -1000.0]))] == [0.0, -2000.0]


@pytest.mark.parametrize("target", [3, -1, 1.5, "0", True])
def test_cross_entropy_wants_a_class_index_in_range(target: object) -> None:
    with pytest.raises(ValueError, match=r"class index in 0\.\.2"):
        losses.cross_entropy(values([1.0, 2.0, 3.0]), target)


def test_cross_entropy_takes_an_integral_float_index() -> None:
    assert losses.cross_entropy(values([1.0, 2.0]), 1.0).data == losses.cross_entropy(
        values([1.0, 2.0]), 1).data


@given(finite, st.sampled_from([-1.0, 1.0]))
def test_hinge(score: float, label: float) -> None:
    s = Value(score)
    loss = losses.hinge(s, label)
    loss.backward()
    margin = 1 - label * score
    assert loss.data == pytest.approx(max(0.0, margin), abs=1e-15)
    assert s.grad == (-label if margin > 0 else 0.0)


def test_hinge_wants_labels_minus_one_or_plus_one() -> None:
    with pytest.raises(ValueError, match=r"hinge expects targets -1 or \+1, got 0"):
        losses.hinge(Value(0.3), 0)


@given(st.lists(finite, min_size=1, max_size=5), st.floats(0.0, 10.0), st.integers(1, 100))
def test_l2_is_lambda_over_2m_sum_of_squares(ws: list[float], lam: float, m: int) -> None:
    weights = values(ws)
    penalty = losses.l2(weights, lam, m)
    penalty.backward()
    assert penalty.data == pytest.approx(lam / (2 * m) * sum(w * w for w in ws), rel=1e-12,
                                         abs=1e-300)
    assert [w.grad for w in weights] == pytest.approx([lam / m * w for w in ws], rel=1e-12,
                                                      abs=1e-300)


def test_l2_rejects_a_negative_strength_or_a_bad_count() -> None:
    with pytest.raises(ValueError, match="lam must be >= 0"):
        losses.l2(values([1.0]), -0.1)
    with pytest.raises(ValueError, match=r"m \(the number of samples\) must be a positive int"):
        losses.l2(values([1.0]), 0.1, 0)


def test_predictions_must_be_values_and_lengths_must_match() -> None:
    with pytest.raises(TypeError, match="expects Values as predictions, got float"):
        losses.quadratic([0.5], [0.1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="expects a Value or a non-empty list"):
        losses.mse([], [])
    with pytest.raises(ValueError, match="2 outputs but 1 targets"):
        losses.quadratic(values([0.5, 0.2]), [0.1])
    with pytest.raises(ValueError, match="hinge expects one output, got 2"):
        losses.hinge(values([0.5, 0.2]), [1.0, -1.0])
    with pytest.raises(TypeError, match="expects numbers as targets"):
        losses.mse(Value(1.0), "1")


def test_losses_by_name() -> None:
    assert losses.get("hinge") is losses.hinge
    assert losses.get(losses.mse) is losses.mse
    with pytest.raises(ValueError, match="unknown loss 'huber': expected a function or one of "
                                         "quadratic, mse, "):
        losses.get("huber")
    assert nn.losses.LOSSES["cross_entropy"] is losses.cross_entropy


def value_and_gradients(loss: losses.Loss, prediction: list[float],
                        target: object) -> tuple[float, list[float]]:
    inputs = values(prediction)
    out = loss(inputs if len(inputs) > 1 else inputs[0], target)
    out.backward()
    return out.data, [v.grad for v in inputs]


def as_leaves(target: object) -> object:
    return [Value(t) for t in target] if isinstance(target, list) else Value(target)  # type: ignore[arg-type]


@pytest.mark.parametrize(("loss", "target"), [
    (losses.quadratic, 0.3), (losses.quadratic, [0.3, -2.0]), (losses.mse, [0.3, -2.0]),
    (losses.hinge, -1.0), (losses.hinge, 1.0),
    (losses.binary_cross_entropy_with_logits, 0.0),
    (losses.binary_cross_entropy_with_logits, 1.0),
    (losses.binary_cross_entropy_with_logits, 0.25),
])
@given(st.lists(finite, min_size=2, max_size=2))
def test_a_value_target_gives_the_float_targets_numbers_bit_for_bit(
        loss: losses.Loss, target: object, prediction: list[float]) -> None:
    prediction = prediction[:len(target)] if isinstance(target, list) else prediction[:1]
    assert value_and_gradients(loss, prediction, as_leaves(target)) == value_and_gradients(
        loss, prediction, target)


@given(probability, label01)
def test_binary_cross_entropy_with_a_value_target_keeps_both_terms(p: float, t: float) -> None:
    assert value_and_gradients(losses.binary_cross_entropy, [p], Value(t)) == (
        value_and_gradients(losses.binary_cross_entropy, [p], t))
    assert math.isnan(losses.binary_cross_entropy(Value(1.0), Value(1.0)).data)


@given(st.lists(finite, min_size=2, max_size=4), st.data())
def test_cross_entropy_of_a_one_hot_target_is_the_class_index_loss_bit_for_bit(
        logits: list[float], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(logits) - 1))
    one_hot = [float(j == k) for j in range(len(logits))]
    expected = value_and_gradients(losses.cross_entropy, logits, k)
    assert value_and_gradients(losses.cross_entropy, logits, one_hot) == expected
    assert value_and_gradients(losses.cross_entropy, logits, as_leaves(one_hot)) == expected


def test_value_targets_are_checked_by_their_value() -> None:
    with pytest.raises(ValueError, match=r"hinge expects targets -1 or \+1, got 0$"):
        losses.hinge(Value(0.5), Value(0.0))
    with pytest.raises(ValueError, match="expects targets 0 or 1"):
        losses.binary_cross_entropy_with_logits(Value(0.5), Value(-1.0))
    with pytest.raises(ValueError, match="cross_entropy: 2 outputs but 3 targets"):
        losses.cross_entropy(values([0.5, 0.2]), [1.0, 0.0, 0.0])
