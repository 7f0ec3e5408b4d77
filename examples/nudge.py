"""Nudging the lecture's 2-2-2 network: δ is how fast the cost moves when a unit's z moves.

The lectures' demon sits at a unit and adds Δz to its weighted input z; the cost C then changes
by ΔC ≈ δ·Δz, the closer the smaller Δz is. Since z = w·a + b, adding Δz to z is adding it to
the unit's bias, so autograd.numeric_grad, nudging each bias both ways, finds every δ without
a backward pass (BP3: ∂C/∂b = δ).

BP4, ∂C/∂w = a_in·δ_out, says weights fed by low activations learn slowly: w1 and w2 both feed
h1, so they share its δ, and their gradients stand in the ratio of the inputs 0.05 and 0.10;
the output weights, fed by activations near 0.6, move far more in training.

    python examples/nudge.py OUTPUT_DIR
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from arguments import output_dir

import autograd
import nn
from autograd import Value

INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
WEIGHTS = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]  # w1..w8
BIASES = [[0.35, 0.35], [0.60, 0.60]]
NUDGES = [0.1, 0.01, 0.001, -0.001]
STEPS = 1000


def network() -> nn.MLP:
    """The lecture's network, as its slides give it."""
    model = nn.MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    return nn.init.set_weights(model, WEIGHTS, BIASES)


def cost_of(model: nn.MLP, name: str) -> Callable[[Value], Value]:
    """C as a function of one parameter of model (by its state_dict name), the rest kept."""
    def cost(value: Value) -> Value:
        nudged = nn.MLP(**model.config())
        nudged.load_state_dict({**model.state_dict(), name: value.data})
        return nn.losses.quadratic(nudged.forward(INPUTS), TARGETS)

    return cost


def main(out_dir: Path) -> dict[str, object]:
    """Print the nudges, the δs by nudging and from the graph, and how far weights learn."""
    model = network()
    tr = nn.trace(model, INPUTS, TARGETS)
    o1 = tr.layers[1].delta[0]
    cost = cost_of(model, "layers.1.neurons.0.b")
    before = cost(Value(0.60)).data
    print(f"The demon at o1 adds Δz to net_o1 = {tr.layers[1].z[0]:.9f}; δ_o1 = {o1:.9f}")
    print(f"{'Δz':>8} {'ΔC':>16} {'δ·Δz':>16} {'ΔC / (δ·Δz)':>14}")
    nudges = []
    for dz in NUDGES:
        change = cost(Value(0.60 + dz)).data - before
        nudges.append((dz, change, o1 * dz))
        print(f"{dz:>8g} {change:>16.10f} {o1 * dz:>16.10f} {change / (o1 * dz):>14.8f}")

    print("\nδ of every unit, by nudging its bias both ways (no backward) and from the graph:")
    numeric = {}
    for layer in tr.layers:
        for j, unit in enumerate(layer.units):
            name = f"layers.{layer.number - 1}.neurons.{j}.b"
            (slope,) = autograd.numeric_grad(cost_of(model, name), [model.state_dict()[name]])
            numeric[unit] = (slope, layer.delta[j])
            print(f"  {unit}: {slope:.9f} by nudging, {layer.delta[j]:.9f} from the graph")

    hidden = tr.layers[0]
    print("\nBP4, ∂C/∂w = a_in·δ_out: w1 and w2 feed h1 from x1 = 0.05 and x2 = 0.10")
    for k, name in enumerate(("w1", "w2")):
        print(f"  ∂C/∂{name} = {hidden.a_in[k]:g} × {hidden.delta[0]:.9f} = "
              f"{hidden.grad_w[0][k]:.9f}")
    trained = nn.MLP(**model.config())
    trained.load_state_dict(model.state_dict())
    nn.fit(trained, [INPUTS], [TARGETS], loss="quadratic", epochs=STEPS, progress=False,
           optimizer=nn.optim.SGD(trained.weights(), lr=0.5))
    moved = {f"w{k}": after.data - start.data for k, (start, after) in enumerate(
        zip(model.weights(), trained.weights(), strict=True), 1)}
    print(f"after {STEPS} steps (η = 0.5) each weight has moved by:")
    print("  " + ", ".join(f"{name} {change:+.4f}" for name, change in moved.items()))
    slowest_output = min(abs(moved[f"w{k}"]) for k in range(5, 9))
    print(f"w2 moved {moved['w2'] / moved['w1']:.3f} times as far as w1; every output weight "
          f"at least {slowest_output / abs(moved['w1']):.0f} times as far")
    picture = plot_cost_and_tangent(cost, before, o1, out_dir / "nudge.png")
    print(f"wrote {picture}")
    return {"delta": o1, "nudges": nudges, "numeric": numeric,
            "gradients": hidden.grad_w[0], "moved": moved}


def plot_cost_and_tangent(cost: Callable[[Value], Value], at: float, slope: float,
                          path: Path) -> Path:
    """C against Δz at o1, with the tangent C + δ·Δz that the demon's estimate follows."""
    import plotting  # matplotlib, for the picture only

    nudges = [-3.0 + 6.0 * i / 120 for i in range(121)]
    return plotting.lines(nudges, {
        "C(z + Δz)": [cost(Value(0.60 + dz)).data for dz in nudges],
        "C + δ·Δz": [at + slope * dz for dz in nudges],
    }, path, "nudging z of o1: the slope at 0 is δ", "Δz")


if __name__ == "__main__":
    main(output_dir(__doc__))
