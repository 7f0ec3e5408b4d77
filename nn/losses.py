"""Losses of one sample: a prediction (a Value or a list of Values) against its target.

Each returns a Value to call backward() on. Targets are floats, lists of floats, or a class
index for cross_entropy (or its class probabilities). A target may also be a Value leaf (or a
list of them), so that a compiled loss takes new targets as inputs, as fit(compile=True) does.
`l2` is the lectures' regularization term over a model's weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from autograd import Value

Prediction = Value | Sequence[Value]
Loss = Callable[[Prediction, object], Value]
Target = float | Value


def quadratic(prediction: Prediction, target: object) -> Value:
    """½·Σ(t − o)², the lectures' squared error E = Σ ½(target − output)²."""
    pairs = _pairs(prediction, target, "quadratic")
    return 0.5 * _sum([(t - o) ** 2 for o, t in pairs])


def mse(prediction: Prediction, target: object) -> Value:
    """The mean of (t − o)² over the outputs."""
    pairs = _pairs(prediction, target, "mse")
    return _sum([(t - o) ** 2 for o, t in pairs]) / len(pairs)


def binary_cross_entropy(prediction: Prediction, target: object) -> Value:
    """−Σₖ [tₖ·log pₖ + (1 − tₖ)·log(1 − pₖ)] over the K outputs, for probabilities pₖ.

    Targets 0 or 1 (or in between), one an output: the inner sum of the lectures' J(W). Each p
    must come from a sigmoid; p of exactly 0 or 1 against the other label is an infinite loss,
    which binary_cross_entropy_with_logits avoids. A Value target keeps both terms (its value
    may change), so there p of exactly 0 or 1 gives nan even against its own label.
    """
    terms = []
    for p, t in _pairs(prediction, target, "binary_cross_entropy"):
        _check_probability_target(t, "binary_cross_entropy")
        # a term with weight 0 is left out, so p = 1 with t = 1 gives 0, not nan
        if isinstance(t, Value) or t != 0.0:
            terms.append(t * p.log())
        if isinstance(t, Value) or t != 1.0:
            terms.append((1.0 - t) * (1.0 - p).log())
    return -_sum(terms)


def binary_cross_entropy_with_logits(prediction: Prediction, target: object) -> Value:
    """binary_cross_entropy(sigmoid(z), t) computed from the logits z, finite for any z.

    Summed over the K outputs; targets 0 or 1 (or in between). Uses (1 − t)·z + log(1 + e^−z)
    for z ≥ 0 and −t·z + log(1 + e^z) below, so exp never overflows and the derivative is
    σ(z) − t everywhere. (A compiled graph keeps the form chosen when it was built: equal, but
    finite only for z within some 700 of the other side.)
    """
    terms = []
    for z, t in _pairs(prediction, target, "binary_cross_entropy_with_logits"):
        _check_probability_target(t, "binary_cross_entropy_with_logits")
        # NOTE: log(1 + u) for tiny u = e^-|z| is exact to about 1e-16 absolute, not relative:
        # the op table has no log1p.
        if z.data >= 0.0:
            terms.append((1.0 - t) * z + (1.0 + (-z).exp()).log())
        else:
            terms.append(-t * z + (1.0 + z.exp()).log())
    return _sum(terms)


def softmax(logits: Sequence[Value]) -> list[Value]:
    """e^z_k / Σ_j e^z_j, computed after subtracting the largest logit so exp cannot overflow."""
    shifted = _shifted(logits, "softmax")
    exps = [z.exp() for z in shifted]
    total = _sum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Sequence[Value]) -> list[Value]:
    """z_k − log Σ_j e^z_j, stable for logits of any size (log-sum-exp)."""
    shifted = _shifted(logits, "log_softmax")
    log_total = _log_sum_exp(shifted)
    return [z - log_total for z in shifted]


def cross_entropy(prediction: Prediction, target: object) -> Value:
    """−log softmax(logits)[k] for the class index k: finite even for logits of ±1000.

    The target may also be class probabilities t (one a class, as torch.nn.CrossEntropyLoss
    takes them): the loss is then −Σ_k t_k·log softmax(logits)[k], which for a one-hot t is the
    class index's loss, to the last bit.
    """
    shifted = _shifted(prediction, "cross_entropy")
    if isinstance(target, Sequence) and not isinstance(target, str):
        pairs = _pairs(shifted, target, "cross_entropy")
        log_total = _log_sum_exp(shifted)
        return _sum([t * (log_total - z) for z, t in pairs])
    k = _class_index(target, len(shifted))
    return _log_sum_exp(shifted) - shifted[k]


