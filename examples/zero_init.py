"""Why weights must not start equal: a 2-3-1 sigmoid network learning XOR, twice.

Started from zeros, the three hidden units receive the same gradient at every update, so they
stay identical and the network is no better than one with a single hidden unit. Started from
uniform values in [-ε, ε] (the symmetry breaking of the lectures) it learns XOR. Draws each
hidden unit's first weight over the epochs (zero_init.png).

    python examples/zero_init.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

import plotting
from arguments import output_dir

import nn

EPOCHS = 1000
LEARNING_RATE = 1.0


def train(model: nn.MLP) -> list[list[list[float]]]:
    """Per-sample training on XOR (targets 0/1); each hidden unit's weights after each epoch."""
    X, y = nn.data.xor()
    targets = [(t + 1) / 2 for t in y]
    optimizer = nn.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    trace = []
    for epoch in range(EPOCHS):
        nn.fit(model, X, targets, loss="binary_cross_entropy", optimizer=optimizer,
               batch_size=1, seed=epoch, progress=False)
        trace.append([[w.data for w in n.w] for n in model.layers[0].neurons])
    return trace


def network(init: str) -> nn.MLP:
    """The 2-3-1 network, its parameters all 0 or uniform in [-1, 1]."""
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid")
    return nn.init.zeros(model) if init == "zeros" else nn.init.uniform(model, 1.0, seed=0)


def main(out_dir: Path) -> dict[str, object]:
    """Train from both starts, print and draw the hidden weights, return the figures."""
    X, y = nn.data.xor()
    targets = [(t + 1) / 2 for t in y]
    results: dict[str, object] = {}
    panels = {}
    for init in ("zeros", "uniform"):
        model = network(init)
        trace = train(model)
        hidden = trace[-1]
        accuracy = nn.accuracy(model, X, targets)
        print(f"{init:>7}: hidden weights {[[round(w, 3) for w in row] for row in hidden]}, "
              f"accuracy {accuracy:.2f}")
        results[init] = {"hidden": hidden, "accuracy": accuracy}
        panels[f"started from {init}: weight from x1"] = {
            f"hidden unit {j + 1}": [epoch[j][0] for epoch in trace] for j in range(3)}
    plotting.curves(panels, out_dir / "zero_init.png", "epoch")
    return results


if __name__ == "__main__":
    main(output_dir(__doc__))
