"""A 2-3-1 tanh MLP from nn, drawn with one box per layer and per neuron, coloured by role.

Calling an nn module opens a scope named by its path (layers.0, layers.0.neurons.1, ...), so the
drawing can group each neuron's nodes.

    python examples/mlp_clusters.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import autograd
import nn
from autograd import Value


def main(out_dir: Path) -> None:
    """Build the MLP's loss, run backward and draw it with its clusters into out_dir."""
    model = nn.MLP(2, [3, 1], activation="tanh", seed=2)
    for name, parameter in model.named_parameters():  # layers.0.neurons.1.w.0 is w0, ….b is b
        *_, kind, index = name.split(".")
        parameter.label = kind + index if kind == "w" else index
    xs = [Value(0.5, label="x0"), Value(-1.5, label="x1")]
    prediction = model(xs)
    assert isinstance(prediction, Value)
    loss = (prediction - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    print(f"loss = {loss.data:.4f}; {len(model.parameters())} parameters")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = autograd.render(loss, out_dir / "mlp_clusters.svg", cluster_modules=True,
                           parameters=model.parameters())
    print(f"wrote {path}")


if __name__ == "__main__":
    main(output_dir(__doc__))
