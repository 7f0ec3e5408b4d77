"""The four backpropagation equations on the lecture's 2-2-2 network, read from the graph.

nn.trace runs the sample (inputs 0.05, 0.10, targets 0.01, 0.99) forward and backward once and
reads z, a and δ = ∂C/∂z per layer from the graph; this script recomputes BP1–BP4 in matrix
form from those numbers, prints both side by side, and checks that they agree. It draws the
network before and after one update (η = 0.5, only the weights learn, as in the lecture):
bp_network.svg and bp_update.svg.

Decks that define δ = −∂C/∂z (MacLeod's δ = (y − o)·o·(1 − o)) get the same numbers with the
opposite sign, and their update w + α·δ·a is this gradient descent, w − α·∂C/∂w.

    python examples/bp_equations.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import nn
from autograd import format_number

INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
WEIGHTS = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]  # w1..w8
BIASES = [[0.35, 0.35], [0.60, 0.60]]
LEARNING_RATE = 0.5
Vector = list[float]
Matrix = list[list[float]]
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def network() -> nn.MLP:
    """The lecture's network, as its slides give it."""
    model = nn.MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    return nn.init.set_weights(model, WEIGHTS, BIASES)


# The matrix form, in lists: what a matrix library would do in one call each.


def transposed_times(matrix: Matrix, v: Vector) -> Vector:
    """Mᵀv."""
    return [sum(row[k] * v[j] for j, row in enumerate(matrix)) for k in range(len(matrix[0]))]


def hadamard(u: Vector, v: Vector) -> Vector:
    """u ⊙ v, element by element."""
    return [a * b for a, b in zip(u, v, strict=True)]


def outer(u: Vector, v: Vector) -> Matrix:
    """u vᵀ."""
    return [[a * b for b in v] for a in u]


def sup(n: int) -> str:
    return str(n).translate(SUPERSCRIPTS)


def show(vector: Vector) -> str:
    """[a, b], with 9 decimals as the lecture prints them."""
    return "[" + ", ".join(format_number(v, 9) for v in vector) + "]"


def show_matrix(matrix: Matrix) -> str:
    """[[a, b], [c, d]], a row a unit."""
    return "[" + ", ".join(show(row) for row in matrix) + "]"


def side_by_side(tr: nn.Trace) -> list[tuple[str, str, list[str], str]]:
    """Each equation of each layer: its name and formula, its working in matrix form from the
    trace's numbers, and what the graph gave."""
    last = tr.layers[-1]
    top = sup(last.number)
    rows = [("BP1", f"δ{top} = ∇ₐC ⊙ σ′(z{top})",
             [f"{show(last.grad_a)} ⊙ {show(last.sigma_prime)}",
              show(hadamard(last.grad_a, last.sigma_prime))], show(last.delta))]
    for layer, following in zip(tr.layers[-2::-1], tr.layers[:0:-1], strict=True):
        here, after = sup(layer.number), sup(following.number)
        backward = transposed_times(following.W, following.delta)
        rows.append(("BP2", f"δ{here} = ((W{after})ᵀ δ{after}) ⊙ σ′(z{here})",
                     [f"({show_matrix(following.W)})ᵀ {show(following.delta)} ⊙ "
                      f"{show(layer.sigma_prime)}",
                      f"{show(backward)} ⊙ {show(layer.sigma_prime)}",
                      show(hadamard(backward, layer.sigma_prime))], show(layer.delta)))
    for layer in reversed(tr.layers):
        here, before = sup(layer.number), sup(layer.number - 1)
        rows.append(("BP3", f"∂C/∂b{here} = δ{here}", [show(layer.delta)],
                     show(layer.grad_b or [])))
        rows.append(("BP4", f"∂C/∂W{here} = δ{here} (a{before})ᵀ",
                     [f"{show(layer.delta)} ({show(layer.a_in)})ᵀ",
                      show_matrix(outer(layer.delta, layer.a_in))], show_matrix(layer.grad_w)))
    return rows


def main(out_dir: Path) -> dict[str, object]:
    """Print the trace and the equations side by side, check them, draw the update."""
    model = network()
    tr = nn.trace(model, INPUTS, TARGETS, loss="quadratic")
    print(tr)
    print("The equations in matrix form, from the trace's numbers, beside the graph's:")
    for name, equation, working, graph in side_by_side(tr):
        print(f"{name}  {equation}")
        for step in working:
            print(f"       = {step}")
        print(f"       the graph's: {graph}")
    tr.check()
    print("check(): BP1–BP4 hold in every layer")
    updated = nn.MLP(**model.config())
    updated.load_state_dict(model.state_dict())
    nn.fit(updated, [INPUTS], [TARGETS], loss="quadratic", progress=False,
           optimizer=nn.optim.SGD(updated.weights(), lr=LEARNING_RATE))
    out_dir.mkdir(parents=True, exist_ok=True)
    before = nn.render_network(model, out_dir / "bp_network.svg", trace=tr)
    after = nn.render_network(model, out_dir / "bp_update.svg", trace=tr, after=updated)
    print(f"wrote {before} and {after}")
    return {"trace": tr, "updated": updated.state_dict()}


if __name__ == "__main__":
    main(output_dir(__doc__))
