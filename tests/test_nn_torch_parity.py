"""nn against PyTorch in float64: optimizers, schedulers, losses, nn.trace (skipped without torch).

torch's CPU kernels compute `p + α·g` (and Adam's `p + α·m/d`) with a fused multiply-add, one
rounding where Python rounds twice, and torch's float64 sqrt is not always correctly rounded;
so in-process the updates agree to within a few ulps. With torch's kernels in their portable
build (ATEN_CPU_CAPABILITY=default, no FMA) and torch's square root, they agree bit for bit,
which one test checks in a fresh process.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value
from nn import losses
from nn.optim import SGD, Adam, Optimizer
from nn.schedulers import CosineAnnealingLR, ExponentialLR, Scheduler, StepLR

torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests not run")

F64 = torch.float64
EPSILON = sys.float_info.epsilon
ROOT = Path(__file__).resolve().parent.parent
gradient = st.floats(-10.0, 10.0, allow_subnormal=False)
sgd_settings = st.fixed_dictionaries({
    "lr": st.floats(1e-4, 1.0), "momentum": st.sampled_from([0.0, 0.5, 0.9]),
    "weight_decay": st.sampled_from([0.0, 1e-4, 0.1]), "dampening": st.sampled_from([0.0, 0.3]),
})
adam_settings = st.fixed_dictionaries({
    "lr": st.floats(1e-4, 0.5), "betas": st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.9999)),
    "eps": st.sampled_from([1e-8, 1e-6, 1e-3]), "weight_decay": st.sampled_from([0.0, 0.01]),
})


def run_both(make: Any, torch_make: Any, settings: dict[str, Any], start: list[float],
             grads: list[list[float]]) -> tuple[list[list[float]], list[list[float]]]:
    """Each optimizer's parameters after each step, from the same start and gradients."""
    mine = [Value(x) for x in start]
    theirs = [torch.tensor(x, dtype=F64, requires_grad=True) for x in start]
    optimizer: Optimizer = make(mine, **settings)
    reference = torch_make(theirs, **settings)
    ours_after, theirs_after = [], []
    for step in grads:
        for p, t, g in zip(mine, theirs, step, strict=True):
            p.grad = g
            t.grad = torch.tensor(g, dtype=F64)
        optimizer.step()
        reference.step()
        ours_after.append([p.data for p in mine])
        theirs_after.append([t.item() for t in theirs])
    return ours_after, theirs_after


def agree_to_a_few_ulps(ours: list[list[float]], theirs: list[list[float]],
                        grads: list[list[float]]) -> bool:
    """Close to within rounding: a few ulps of the largest number the steps add and subtract.

    A parameter that passes near 0 keeps the rounding error of the larger terms that cancelled
    there, so the absolute tolerance scales with them, not with the parameter.
    """
    scale = max(1.0, *(abs(v) for row in (*ours, *theirs, *grads) for v in row))
    return all(math.isclose(a, b, rel_tol=1e-12, abs_tol=64 * EPSILON * scale)
               for row_a, row_b in zip(ours, theirs, strict=True)
               for a, b in zip(row_a, row_b, strict=True))


@given(sgd_settings, st.lists(gradient, min_size=1, max_size=4), st.data())
def test_sgd_matches_torch(settings: dict[str, Any], start: list[float],
                           data: st.DataObject) -> None:
    nesterov = data.draw(st.booleans()) and settings["momentum"] > 0 and not settings["dampening"]
    grads = data.draw(st.lists(st.lists(gradient, min_size=len(start), max_size=len(start)),
                               min_size=1, max_size=8))
    ours, theirs = run_both(SGD, torch.optim.SGD, {**settings, "nesterov": nesterov}, start,
                            grads)
    assert agree_to_a_few_ulps(ours, theirs, grads), (ours, theirs)


@given(adam_settings, st.lists(gradient, min_size=1, max_size=4), st.data())
def test_adam_matches_torch(settings: dict[str, Any], start: list[float],
                            data: st.DataObject) -> None:
    grads = data.draw(st.lists(st.lists(gradient, min_size=len(start), max_size=len(start)),
                               min_size=1, max_size=8))
    ours, theirs = run_both(Adam, torch.optim.Adam, settings, start, grads)
    assert agree_to_a_few_ulps(ours, theirs, grads), (ours, theirs)


