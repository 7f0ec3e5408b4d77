"""Two moons: a 2-16-16-1 ReLU network with the SVM hinge loss and L2, as in micrograd's demo.

200 noisy points, 150 to train on and 50 held out; mini-batches of 10, SGD with momentum.
Draws the decision boundary (moons.png) and the loss and accuracy per epoch (moons_training.png).
With --compile, one sample's loss is compiled once to a per-sample kernel that every batch runs
(nn.fit(compile=True)): the same numbers, several times faster.

    python examples/moons.py OUTPUT_DIR [--compile]
"""

from __future__ import annotations

from pathlib import Path

import plotting
from arguments import parser

import nn


def main(out_dir: Path, epochs: int = 30, compile: bool = False) -> dict[str, object]:
    """Train, print and draw; return the history and the test accuracy."""
    X, y = nn.data.moons(200, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = nn.data.train_test_split(X, y, test_fraction=0.25, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = nn.fit(model, X_train, y_train, loss="hinge", optimizer=optimizer, epochs=epochs,
                     batch_size=10, l2=0.02, seed=0, validation=(X_test, y_test),
                     compile=compile)
    test_accuracy = nn.accuracy(model, X_test, y_test)
    print(f"after {epochs} epochs: training loss {history['loss'][-1]:.4f}, "
          f"training accuracy {history['accuracy'][-1]:.3f}, test accuracy {test_accuracy:.3f}")
    plotting.decision_regions(model, X, plotting.two_class_indices(y), out_dir / "moons.png",
                              f"two moons: test accuracy {test_accuracy:.0%}")
    plotting.curves({"loss": {"training": history["loss"], "test": history["val_loss"]},
                     "accuracy": {"training": history["accuracy"],
                                  "test": history["val_accuracy"]}},
                    out_dir / "moons_training.png", "epoch")
    return {"history": history, "test_accuracy": test_accuracy}


if __name__ == "__main__":
    command = parser(__doc__)
    command.add_argument("--compile", action="store_true",
                         help="compile each batch's loss graph once (nn.fit(compile=True))")
    arguments = command.parse_args()
    main(arguments.output_dir, compile=arguments.compile)
