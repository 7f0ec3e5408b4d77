"""Graphs the drawing and explaining tests share, built from plain Values, and the lecture MLP."""

from __future__ import annotations

import nn
from autograd import Value, scope

LECTURE_WEIGHTS = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)


def seed_graph() -> Value:
    """The lecture's f = (x + y) * z at x = -2, y = 5, z = -4, after backward."""
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.label = "f"
    f.backward()
    return f


def lecture_network() -> tuple[Value, list[Value]]:
    """The lecture's 2-2-2 sigmoid network's error E = Σ ½(t − o)², and its weights w1..w8.

    Inputs 0.05, 0.10; biases 0.35 (hidden) and 0.60 (output), each shared by its layer;
    targets 0.01, 0.99. The nodes are labelled with the lecture's names: net_h1, out_h1, ...
    """
    i1, i2 = Value(0.05, label="i1"), Value(0.10, label="i2")
    w = [Value(x, label=f"w{k}") for k, x in enumerate(LECTURE_WEIGHTS, start=1)]
    b1, b2 = Value(0.35, label="b1"), Value(0.60, label="b2")

    def unit(name: str, a: Value, wa: Value, b: Value, wb: Value, bias: Value) -> Value:
        net = wa * a + wb * b + bias
        net.label = f"net_{name}"
        out = net.sigmoid()
        out.label = f"out_{name}"
        return out

    h1 = unit("h1", i1, w[0], i2, w[1], b1)
    h2 = unit("h2", i1, w[2], i2, w[3], b1)
    o1 = unit("o1", h1, w[4], h2, w[5], b2)
    o2 = unit("o2", h1, w[6], h2, w[7], b2)
    error = 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2
    error.label = "E"
    return error, w


def scoped_network() -> tuple[Value, list[Value]]:
    """A 2-2-1 tanh network whose neurons run inside scopes layers.L and layers.L.neurons.N,
    as an nn module would open them, and its parameters (made outside any scope)."""
    xs = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    parameters: list[Value] = []
    for layer, width in enumerate((2, 1)):
        outputs = []
        with scope(f"layers.{layer}"):
            for n in range(width):
                ws = [Value(0.1 * (k + 1) - 0.3 * n, label=f"w{layer}{n}{k}")
                      for k in range(len(xs))]
                b = Value(0.1, label=f"b{layer}{n}")
                parameters += [*ws, b]
                with scope(f"layers.{layer}.neurons.{n}"):
                    act = sum((wk * xk for wk, xk in zip(ws, xs, strict=True)), b)
                    outputs.append(act.tanh())
        xs = outputs
    loss = (xs[0] - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, parameters


def lecture_mlp() -> nn.MLP:
    """The same 2-2-2 sigmoid network as an nn.MLP: w1..w8 in order, biases 0.35 and 0.60."""
    model = nn.MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    w = LECTURE_WEIGHTS
    return nn.init.set_weights(model, [[w[0:2], w[2:4]], [w[4:6], w[6:8]]],
                               [[0.35, 0.35], [0.60, 0.60]])
