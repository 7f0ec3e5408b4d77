"""The same network trained in chainrule and in PyTorch side by side, then in PyTorch at scale.

nn.to_torch copies a model into a torch.nn.Sequential with the same weights in float64. Trained
on the same batches with the same optimizer, the two give the same losses to within rounding.
Then the torch copy trains on a data set that chainrule, one scalar at a time, would take
hours over, and nn.from_torch brings the trained weights back.

    python examples/to_torch.py        (needs PyTorch: pip install torch)
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from arguments import parser

import nn

BATCH_SIZE = 10
SEED = 0


def mean_loss(sequential: Any, inputs: Any, targets: Any) -> Any:
    """The batch's mean binary cross-entropy on the logits, as nn.fit averages a batch."""
    import torch

    logits = sequential(inputs).squeeze(1)
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)


def side_by_side(epochs: int = 15) -> dict[str, Any]:
    """Train one network in chainrule and its torch copy the same way; print both losses."""
    import torch

    X, labels = nn.data.moons(100, noise=0.1, seed=SEED)
    y = [int(t > 0) for t in labels]  # 0/1 targets for the loss on logits
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=SEED)
    sequential = nn.to_torch(model)  # the same weights, before either trains

    start = time.perf_counter()
    history = nn.fit(model, X, y, loss="binary_cross_entropy_with_logits",
                     optimizer=nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                     epochs=epochs, batch_size=BATCH_SIZE, seed=SEED, progress=False)
    chainrule_seconds = time.perf_counter() - start

    optimizer = torch.optim.SGD(sequential.parameters(), lr=0.1, momentum=0.9)
    rng = random.Random(SEED)  # what nn.fit shuffles with, so the batches are the same
    torch_losses = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in nn.data.batches(X, y, BATCH_SIZE, True, rng):
            optimizer.zero_grad()
            loss = mean_loss(sequential, torch.tensor(xb, dtype=torch.float64),
                             torch.tensor(yb, dtype=torch.float64))
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        torch_losses.append(total / len(X))

    print("epoch   chainrule loss        torch loss            difference")
    for epoch, (ours, theirs) in enumerate(zip(history["loss"], torch_losses, strict=True), 1):
        print(f"{epoch:5d}   {ours:.15f}   {theirs:.15f}   {ours - theirs:+.1e}")
    return {"chainrule": history["loss"], "torch": torch_losses, "sequential": sequential,
            "seconds_per_sample": chainrule_seconds / (epochs * len(X))}


def at_scale(sequential: Any, seconds_per_sample: float, n: int = 100_000,
             epochs: int = 50) -> dict[str, Any]:
    """Train the torch copy on n points, the whole set one batch; bring it back to chainrule."""
    import torch

    X, labels = nn.data.moons(n, noise=0.1, seed=SEED + 1)
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor([float(t > 0) for t in labels], dtype=torch.float64)
    optimizer = torch.optim.Adam(sequential.parameters(), lr=0.05)
    start = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = mean_loss(sequential, inputs, targets)
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    hours = seconds_per_sample * n * epochs / 3600
    print(f"\ntorch: {epochs} epochs of one batch of {n:,} points in {seconds:.1f} s "
          f"(loss {loss.item():.4f}); chainrule, at its {seconds_per_sample * 1e3:.2f} ms a "
          f"point measured above, would take about {hours:.1f} hours")
    model = nn.from_torch(sequential)  # the trained weights, back as an nn.MLP
    X_test, y_test = nn.data.moons(500, noise=0.1, seed=SEED + 2)
    accuracy = nn.accuracy(model, X_test, y_test)
    print(f"back in chainrule: {model!r}\naccuracy on 500 new points: {accuracy:.3f}")
    return {"seconds": seconds, "hours": hours, "accuracy": accuracy, "model": model}


def main(epochs: int = 15, n: int = 100_000, scale_epochs: int = 50) -> dict[str, Any]:
    """Both parts, one after the other."""
    both = side_by_side(epochs)
    return {**both, **at_scale(both["sequential"], both["seconds_per_sample"], n, scale_epochs)}


if __name__ == "__main__":
    parser(__doc__, output_dir=False).parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("this example needs PyTorch: pip install torch")
    main()