BIT_FOR_BIT = """
import math, random, torch
from autograd import Value
from nn.optim import SGD, Adam
# torch's float64 sqrt is off by one ulp in about 1% of cases (math.sqrt is correctly rounded):
# Adam is compared with torch's own square root.
math.sqrt = lambda x: torch.tensor(x, dtype=torch.float64).sqrt().item()
rng = random.Random(0)
cases = [(SGD, torch.optim.SGD, dict(lr=0.1)),
         (SGD, torch.optim.SGD, dict(lr=0.03, momentum=0.9, weight_decay=0.01, dampening=0.1)),
         (SGD, torch.optim.SGD, dict(lr=0.3, momentum=0.5, nesterov=True)),
         (Adam, torch.optim.Adam, dict(lr=0.01)),
         (Adam, torch.optim.Adam, dict(lr=0.2, betas=(0.3, 0.9), eps=1e-6, weight_decay=0.1))]
compared = differ = 0
for mine, theirs, settings in cases:
    start = [rng.uniform(-1, 1) for _ in range(10)]
    ps = [Value(x) for x in start]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    a, b = mine(ps, **settings), theirs(ts, **settings)
    for _ in range(30):
        for p, t in zip(ps, ts):
            p.grad = rng.uniform(-3, 3)
            t.grad = torch.tensor(p.grad, dtype=torch.float64)
        a.step()
        b.step()
        compared += len(ps)
        differ += sum(p.data != t.item() for p, t in zip(ps, ts))
print(compared, differ)
"""


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="the no-FMA build of torch's kernels is only selectable on x86-64")
def test_updates_are_bit_for_bit_torchs_without_fused_multiply_add() -> None:
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", BIT_FOR_BIT], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)
    compared, differ = map(int, result.stdout.split())
    assert compared == 5 * 30 * 10
    assert differ == 0



def test_a_frozen_parameter_is_skipped_as_torch_skips_one_without_a_gradient() -> None:
    mine = nn.Layer(2, 2, seed=0)
    theirs = [torch.tensor(p.data, dtype=F64, requires_grad=True) for p in mine.parameters()]
    optimizers = (Adam(mine.parameters(), lr=0.1), torch.optim.Adam(theirs, lr=0.1))
    second = len(mine.neurons[0].parameters())  # the second neuron's parameters start here
    for step, frozen in enumerate([False, True, True, False, False]):
        mine.neurons[1].requires_grad_(not frozen)
        for k, (p, t) in enumerate(zip(mine.parameters(), theirs, strict=True)):
            p.grad = 0.5 + k - step
            t.grad = None if frozen and k >= second else torch.tensor(p.grad, dtype=F64)
        for optimizer in optimizers:
            optimizer.step()
    assert [p.data for p in mine.parameters()] == pytest.approx(
        [t.item() for t in theirs], rel=1e-14)
    state = optimizers[1].state
    assert optimizers[0].steps == [int(state[t]["step"].item()) for t in theirs] == [5] * 3 + [
        3] * 3


# --- learning-rate schedulers ---

SCHEDULERS: dict[str, tuple[Any, Any, st.SearchStrategy[dict[str, Any]]]] = {
    "StepLR": (StepLR, torch.optim.lr_scheduler.StepLR, st.fixed_dictionaries(
        {"step_size": st.integers(1, 10), "gamma": st.floats(0.05, 1.0)})),
    "ExponentialLR": (ExponentialLR, torch.optim.lr_scheduler.ExponentialLR,
                      st.fixed_dictionaries({"gamma": st.floats(0.5, 1.0)})),
    "CosineAnnealingLR": (CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR,
                          st.fixed_dictionaries({"T_max": st.integers(1, 20),
                                                 "eta_min": st.floats(0.0, 1e-3)})),
}


@pytest.mark.parametrize("kind", sorted(SCHEDULERS))
@given(data=st.data(), lr=st.floats(1e-4, 1.0), nudge_at=st.integers(0, 60))
def test_schedulers_set_torchs_learning_rates_step_by_step(kind: str, data: st.DataObject,
                                                           lr: float, nudge_at: int) -> None:
    ours_class, theirs_class, settings = SCHEDULERS[kind]
    chosen = data.draw(settings)
    mine = SGD([Value(1.0)], lr=lr)
    reference = torch.optim.SGD([torch.zeros(1, dtype=F64, requires_grad=True)], lr=lr)
    ours: Scheduler = ours_class(mine, **chosen)
    theirs = theirs_class(reference, **chosen)
    for epoch in range(60):  # three cosine periods and more: the schedule climbs back too
        reference.step()  # torch wants its optimizer stepped first (with no gradient: a no-op)
        if epoch == nudge_at:  # a change made from outside carries on in both
            mine.lr = reference.param_groups[0]["lr"] = mine.lr * 0.5
        ours.step()
        theirs.step()
        assert ours.last_epoch == theirs.last_epoch
        assert mine.lr == reference.param_groups[0]["lr"], epoch
        assert ours.get_last_lr() == theirs.get_last_lr()


# --- losses ---

logit = st.floats(-50.0, 50.0)


