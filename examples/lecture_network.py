"""The lecture's 2-2-2 sigmoid network: its error E, drawn with every edge's local derivative and
coloured by gradient, the chain rule for w5 told step by step, and a page that steps through
the whole backward pass.

    python examples/lecture_network.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import autograd
from autograd import Value


def unit(name: str, a: Value, wa: Value, b: Value, wb: Value, bias: Value) -> Value:
    """A sigmoid unit: out = σ(wa·a + wb·b + bias), with net and out labelled."""
    net = wa * a + wb * b + bias
    net.label = f"net_{name}"
    out = net.sigmoid()
    out.label = f"out_{name}"
    return out


def main(out_dir: Path) -> None:
    """The lecture's 2-2-2 network: E, the chain for w5, its drawing and stepper page."""
    i1, i2 = Value(0.05, label="i1"), Value(0.10, label="i2")
    weights = [Value(w, label=f"w{k}") for k, w in
               enumerate((0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55), start=1)]
    w1, w2, w3, w4, w5, w6, w7, w8 = weights
    b1, b2 = Value(0.35, label="b1"), Value(0.60, label="b2")
    h1, h2 = unit("h1", i1, w1, i2, w2, b1), unit("h2", i1, w3, i2, w4, b1)
    o1, o2 = unit("o1", h1, w5, h2, w6, b2), unit("o2", h1, w7, h2, w8, b2)
    error = 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2
    error.label = "E"
    error.backward()
    print(f"E = {error.data:.9f}")
    print(autograd.explain(error, wrt=w5), end="")
    out_dir.mkdir(parents=True, exist_ok=True)
    picture = autograd.render(error, out_dir / "lecture_network.svg", precision=4,
                              edge_derivatives=True, color_by_grad=True,
                              parameters=[*weights, b1, b2])
    page = autograd.stepper(error, out_dir / "lecture_backprop.html")
    print(f"wrote {picture} and {page}")


if __name__ == "__main__":
    main(output_dir(__doc__))
