"""One network, five learning rates: a higher α learns faster, until it diverges.

The lectures' 2-3-1 network (sigmoid hidden units, a linear output), started from the same
weights each time, learns y = x1·x2 + x1/2 on 20 points by full-batch gradient descent on the
quadratic cost. α from 0.03 to 1 each reach a lower cost sooner; α = 3 overshoots and the cost
grows without bound. Draws the cost per epoch (learning_rates.png).

    python examples/learning_rates.py OUTPUT_DIR
"""

from __future__ import annotations

import random
from pathlib import Path

from arguments import output_dir

import nn

RATES = [0.03, 0.1, 0.3, 1.0]
TOO_HIGH = 3.0
EPOCHS = 60


def data() -> tuple[list[list[float]], list[float]]:
    """20 points in [-1, 1]², and y = x1·x2 + x1/2 at each."""
    rng = random.Random(0)
    X = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(20)]
    return X, [x1 * x2 + 0.5 * x1 for x1, x2 in X]


def costs(rate: float) -> list[float]:
    """The cost at each epoch, training the network from its first weights with α = rate."""
    X, y = data()
    model = nn.MLP(2, [3, 1], activation="sigmoid", seed=1)
    return nn.fit(model, X, y, loss="quadratic", epochs=EPOCHS, shuffle=False, progress=False,
                  optimizer=nn.optim.SGD(model.parameters(), lr=rate))["loss"]


def main(out_dir: Path) -> dict[float, list[float]]:
    """Train with each rate, print the costs, draw them side by side."""
    import plotting  # matplotlib, for the picture only

    history = {rate: costs(rate) for rate in [*RATES, TOO_HIGH]}
    for rate, cost in history.items():
        print(f"α = {rate:<4g}: cost {cost[0]:.4f} at the start, {cost[9]:.4g} after 10 epochs, "
              f"{cost[-1]:.4g} after {EPOCHS}")
    plotting.curves({
        "higher α learns faster": {f"α = {rate:g}": history[rate] for rate in RATES},
        f"until it diverges (α = {TOO_HIGH:g})": {
            f"α = {rate:g}": history[rate] for rate in (RATES[-1], TOO_HIGH)},
    }, out_dir / "learning_rates.png", "epoch", log=True)
    print(f"wrote {out_dir / 'learning_rates.png'}")
    return history


if __name__ == "__main__":
    main(output_dir(__doc__))