def torch_loss(fn: Any, prediction: list[float], target: Any) -> tuple[float, list[float]]:
    x = torch.tensor(prediction, dtype=F64, requires_grad=True)
    out = fn(x, target)
    out.backward()
    return out.item(), x.grad.tolist()


def our_loss(fn: losses.Loss, prediction: list[float], target: object) -> tuple[float,
                                                                                list[float]]:
    inputs = [Value(p) for p in prediction]
    out = fn(inputs, target)
    out.backward()
    return out.data, [v.grad for v in inputs]


def assert_same(ours: tuple[float, list[float]], theirs: tuple[float, list[float]]) -> None:
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12, abs=1e-15)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-12, abs=1e-15)


@given(st.lists(logit, min_size=2, max_size=5), st.data())
def test_cross_entropy_matches_torch(logits: list[float], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(logits) - 1))
    theirs = torch_loss(lambda x, t: torch.nn.functional.cross_entropy(
        x.unsqueeze(0), torch.tensor([t])), logits, k)
    assert_same(our_loss(losses.cross_entropy, logits, k), theirs)


@given(st.lists(st.tuples(logit, st.floats(0.0, 1.0)), min_size=2, max_size=5))
def test_cross_entropy_of_class_probabilities_matches_torch(
        pairs: list[tuple[float, float]]) -> None:
    logits, probabilities = [z for z, _ in pairs], [t for _, t in pairs]
    theirs = torch_loss(lambda x, t: torch.nn.functional.cross_entropy(
        x.unsqueeze(0), torch.tensor([t], dtype=F64)), logits, probabilities)
    assert_same(our_loss(losses.cross_entropy, logits, probabilities), theirs)


@given(logit, st.floats(0.0, 1.0))
def test_bce_with_logits_matches_torch(z: float, t: float) -> None:
    theirs = torch_loss(lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(
        x, torch.tensor([y], dtype=F64)), [z], t)
    ours = our_loss(losses.binary_cross_entropy_with_logits, [z], t)
    # Both add terms as large as |z| that cancel, so each is good to a few ulps of max(1, |z|)
    # rather than relative to a tiny loss (at z = -17, t = 0 torch is the less exact of the two).
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12, abs=8 * EPSILON * max(1.0, abs(z)))
    assert ours[1] == pytest.approx(theirs[1], rel=1e-12, abs=1e-15)


@given(st.floats(1e-10, 1 - 1e-10), st.data())
def test_bce_matches_torch(p: float, data: st.DataObject) -> None:
    # Targets near p make the gradient's two terms cancel: draw those too, not only anywhere.
    t = data.draw(st.floats(0.0, 1.0) | st.floats(p * (1 - 1e-9), min(1.0, p * (1 + 1e-9))))
    theirs = torch_loss(lambda x, y: torch.nn.functional.binary_cross_entropy(
        x, torch.tensor([y], dtype=F64)), [p], t)
    ours = our_loss(losses.binary_cross_entropy, [p], t)
    # We take the log of 1 − p rounded, torch log1p(−p): that rounding shifts our loss by up to
    # half an ulp of 1, weighted by 1 − t; otherwise both are good to a few ulps of the loss.
    assert ours[0] == pytest.approx(theirs[0], rel=8 * EPSILON, abs=8 * EPSILON * (1 - t))
    # Our gradient is −t/p + (1 − t)/(1 − p), torch's (p − t)/(p(1 − p)) (its clamp of p(1 − p)
    # at 1e-12 never acts here): each is good to a few ulps of the terms, not of their sum.
    terms = t / p + (1 - t) / (1 - p)
    assert ours[1] == pytest.approx(theirs[1], abs=8 * EPSILON * terms)


@given(st.lists(st.tuples(st.floats(1e-10, 1 - 1e-10), st.floats(0.0, 1.0)), min_size=2,
                max_size=5))
def test_bce_over_k_outputs_matches_torch_summed(pairs: list[tuple[float, float]]) -> None:
    probabilities, targets = [p for p, _ in pairs], [t for _, t in pairs]
    theirs = torch_loss(lambda x, y: torch.nn.functional.binary_cross_entropy(
        x, torch.tensor(y, dtype=F64), reduction="sum"), probabilities, targets)
    ours = our_loss(losses.binary_cross_entropy, probabilities, targets)
    # each output's term as in test_bce_matches_torch, and the sum's own roundings
    assert ours[0] == pytest.approx(theirs[0], rel=8 * len(pairs) * EPSILON,
                                    abs=8 * EPSILON * sum(1 - t for t in targets))
    for g, their_g, (p, t) in zip(ours[1], theirs[1], pairs, strict=True):
        assert g == pytest.approx(their_g, abs=8 * EPSILON * (t / p + (1 - t) / (1 - p)))


