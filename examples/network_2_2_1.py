"""The lectures' 2-2-1 sigmoid network without bias, one update from one sample.

x = (0.35, 0.9), y = 0.5, cost J = ½(y − o)², learning rate α = 1. The slides' δ of a unit is
minus the gradient of J at its weighted input z, and their update w ← w + α·δ·a is gradient
descent: here both come from one backward pass. Draws the graph (network_2_2_1.svg).

    python examples/network_2_2_1.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import autograd
import nn
from autograd import Value

X = [0.35, 0.9]
Y = 0.5
# Hidden unit 1 reads x1, x2 with 0.1, 0.8; unit 2 with 0.4, 0.6; the output unit 0.3, 0.9.
WEIGHTS = [[[0.1, 0.8], [0.4, 0.6]], [[0.3, 0.9]]]
LEARNING_RATE = 1.0


def network() -> nn.MLP:
    """The lecture's network: sigmoid units, no bias."""
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", bias=False)
    return nn.init.set_weights(model, WEIGHTS)


def main(out_dir: Path) -> dict[str, object]:
    """Run the example, write its picture to out_dir and return its figures."""
    model = network()
    inputs = [Value(x, label=f"x{k}") for k, x in enumerate(X, 1)]
    hidden = model.layers[0](inputs)
    (output,) = model.layers[1](hidden)
    cost = nn.losses.quadratic(output, Y)
    cost.label = "J"
    cost.backward()
    out_dir.mkdir(parents=True, exist_ok=True)
    autograd.render(cost, out_dir / "network_2_2_1.svg")
    # δ = -dJ/dz, read at each unit's weighted input z: the parent of its sigmoid node.
    delta = -output.parents[0].grad
    hidden_deltas = [-a.parents[0].grad for a in hidden]
    nn.optim.SGD(model.parameters(), lr=LEARNING_RATE).step()
    updated = model.state_dict()
    print(f"a1 = {hidden[0].data:.4f}, a2 = {hidden[1].data:.4f}, o = {output.data:.4f}")
    print(f"δ = {delta:.4f}, hidden δ = {hidden_deltas[0]:.5f}, {hidden_deltas[1]:.5f}")
    print("updated weights: " + ", ".join(f"{name} = {w:.6f}" for name, w in updated.items()))
    return {"hidden": [a.data for a in hidden], "output": output.data, "delta": delta,
            "hidden_deltas": hidden_deltas, "updated": updated}


if __name__ == "__main__":
    main(output_dir(__doc__))
