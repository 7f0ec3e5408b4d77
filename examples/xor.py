"""XOR, the function no single neuron can learn: a 2-4-1 tanh network learns it.

Labels -1/+1, squared error (mse), full-batch gradient descent. Draws the decision regions
(xor.png).

    python examples/xor.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

import plotting
from arguments import output_dir

import nn


def main(out_dir: Path, epochs: int = 300) -> dict[str, object]:
    """Train, print and draw; return the history and the final accuracy."""
    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    history = nn.fit(model, X, y, loss="mse", optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
                     epochs=epochs, progress=False)
    outputs = nn.predict(model, X)
    accuracy = nn.accuracy(model, X, y)
    for row, target, out in zip(X, y, outputs, strict=True):
        print(f"x = {row}  target {target:+.0f}  output {out:+.3f}")
    print(f"loss {history['loss'][-1]:.4f}, accuracy {accuracy:.2f}")
    plotting.decision_regions(model, X, plotting.two_class_indices(y), out_dir / "xor.png",
                              "XOR: a 2-4-1 tanh network")
    return {"history": history, "accuracy": accuracy, "outputs": outputs}


if __name__ == "__main__":
    main(output_dir(__doc__))
