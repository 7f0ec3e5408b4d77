"""The lectures' step-by-step example: a 2-2-2 sigmoid network learning one sample.

Inputs 0.05 and 0.10, targets 0.01 and 0.99, squared error E = Σ ½(target − output)², learning
rate η = 0.5; only the eight weights w1..w8 learn (the biases stay 0.35 and 0.60). Prints E,
the weights after one step and the error over 10,000 steps; draws the graph of E with its
gradients (network_2_2_2.svg) and the error per step (network_2_2_2_error.png).

    python examples/network_2_2_2.py OUTPUT_DIR
"""

from __future__ import annotations

from pathlib import Path

from arguments import output_dir

import autograd
import nn
from autograd import Value

INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
# w1, w2 feed h1 from i1, i2; w3, w4 feed h2; w5, w6 feed o1 from h1, h2; w7, w8 feed o2.
WEIGHTS = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
BIASES = [[0.35, 0.35], [0.60, 0.60]]
LEARNING_RATE = 0.5
STEPS = 10_000


def network() -> nn.MLP:
    """The lecture's network, its weights named w1..w8 and its biases b1, b2 as on the slides."""
    model = nn.MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid")
    nn.init.set_weights(model, WEIGHTS, BIASES)
    for k, w in enumerate(model.weights(), 1):
        w.label = f"w{k}"
    for layer, name in zip(model.layers, ("b1", "b2"), strict=True):
        for neuron in layer.neurons:
            assert neuron.b is not None
            neuron.b.label = name
    return model


def error_with_gradients(model: nn.MLP) -> Value:
    """E for the sample, after backward: every node of its graph holds its gradient."""
    inputs = [Value(x, label=f"i{k}") for k, x in enumerate(INPUTS, 1)]
    outputs = model(inputs)
    assert isinstance(outputs, list)
    for k, out in enumerate(outputs, 1):
        out.label = f"out o{k}"
    error = nn.losses.quadratic(outputs, TARGETS)
    error.label = "E total"
    error.backward()
    return error


def train(steps: int = STEPS) -> tuple[list[float], float, list[float]]:
    """The error measured at each step, and the error and outputs after the last update."""
    model = network()
    history = nn.fit(model, [INPUTS], [TARGETS], loss="quadratic",
                     optimizer=nn.optim.SGD(model.weights(), lr=LEARNING_RATE), epochs=steps,
                     batch_size=1, progress=False)
    final = nn.evaluate(model, [INPUTS], [TARGETS], loss="quadratic")["loss"]
    (outputs,) = nn.predict(model, [INPUTS])
    assert isinstance(outputs, list)
    return history["loss"], final, outputs


def train_output_layer_first(steps: int = STEPS) -> tuple[list[float], list[float]]:
    """The slides' own 10,000 steps: w5..w8 are updated before δ reaches the hidden layer.

    A graph keeps the values its forward pass computed, but a product's local derivative reads
    its inputs' current data: so a second backward, after the output weights were stepped,
    carries δ to w1..w4 through w5..w8 as updated, which is how the slides' figures were made.
    Returns the error measured at each step, and the outputs after the last.
    """
    model = network()
    hidden, output = model.layers[0].weights(), model.layers[1].weights()
    errors = []
    for _ in range(steps):
        model.zero_grad()
        error = error_with_gradients(model)
        errors.append(error.data)
        nn.optim.SGD(output, lr=LEARNING_RATE).step()
        error.zero_grad()
        error.backward()
        nn.optim.SGD(hidden, lr=LEARNING_RATE).step()
    (outputs,) = nn.predict(model, [INPUTS])
    assert isinstance(outputs, list)
    return errors, outputs


def main(out_dir: Path, steps: int = STEPS) -> dict[str, object]:
    """Run the example, write its pictures to out_dir and return its figures."""
    import plotting  # matplotlib, for the error curve only

    model = network()
    error = error_with_gradients(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    autograd.render(error, out_dir / "network_2_2_2.svg")
    nn.optim.SGD(model.weights(), lr=LEARNING_RATE).step()
    updated = {w.label: w.data for w in model.weights()}
    print(f"E total = {error.data:.9f}")
    print("after one step: " + ", ".join(f"{k}⁺ = {v:.9f}" for k, v in updated.items()))
    errors, final, outputs = train(steps)
    print(f"E measured at steps 1, 2 and {steps}: "
          + ", ".join(f"{errors[i]:.10f}" for i in (0, 1, steps - 1)))
    print(f"after {steps} steps: E = {final:.10f}, outputs "
          + " and ".join(f"{o:.9f}" for o in outputs))
    _, slides_outputs = train_output_layer_first(steps)
    print("the slides' order (output weights updated first): outputs "
          + " and ".join(f"{o:.9f}" for o in slides_outputs))
    plotting.curves({"2-2-2 network: error per step (η = 0.5)": {"E total": errors}},
                    out_dir / "network_2_2_2_error.png", "step", log=True)
    return {"error": error.data, "updated": updated, "errors": errors, "final_error": final,
            "final_outputs": outputs}


if __name__ == "__main__":
    main(output_dir(__doc__))