def hinge(prediction: Prediction, target: object) -> Value:
    """max(0, 1 − t·s), the SVM max-margin loss for a score s; targets −1 or +1."""
    s, t = _single(prediction, target, "hinge")
    if _data(t) not in (-1.0, 1.0):
        raise ValueError(f"hinge expects targets -1 or +1, got {_data(t):g}")
    return (1.0 - t * s).relu()


def l2(weights: Sequence[Value], lam: float, m: int = 1) -> Value:
    """λ/(2m)·Σw², the lectures' regularization term (m: the number of training samples)."""
    if not lam >= 0.0:
        raise ValueError(f"the L2 strength lam must be >= 0, got {lam!r}")
    if not isinstance(m, int) or isinstance(m, bool) or m < 1:
        raise ValueError(f"m (the number of samples) must be a positive int, got {m!r}")
    ws = _values(weights, "l2")
    return (lam / (2 * m)) * _sum([w * w for w in ws])


LOSSES: dict[str, Loss] = {
    "quadratic": quadratic,
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


def get(loss: str | Loss) -> Loss:
    """The loss called loss (or loss itself when it is a function)."""
    if callable(loss):
        return loss
    found = LOSSES.get(loss) if isinstance(loss, str) else None
    if found is None:
        raise ValueError(f"unknown loss {loss!r}: expected a function or one of "
                         + ", ".join(LOSSES))
    return found


# --- helpers ---


def _sum(values: Sequence[Value]) -> Value:
    return sum(values[1:], values[0])


def _values(prediction: object, who: str) -> list[Value]:
    items = [prediction] if isinstance(prediction, Value) else prediction
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise TypeError(f"{who} expects a Value or a non-empty list of Values, got "
                        f"{type(prediction).__name__}")
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{who} expects Values as predictions, got {type(item).__name__} "
                            "(call the model on the input to get Values)")
    return list(items)


def _number(target: object, who: str) -> Target:
    if isinstance(target, Value):
        return target
    if not isinstance(target, int | float) or isinstance(target, bool):
        raise TypeError(f"{who} expects numbers as targets, got {target!r:.40}")
    return float(target)


def _data(target: Target) -> float:
    return target.data if isinstance(target, Value) else target


def _pairs(prediction: Prediction, target: object, who: str) -> list[tuple[Value, Target]]:
    outputs = _values(prediction, who)
    if isinstance(target, Sequence) and not isinstance(target, str):
        targets = target
    elif len(outputs) == 1:
        targets = [target]
    else:
        raise TypeError(f"{who}: {len(outputs)} outputs need a list of {len(outputs)} numbers "
                        f"as targets, got {target!r:.40}")
    if len(targets) != len(outputs):
        raise ValueError(f"{who}: {len(outputs)} outputs but {len(targets)} targets")
    return [(o, _number(t, who)) for o, t in zip(outputs, targets, strict=True)]


def _single(prediction: Prediction, target: object, who: str) -> tuple[Value, Target]:
    pairs = _pairs(prediction, target, who)
    if len(pairs) != 1:
        raise ValueError(f"{who} expects one output, got {len(pairs)}")
    return pairs[0]


def _check_probability_target(target: Target, who: str) -> None:
    t = _data(target)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"{who} expects targets 0 or 1 (a probability), got {t:g}; "
                         "for labels -1/+1 use hinge, or map them with (y + 1) / 2")


def _shifted(logits: Prediction, who: str) -> list[Value]:
    """The logits minus the largest one (a constant, so gradients are unchanged)."""
    values = _values(logits, who)
    if not all(math.isfinite(z.data) for z in values):
        return values  # inf or nan logits give nan, as they do in PyTorch
    top = max(z.data for z in values)
    return [z - top for z in values]


def _log_sum_exp(shifted: list[Value]) -> Value:
    """log Σ e^z of shifted logits, whose largest is 0: the sum is in [1, n]."""
    return _sum([z.exp() for z in shifted]).log()


def _class_index(target: object, classes: int) -> int:
    if isinstance(target, float) and target.is_integer():
        target = int(target)
    if not isinstance(target, int) or isinstance(target, bool) or not 0 <= target < classes:
        raise ValueError(f"cross_entropy expects a class index in 0..{classes - 1}, "
                         f"got {target!r:.40}")
    return target
