"""nn.fit eager against nn.fit(compile="python") and (compile="native") on the moons MLP.

MLP(2, [16, 16, 1]) with ReLU on 100 two-moons points, hinge loss with L2 1e-4, SGD with rate
0.05 and momentum 0.9; full batch and batches of 10. Each way trains its own copy of the same
model from the same weights; the histories must agree to 1e-9. Times are CPU time
(`time.process_time`), the GC on as users run it. A compiled run's time is split into its
one-off part (checking the data, tracing and compiling the sample's loss and the L2 term, timed
where fit does it) and the epochs
that run the compiled kernel; the epochs are as many as fill a second or so.

    python benchmarks/fit_compile.py [--epochs N]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import nn
from nn._compiled import CompiledTraining

History = dict[str, list[float]]


def train(batch_size: int | None, epochs: int,
          compile: bool | str) -> tuple[History, float, float]:
    """The history, the CPU seconds nn.fit took, and how many of them went to compiling."""
    X, y = nn.data.moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    compiling = [0.0]
    one_offs = {name: getattr(CompiledTraining, name) for name in ("__init__", "_compile")}

    def timed(method: Any) -> Any:
        def run(self: CompiledTraining, *args: Any) -> Any:
            start = time.process_time()
            try:
                return method(self, *args)
            finally:
                compiling[0] += time.process_time() - start

        return run

    for name, method in one_offs.items():
        setattr(CompiledTraining, name, timed(method))
    try:
        start = time.process_time()
        history = nn.fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=epochs,
                         batch_size=batch_size, l2=1e-4, seed=0, progress=False,
                         compile=compile)
        seconds = time.process_time() - start
    finally:
        for name, method in one_offs.items():
            setattr(CompiledTraining, name, method)
    return history, seconds, compiling[0]


def main() -> None:
    """Print epochs per second eager and compiled, the compile time and the speed-ups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="eager epochs (compiled: 50x)")
    epochs = parser.parse_args().epochs
    print(f"nn.fit: moons, MLP(2, [16, 16, 1]), 100 points, hinge + L2, SGD; {epochs} epochs "
          f"eager, {50 * epochs} compiled")
    print(f"{'batch':>6} {'compile':>8} {'epochs/s':>10} {'vs eager':>9} {'compile s':>10}")
    native = {}
    for batch_size in (None, 10):
        eager, eager_seconds, _ = train(batch_size, epochs, compile=False)
        eager_rate = epochs / eager_seconds
        print(f"{batch_size or 100:>6} {'eager':>8} {eager_rate:>10.1f}")
        for mode in ("python", "native"):
            runs = 50 * epochs
            compiled, seconds, compiling = train(batch_size, runs, compile=mode)
            difference = max(abs(a - b) for key in eager for a, b in zip(
                eager[key], compiled[key][:epochs], strict=True))
            if difference > 1e-9:
                raise SystemExit(f"compile={mode!r}: the histories differ by {difference:.3g}")
            rate = runs / (seconds - compiling)
            print(f"{batch_size or 100:>6} {mode:>8} {rate:>10.1f} {rate / eager_rate:>8.1f}x "
                  f"{compiling:>10.2f}")
            if mode == "native":
                native[batch_size or 100] = rate / eager_rate
    for batch, ratio in native.items():
        print(f"target: fit(compile=\"native\") batch {batch}: {ratio:.0f}x eager's epochs per "
              f"second (>= 50x: {'met' if ratio >= 50 else 'MISSED'}), the same history to 1e-9")


if __name__ == "__main__":
    main()
