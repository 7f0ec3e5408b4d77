"""What the benchmarks compute, written once for every engine whose numbers act like Values.

The micrograd demo step (MLP(2, [16, 16, 1]) with ReLU hidden layers on 100 two-moons points,
SVM hinge loss plus L2, full backward, SGD), a hand-written pure-Python version of the same step
(the floor for Python code), and a mixed random graph of a chosen size.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

Number = Callable[[float], Any]  # makes an engine's scalar from a float

SIZES = [2, 16, 16, 1]
POINTS, NOISE, DATA_SEED, MODEL_SEED = 100, 0.1, 1, 2
LEARNING_RATE, L2 = 0.05, 1e-4


def moons(n: int = POINTS, noise: float = NOISE,
          seed: int = DATA_SEED) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, labels -1 and +1, as in micrograd's demo."""
    rng = random.Random(seed)
    xs: list[list[float]] = []
    ys: list[float] = []
    for i in range(n):
        upper = i % 2 == 0
        t = math.pi * rng.random()
        x, y = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(-1.0 if upper else 1.0)
    return xs, ys


class MLP:
    """An MLP of one engine's scalars: lists of weights, ReLU hidden layers."""

    def __init__(self, number: Number, sizes: Sequence[int] = SIZES,
                 seed: int = MODEL_SEED) -> None:
        rng = random.Random(seed)
        self.layers = [
            [([number(rng.uniform(-1, 1)) for _ in range(nin)], number(0.0))
             for _ in range(nout)]
            for nin, nout in itertools.pairwise(sizes)
        ]

    def parameters(self) -> list[Any]:
        """Every weight and bias, neuron by neuron."""
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def __call__(self, x: Sequence[Any]) -> Any:
        return self.outputs(x)[0]

    def outputs(self, x: Sequence[Any]) -> list[Any]:
        """Every output of the last layer."""
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            acts = [sum((wi * xi for wi, xi in zip(w, x, strict=True)), b) for w, b in layer]
            x = acts if last else [a.relu() for a in acts]
        return list(x)


def demo_loss(model: MLP, inputs: Sequence[Sequence[Any]], ys: Sequence[float]) -> Any:
    """Hinge loss mean(relu(1 - y * score)) plus L2 1e-4 * sum(p^2), as micrograd's demo."""
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = L2 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


SPIRAL_POINTS, CLASSES, SPIRAL_WIDTH = 300, 3, 32


def spiral(n: int = SPIRAL_POINTS, classes: int = CLASSES,
           seed: int = DATA_SEED) -> tuple[list[list[float]], list[int]]:
    """Points on `classes` interleaved spiral arms (n in all), each labelled by its arm."""
    rng = random.Random(seed)
    xs: list[list[float]] = []
    labels: list[int] = []
    per_class = n // classes
    for c in range(classes):
        for i in range(per_class):
            r = i / per_class
            t = 4.0 * (c + r) + rng.gauss(0, 0.2)
            xs.append([r * math.sin(t), r * math.cos(t)])
            labels.append(c)
    return xs, labels


def spiral_sizes(width: int = SPIRAL_WIDTH) -> list[int]:
    """The spiral MLP's layer sizes: two ReLU hidden layers of width, one output a class."""
    return [2, width, width, CLASSES]


def cross_entropy(logits: Sequence[Any], target: Sequence[Any], exp: Callable[[Any], Any],
                  log: Callable[[Any], Any]) -> Any:
    """Softmax cross-entropy log(Σ e^z) - Σ t z of one sample, t its one-hot class."""
    return log(sum((exp(z) for z in logits[1:]), exp(logits[0]))) - sum(
        (t * z for t, z in zip(target[1:], logits[1:], strict=True)), target[0] * logits[0])


def handwritten_step(layers: list[tuple[list[list[float]], list[float]]],
                     xs: list[list[float]], ys: list[float]) -> float:
    """The demo step in plain floats, forward and backward by hand; updates layers in place.

    layers holds (weights, biases) per layer, weights[j] the input weights of neuron j.
    """
    grads = [([[0.0] * len(row) for row in w], [0.0] * len(b)) for w, b in layers]
    scale = 1.0 / len(xs)
    data_loss = 0.0
    last = len(layers) - 1
    for x, y in zip(xs, ys, strict=True):
        acts = [x]
        for i, (w, b) in enumerate(layers):
            z = [bj + sum(wi * xi for wi, xi in zip(row, acts[-1], strict=True))
                 for row, bj in zip(w, b, strict=True)]
            acts.append(z if i == last else [zj if zj > 0.0 else 0.0 for zj in z])
        margin = 1.0 - y * acts[-1][0]
        if margin <= 0.0:
            continue
        data_loss += margin
        delta = [-y * scale]  # d loss / d score
        for i in range(last, -1, -1):
            (w, _), (gw, gb), a = layers[i], grads[i], acts[i]
            for j, dj in enumerate(delta):
                gb[j] += dj
                gw[j] = [g + dj * ak for g, ak in zip(gw[j], a, strict=True)]
            if i:
                back = [sum(dj * w[j][k] for j, dj in enumerate(delta)) for k in range(len(a))]
                delta = [d if ak > 0.0 else 0.0 for d, ak in zip(back, a, strict=True)]
    reg_loss = 0.0
    for (w, b), (gw, gb) in zip(layers, grads, strict=True):
        for row, grow in zip((*w, b), (*gw, gb), strict=True):
            for k, p in enumerate(row):
                reg_loss += p * p
                row[k] = p - LEARNING_RATE * (grow[k] + 2.0 * L2 * p)
    return data_loss * scale + L2 * reg_loss


WIDTH = 1000
NODES_MADE = (6, 3, 4)  # by each kind of new node in mixed_graph


def mixed_choices(nodes: int, width: int = WIDTH, seed: int = 3) -> list[int]:
    """The random picks of a mixed graph of `nodes` nodes (as chainrule counts them, give or
    take a few): for each new node, which of the last `width` nodes it reads besides the one
    `width` back."""
    rng = random.Random(seed)
    picks: list[int] = []
    count = width + 1 + width  # the leaves, the sum's 0 and its adds
    while count < nodes:
        made = width + len(picks)
        count += NODES_MADE[len(picks) % 3]
        picks.append(rng.randrange(made - width, made))
    return picks


def mixed_graph(number: Number, picks: list[int], width: int = WIDTH,
                seed: int = 4) -> tuple[Any, list[Any]]:
    """The mixed random graph of picks (see mixed_choices), and its leaves.

    New nodes cycle through 1 - 2 (a b)^2, (a + b) / 2 and relu(a - b) - 1, where a is the node
    `width` places back and b the one picked: values stay in [-1, 1] without dwindling to zero
    (where subnormal floats would slow every engine down), every node reaches the root (the sum
    of the last `width`) and the depth stays near nodes / width.
    """
    rng = random.Random(seed)
    leaves = [number(rng.uniform(-1.0, 1.0)) for _ in range(width)]
    made = list(leaves)
    for k, pick in enumerate(picks):
        a, b = made[-width], made[pick]
        kind = k % 3
        if kind == 0:
            made.append(1 - 2 * (a * b) ** 2)  # mul, pow, the constant 2, mul, the 1, sub
        elif kind == 1:
            made.append((a + b) * 0.5)  # add, the constant 0.5, mul
        else:
            made.append((a - b).relu() - 1)  # sub, relu, the constant 1, sub
    return sum(made[-width:]), leaves
