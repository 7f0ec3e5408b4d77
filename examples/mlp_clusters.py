"""An MLP-like graph from plain Values, each neuron made inside scopes as an nn module makes
them, drawn with one box per layer and per neuron and coloured by role.

    python examples/mlp_clusters.py OUTPUT_DIR
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import autograd
from autograd import Value, scope


def neuron(inputs: list[Value], weights: list[Value], bias: Value) -> Value:
    """tanh(w · x + b)."""
    return sum((w * x for w, x in zip(weights, inputs, strict=True)), bias).tanh()


def main(out_dir: Path) -> None:
    rng = random.Random(2)
    xs = [Value(0.5, label="x0"), Value(-1.5, label="x1")]
    parameters: list[Value] = []
    for layer, width in enumerate((3, 1)):
        outputs = []
        with scope(f"layers.{layer}"):
            for n in range(width):
                name = f"layers.{layer}.neurons.{n}"
                weights = [Value(round(rng.uniform(-1, 1), 2), label=f"w{k}")
                           for k in range(len(xs))]
                bias = Value(0.0, label="b")
                parameters += [*weights, bias]
                with scope(name):
                    outputs.append(neuron(xs, weights, bias))
        xs = outputs
    loss = (xs[0] - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    print(f"loss = {loss.data:.4f}; {len(parameters)} parameters")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = autograd.render(loss, out_dir / "mlp_clusters.svg", cluster_modules=True,
                           parameters=parameters)
    print(f"wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python {sys.argv[0]} OUTPUT_DIR")
    main(Path(sys.argv[1]))
