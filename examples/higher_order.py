"""Derivatives of derivatives: tanh to the third order, a Hessian, and a gradient's own graph.

    python examples/higher_order.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import autograd
from autograd import Value, grad, hessian


def main(out_dir: Path) -> None:
    """Print derivatives of derivatives and a Hessian; draw a gradient's graph."""
    x = Value(0.5, label="x")
    f = x.tanh()
    f.label = "f"
    derivative = f
    for order in (1, 2, 3):
        (derivative,) = grad(derivative, [x], create_graph=True)
        print(f"d^{order} tanh(x) / dx^{order} at x = 0.5: {derivative.data:.6f}")

    a, b = Value(1.5, label="x"), Value(-0.7, label="y")
    h = hessian(a * a * b + b**3, [a, b])
    print(f"Hessian of x^2 y + y^3 at (1.5, -0.7): {h}  (closed form [[2y, 2x], [2x, 6y]])")

    (df_dx,) = grad(f, [x], create_graph=True)
    df_dx.label = "df/dx"
    df_dx.backward()  # the gradient's graph has gradients of its own: d2f/dx2 lands on x
    out_dir.mkdir(parents=True, exist_ok=True)
    path = autograd.render(df_dx, out_dir / "gradient_graph.svg")
    print(f"wrote {path}: df/dx = tanh′(f), built from the op table's rule for tanh")


if __name__ == "__main__":
    main(output_dir(__doc__))
