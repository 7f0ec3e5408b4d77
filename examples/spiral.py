"""Three interleaved spirals: a 2-24-3 ReLU network with softmax cross-entropy.

60 points an arm, mini-batches of 10, Adam, He initialization. The three outputs are logits;
softmax turns them into class probabilities and cross_entropy is −log of the right class's.
Draws the regions each class wins (spiral.png).

    python examples/spiral.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

import plotting
from arguments import output_dir

import nn


def main(out_dir: Path, epochs: int = 40) -> dict[str, object]:
    """Train, print and draw; return the history and the final accuracy."""
    X, y = nn.data.spiral(60, classes=3, seed=0)
    model = nn.init.he_uniform(nn.MLP(2, [24, 3], activation="relu"), seed=0)
    history = nn.fit(model, X, y, loss="cross_entropy",
                     optimizer=nn.optim.Adam(model.parameters(), lr=0.05), epochs=epochs,
                     batch_size=10, seed=0)
    accuracy = nn.accuracy(model, X, y)
    outer = 59  # the outer end of arm 0
    logits = model.forward(X[outer])
    assert isinstance(logits, list)
    probabilities = [p.data for p in nn.losses.softmax(logits)]
    print(f"after {epochs} epochs: loss {history['loss'][-1]:.4f}, accuracy {accuracy:.3f}")
    print(f"class probabilities at {[round(v, 2) for v in X[outer]]} (class {y[outer]}): "
          + ", ".join(f"{p:.3f}" for p in probabilities))
    plotting.decision_regions(model, X, y, out_dir / "spiral.png",
                              f"three spirals: accuracy {accuracy:.0%}")
    return {"history": history, "accuracy": accuracy, "probabilities": probabilities}


if __name__ == "__main__":
    main(output_dir(__doc__))
