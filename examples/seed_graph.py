"""The lecture's computational graph f = (x + y) * z at x = -2, y = 5, z = -4, drawn to SVG.

    python examples/seed_graph.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import autograd
from autograd import Value


def main(out_dir: Path) -> None:
    """Build f, run backward, print the gradients and draw the graph into out_dir."""
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    print(f"f = (x + y) * z = {f.data:g}")
    print(f"df/dx = {x.grad:g}    df/dy = {y.grad:g}    df/dz = {z.grad:g}    df/dq = {q.grad:g}")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = autograd.render(f, out_dir / "seed_graph.svg")
    print(f"wrote {path}")


if __name__ == "__main__":
    main(output_dir(__doc__))