@given(st.lists(st.tuples(logit, st.floats(0.0, 1.0)), min_size=2, max_size=5))
def test_bce_with_logits_over_k_outputs_matches_torch_summed(
        pairs: list[tuple[float, float]]) -> None:
    logits, targets = [z for z, _ in pairs], [t for _, t in pairs]
    theirs = torch_loss(lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(
        x, torch.tensor(y, dtype=F64), reduction="sum"), logits, targets)
    ours = our_loss(losses.binary_cross_entropy_with_logits, logits, targets)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12,
                                    abs=8 * EPSILON * sum(max(1.0, abs(z)) for z in logits))
    assert ours[1] == pytest.approx(theirs[1], rel=1e-12, abs=1e-15)


@given(st.lists(st.tuples(logit, logit), min_size=1, max_size=5))
def test_mse_matches_torch(pairs: list[tuple[float, float]]) -> None:
    outputs, targets = [o for o, _ in pairs], [t for _, t in pairs]
    theirs = torch_loss(lambda x, y: torch.nn.functional.mse_loss(
        x, torch.tensor(y, dtype=F64)), outputs, targets)
    assert_same(our_loss(losses.mse, outputs, targets), theirs)


@given(st.lists(logit, min_size=1, max_size=5))
def test_softmax_and_log_softmax_match_torch(logits: list[float]) -> None:
    x = torch.tensor(logits, dtype=F64)
    ours = [v.data for v in losses.softmax([Value(z) for z in logits])]
    assert ours == pytest.approx(torch.softmax(x, 0).tolist(), rel=1e-12, abs=1e-300)
    ours = [v.data for v in losses.log_softmax([Value(z) for z in logits])]
    assert ours == pytest.approx(torch.log_softmax(x, 0).tolist(), rel=1e-12, abs=1e-12)


def test_a_batch_gradient_and_step_of_an_mlp_match_torch() -> None:
    model = nn.MLP(2, [3, 2], activation="tanh", seed=0)
    X, y = [[0.5, -1.0], [2.0, 0.25], [-0.3, 0.8]], [1, 0, 1]
    layers = [(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=F64,
                            requires_grad=True),
               torch.tensor([n.b.data for n in layer.neurons if n.b], dtype=F64,
                            requires_grad=True)) for layer in model.layers]
    nn.fit(model, X, y, loss="cross_entropy", optimizer=SGD(model.parameters(), lr=0.1),
           batch_size=None, progress=False)
    hidden = torch.tanh(torch.tensor(X, dtype=F64) @ layers[0][0].T + layers[0][1])
    logits = hidden @ layers[1][0].T + layers[1][1]
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()  # the batch's mean
    torch.optim.SGD([t for pair in layers for t in pair], lr=0.1).step()

    def flat(get: Any) -> list[float]:
        return [v for w, b in layers for row, bias in zip(get(w), get(b), strict=True)
                for v in (*row, bias)]

    assert [p.grad for p in model.parameters()] == pytest.approx(
        flat(lambda t: t.grad.tolist()), rel=1e-12)
    assert [p.data for p in model.parameters()] == pytest.approx(
        flat(lambda t: t.tolist()), rel=1e-12)


TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01), "linear": lambda z: z,
}


@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), st.integers(0, 2**32),
       st.sampled_from(sorted(TORCH_ACTIVATIONS)), st.sampled_from(sorted(TORCH_ACTIVATIONS)),
       st.data())
def test_trace_reads_the_deltas_torch_finds_at_each_weighted_input(
        sizes: list[int], seed: int, hidden: str, output: str, data: st.DataObject) -> None:
    model = nn.MLP(sizes[0], sizes[1:], activation=hidden, output_activation=output, seed=seed)
    x = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=sizes[0], max_size=sizes[0]))
    target = data.draw(st.lists(st.floats(-1.0, 1.0), min_size=sizes[-1], max_size=sizes[-1]))
    tr = nn.trace(model, x, target, "quadratic")
    a = torch.tensor(x, dtype=F64)
    zs, weights = [], []
    for layer in tr.layers:
        weight = torch.tensor(layer.W, dtype=F64, requires_grad=True)
        z = weight @ a + torch.tensor(layer.b, dtype=F64)
        z.retain_grad()
        zs.append(z)
        weights.append(weight)
        a = TORCH_ACTIVATIONS[layer.activation](z)
    (0.5 * ((torch.tensor(target, dtype=F64) - a) ** 2).sum()).backward()
    for layer, z, weight in zip(tr.layers, zs, weights, strict=True):
        assert layer.z == pytest.approx(z.tolist(), rel=1e-12, abs=1e-12)
        assert layer.delta == pytest.approx(z.grad.tolist(), rel=1e-12, abs=1e-12)
        for ours, theirs in zip(layer.grad_w, weight.grad.tolist(), strict=True):
            assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
