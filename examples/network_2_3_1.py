"""The lectures' 2-3-1 network with biases: sigmoid hidden units and a linear output.

All weights and biases 1, x = (0.5, 0.5), target t = 0.5, error E = ½(y − t)², η = 1/3. The
slides' δ of a unit is the gradient of E at its activation a (δ_k = y − t at the linear
output); one backward pass gives them all, and the weights' gradients δ·z. Then the slides'
test: the updated network on x = (0.7, 0.7), t = −0.02. Draws the graph (network_2_3_1.svg).

    python examples/network_2_3_1.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import autograd
import nn
from autograd import Value

X = [0.5, 0.5]
T = 0.5
LEARNING_RATE = 1 / 3
TEST_X = [0.7, 0.7]
TEST_T = -0.02


def network() -> nn.MLP:
    """The lecture's network, every weight and bias 1."""
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="linear")
    return nn.init.constant(model, 1.0)


def main(out_dir: Path) -> dict[str, object]:
    """Run the example, write its picture to out_dir and return its figures."""
    model = network()
    inputs = [Value(x, label=f"x{k}") for k, x in enumerate(X, 1)]
    hidden = model.layers[0](inputs)
    (y,) = model.layers[1](hidden)
    error = nn.losses.quadratic(y, T)
    error.label = "E"
    error.backward()
    out_dir.mkdir(parents=True, exist_ok=True)
    autograd.render(error, out_dir / "network_2_3_1.svg")
    gradients = {name: p.grad for name, p in model.named_parameters()}
    hidden_deltas = [z.parents[0].grad for z in hidden]  # dE/da at each hidden unit's input
    nn.optim.SGD(model.parameters(), lr=LEARNING_RATE).step()
    updated = model.state_dict()
    print(f"z = {', '.join(f'{z.data:.4f}' for z in hidden)}, y = {y.data:.4f}")
    print(f"δ output = {y.grad:.4f}, hidden δ = {', '.join(f'{d:.4f}' for d in hidden_deltas)}")
    for name, g in gradients.items():
        print(f"dE/d{name} = {g:.4f} -> {updated[name]:.4f}")
    # The slides' a is our weighted input z, and their z our activation a.
    test = nn.trace(model, TEST_X, TEST_T)
    hidden_test, (output_test,) = test.layers[0], test.layers[1].a
    print(f"test, x = (0.7, 0.7), t = -0.02: a = {', '.join(f'{v:.4f}' for v in hidden_test.z)}"
          f", z = {', '.join(f'{v:.4f}' for v in hidden_test.a)}, y = {output_test:.4f}, "
          f"E = {test.cost:.4f}")
    return {"hidden": [z.data for z in hidden], "output": y.data, "delta": y.grad,
            "hidden_deltas": hidden_deltas, "gradients": gradients, "updated": updated,
            "test_output": output_test, "test_error": test.cost}


if __name__ == "__main__":
    main(output_dir(__doc__))
