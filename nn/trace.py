"""nn.trace: one sample's backward pass in the lectures' layer view, BP1–BP4 layer by layer.

The numbers are read from one forward and one backward through the scalar graph: δ is the
gradient at each unit's weighted input z, ∂C/∂W and ∂C/∂b the gradients at the parameters.
Trace.check() then recomputes the four equations in matrix form from those numbers alone.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from autograd import Value, format_number, grad

from . import losses
from .module import MLP, Layer

Matrix = list[list[float]]
DECIMALS = 9  # as many as the step-by-step decks print
TOLERANCE = 1e-12  # of the terms' size: summing in another order moves a result by ~1e-16 of it
EQUATIONS = (
    ("BP1", "δᴸ = ∇ₐC ⊙ σ′(zᴸ)", "the output layer L"),
    ("BP2", "δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ)", "each layer before it"),
    ("BP3", "∂C/∂bˡ = δˡ", ""),
    ("BP4", "∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ", "that is ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ"),
)
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class EquationError(AssertionError):
    """A number of a Trace breaks one of BP1–BP4 (or z = W·a + b) by more than rounding."""

    def __init__(self, equation: str, layer: int, where: str, name: str, got: float,
                 formula: str, expected: float) -> None:
        self.equation, self.layer, self.got, self.expected = equation, layer, got, expected
        super().__init__(
            f"{equation} does not hold in layer {layer}, {where}: {name} = {got!r} but "
            f"{formula} = {expected!r} (difference {abs(got - expected):.3g})")


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """Layer l's numbers: z = W·a_in + b, a = σ(z), δ = ∂C/∂z and the gradients, as floats.

    `W[j][k]` is the weight from input k to unit j, and `grad_w[j][k]` its gradient; b and
    grad_b are None in a layer without biases. grad_a is ∂C/∂a: ∇ₐC at the output layer, and
    (Wˡ⁺¹)ᵀ δˡ⁺¹ before it. sigma_prime is the activation's slope σ′(z) = ∂a/∂z, read from
    the op table (1 for a linear unit).
    """

    number: int  # l: the input x is a⁰, the first layer of weights is layer 1
    activation: str
    units: list[str]
    inputs: list[str]  # the names of the units of a_in
    a_in: list[float]
    W: Matrix
    b: list[float] | None
    z: list[float]
    a: list[float]
    sigma_prime: list[float]
    grad_a: list[float]
    delta: list[float]
    grad_w: Matrix
    grad_b: list[float] | None


@dataclass(frozen=True, eq=False)
class Trace:
    """What nn.trace read: the cost C of one sample and a LayerTrace per layer, in order.

    `root` is C's node in the graph the numbers were read from: its weighted inputs are
    labelled net_h1, net_o1, ... and its activations out_h1, out_o1, ..., as drawings show.
    """

    architecture: str
    loss: str
    x: list[float]
    target: object
    cost: float
    layers: list[LayerTrace]
    root: Value = field(repr=False)

    def check(self, tol: float = TOLERANCE) -> bool:
        """True if BP1–BP4 and z = W·a + b, recomputed in matrix form from these numbers, hold;
        else an EquationError naming the equation, the layer and the unit.

        Layers are checked from the output back, as δ flows; a number passes when it is
        within tol of the size of the terms it is recomputed from.
        """
        for layer, following in reversed(list(zip(self.layers, [*self.layers[1:], None],
                                                  strict=True))):
            for check in _equations(layer, following):
                if not _close(check.got, check.expected, tol * check.scale):
                    raise EquationError(check.equation, layer.number, check.where, check.name,
                                        check.got, check.formula, check.expected)
        return True

    def table(self, decimals: int = DECIMALS) -> str:
        """The trace as plain text: the equations, then each layer's units and weights."""
        lines = [*self._heading(decimals), ""]
        for title, tables in _layer_tables(self, decimals):
            lines.append(title)
            for header, rows in tables:
                lines += _aligned([header, *rows])
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def markdown(self, decimals: int = DECIMALS) -> str:
        """The trace as Markdown: the equations, then a table per layer for units and weights."""
        heading = self._heading(decimals)
        parts = [f"**{heading[0]}**  \n" + "  \n".join(heading[1:4]),
                 "| | equation | where |\n| --- | --- | --- |\n" + "\n".join(
                     f"| {name} | {formula} | {note} |" for name, formula, note in EQUATIONS)]
        for title, tables in _layer_tables(self, decimals):
            parts.append(f"**{title}**")
            parts += [_markdown_table(header, rows) for header, rows in tables]
        return "\n\n".join(parts) + "\n"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return (f"Trace({self.architecture}, loss={self.loss!r}, C={self.cost!r}, "
                f"{len(self.layers)} layers)")

    def _heading(self, decimals: int) -> list[str]:
        last = len(self.layers)
        width = max(len(formula) for _, formula, _ in EQUATIONS)
        return [
            f"nn.trace of {self.architecture} at x = {_vector(self.x, decimals)}, "
            f"target {_target(self.target, decimals)}",
            f"C = {self.loss}(a{_sup(last)}, target) = {format_number(self.cost, decimals)}",
            "δ = ∂C/∂z at each unit, read from the graph's backward pass. Wˡ has a row per",
            "unit j of layer l and a column per input k. The four equations in matrix form:",
            *(f"  {name}  {formula:<{width}}  {note}".rstrip()
              for name, formula, note in EQUATIONS),
        ]


def trace(model: MLP, x: Sequence[float], target: object,
          loss: str | losses.Loss = "quadratic") -> Trace:
    """One sample through model in the lectures' layer view: z, a, δ, ∂C/∂W, ∂C/∂b per layer.

    One forward pass builds the graph of C = loss(model(x), target), labelling each unit's
    weighted input and activation (net_h1, out_h1, ...); one backward sweep gives the gradient
    at every z (δ, Nielsen's sign: ∂C/∂z), every a and every parameter. No `grad` is changed.
    The layers are read as in eval mode: a model's Dropout modules, if any, drop nothing here.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"nn.trace expects an nn.MLP (layers of neurons), got "
                        f"{type(model).__name__}")
    loss_fn = losses.get(loss)
    names = unit_names(model)
    inputs = [Value(v, label=name) for v, name in zip(_inputs(x, model.nin), names[0],
                                                          strict=True)]
    activations = [inputs]  # each layer's a, the input x as a⁰
    units = []
    for layer, layer_names in zip(model.layers, names[1:], strict=True):
        units.append(_forward(layer, activations[-1], layer_names))
        activations.append([a for _, a in units[-1]])
    outputs = activations[-1]
    root = loss_fn(outputs[0] if len(outputs) == 1 else outputs, target)
    if not isinstance(root, Value):
        raise TypeError(f"the loss must return a Value, got {type(root).__name__}")
    root.label = "C"
    nodes = [*(node for pairs in units for pair in pairs for node in pair), *model.parameters()]
    gradient = dict(zip(nodes, grad(root, nodes), strict=True))
    layers = [_layer_trace(number, layer, pairs, names[number - 1], names[number],
                           [a.data for a in activations[number - 1]], gradient)
              for number, (layer, pairs) in enumerate(zip(model.layers, units, strict=True), 1)]
    return Trace(architecture(model), _loss_name(loss), [v.data for v in inputs],
                 target, root.data, layers, root)


def unit_names(model: MLP) -> list[list[str]]:
    """The units' names by layer, inputs first: x1, x2, ...; h1, h2, ...; o1, o2, ...

    With several hidden layers, h2_3 is unit 3 of hidden layer 2.
    """
    sizes = [model.nin, *model.nouts]
    hidden = len(sizes) - 2
    names = [[f"x{k}" for k in range(1, model.nin + 1)]]
    for number, size in enumerate(sizes[1:], 1):
        prefix = "o" if number == len(sizes) - 1 else "h" if hidden == 1 else f"h{number}_"
        names.append([f"{prefix}{j}" for j in range(1, size + 1)])
    return names


# --- reading the graph ---


def _forward(layer: Layer, inputs: list[Value], names: list[str]) -> list[tuple[Value, Value]]:
    """Each unit's z and a, labelled net_<name> and out_<name> (one node for a linear unit).

    Each activation but linear is the op of its name, so a unit's z is that op's input.
    """
    pairs = []
    for a, name in zip(layer(inputs), names, strict=True):
        if layer.activation == "linear":
            pairs.append((a, a))
            a.label = f"net_{name} = out_{name}"
            continue
        if a.op != layer.activation:
            raise TypeError(f"nn.trace reads z as the input of the {layer.activation} op, but "
                            f"the unit's output was made by {a.op!r}")
        (z,) = a.parents
        z.label, a.label = f"net_{name}", f"out_{name}"
        pairs.append((z, a))
    return pairs


def _layer_trace(number: int, layer: Layer, pairs: list[tuple[Value, Value]], inputs: list[str],
                 units: list[str], a_in: list[float], gradient: dict[Value, float]) -> LayerTrace:
    """The layer's numbers: the forward's values, the backward sweep's gradients."""
    weights = [neuron.w for neuron in layer.neurons]
    biases = [neuron.b for neuron in layer.neurons if neuron.b is not None]
    return LayerTrace(
        number=number, activation=layer.activation,
        units=units, inputs=inputs,
        a_in=a_in, W=[[w.data for w in row] for row in weights],
        b=[b.data for b in biases] if biases else None,
        z=[z.data for z, _ in pairs], a=[a.data for _, a in pairs],
        sigma_prime=[_slope(z, a) for z, a in pairs],
        grad_a=[gradient[a] for _, a in pairs], delta=[gradient[z] for z, _ in pairs],
        grad_w=[[gradient[w] for w in row] for row in weights],
        grad_b=[gradient[b] for b in biases] if biases else None,
    )


def _slope(z: Value, a: Value) -> float:
    """σ′(z) = ∂a/∂z: the activation op's local derivative, from the op table (1 if linear)."""
    if a is z or a.op_info is None:
        return 1.0
    (slope,) = a.op_info.local_derivatives(z.data, a.data)
    return float(slope)


def _inputs(x: object, nin: int) -> list[float]:
    if isinstance(x, str) or not isinstance(x, Sequence):
        raise TypeError(f"nn.trace expects x as a list of {nin} numbers, got {type(x).__name__}")
    if len(x) != nin:
        raise ValueError(f"nn.trace: the model takes {nin} inputs, x has {len(x)}")
    for v in x:
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            raise TypeError(f"nn.trace expects x as numbers, got {v!r:.40}")
    return [float(v) for v in x]


def architecture(model: MLP) -> str:
    """The model's layer sizes as the decks write them: MLP 2-2-2."""
    return "MLP " + "-".join(str(n) for n in (model.nin, *model.nouts))


def _loss_name(loss: str | losses.Loss) -> str:
    return loss if isinstance(loss, str) else getattr(loss, "__name__", "loss")


# --- the equations in matrix form ---


@dataclass(frozen=True)
class _Check:
    """One number of the trace against the same number recomputed by an equation."""

    equation: str
    where: str
    name: str
    got: float
    formula: str
    expected: float
    scale: float  # the size of the terms expected is made of


def _equations(layer: LayerTrace, following: LayerTrace | None) -> Iterator[_Check]:
    """Each number of layer against z = W·a + b and BP1–BP4 (BP2 reads the following layer)."""
    l_, before = _sup(layer.number), _sup(layer.number - 1)
    for j, unit in enumerate(layer.units):
        at = f"unit {unit}"
        terms = [w * a for w, a in zip(layer.W[j], layer.a_in, strict=True)]
        if layer.b is not None:
            terms.append(layer.b[j])
        yield _Check("z = W·a + b", at, "z", layer.z[j],
                     f"(W{l_}a{before} + b{l_})ⱼ", _sum(terms), _size(terms))
        if following is None:
            signal = [layer.grad_a[j]]
            formula = f"(∇ₐC ⊙ σ′(z{l_}))ⱼ"
        else:
            signal = [row[j] * d for row, d in zip(following.W, following.delta, strict=True)]
            after = _sup(following.number)
            formula = f"(((W{after})ᵀ δ{after}) ⊙ σ′(z{l_}))ⱼ"
        slope = layer.sigma_prime[j]
        yield _Check("BP1" if following is None else "BP2", at, "δ", layer.delta[j], formula,
                     _sum(signal) * slope, _size(signal) * abs(slope))
        if layer.grad_b is not None:
            yield _Check("BP3", at, "∂C/∂b", layer.grad_b[j], f"δ{l_}ⱼ", layer.delta[j],
                         abs(layer.delta[j]))
        for k, source in enumerate(layer.inputs):
            product = layer.a_in[k] * layer.delta[j]
            yield _Check("BP4", f"the weight from {source} to {unit}", "∂C/∂w",
                         layer.grad_w[j][k], f"a{before}ₖ δ{l_}ⱼ", product, abs(product))


def _sum(terms: list[float]) -> float:
    total = terms[0]
    for term in terms[1:]:
        total += term
    return total


def _size(terms: list[float]) -> float:
    return sum(abs(t) for t in terms)


def _close(got: float, expected: float, allowed: float) -> bool:
    if not (math.isfinite(got) and math.isfinite(expected)):
        return got == expected or (math.isnan(got) and math.isnan(expected))
    return abs(got - expected) <= allowed


# --- writing it out ---

Table = tuple[list[str], list[list[str]]]


def _layer_tables(tr: Trace, decimals: int) -> Iterator[tuple[str, list[Table]]]:
    last = len(tr.layers)
    for layer in tr.layers:
        l_, before = _sup(layer.number), _sup(layer.number - 1)
        role = "output" if layer.number == last else "hidden"
        bias = f" + b{l_}" if layer.b is not None else ""
        source = ", a⁰ = x" if layer.number == 1 else ""
        title = (f"layer {layer.number} of {last} ({role}, {layer.activation}): "
                 f"z{l_} = W{l_}a{before}{bias}, a{l_} = {_activated(layer.activation, l_)}"
                 f"{source}")
        delta = "δ (BP1)" if layer.number == last else "δ (BP2)"
        header = ["unit", "z", "a", "σ′(z)", "∂C/∂a", delta]
        if layer.b is not None:
            header += ["b", "∂C/∂b (BP3)"]
        rows = []
        for j, unit in enumerate(layer.units):
            row = [unit, *(format_number(v[j], decimals) for v in (
                layer.z, layer.a, layer.sigma_prime, layer.grad_a, layer.delta))]
            if layer.b is not None and layer.grad_b is not None:
                row += [format_number(layer.b[j], decimals),
                        format_number(layer.grad_b[j], decimals)]
            rows.append(row)
        yield title, [
            (header, rows),
            _matrix(f"W{l_}", layer, layer.W, decimals),
            _matrix(f"∂C/∂W{l_} (BP4)", layer, layer.grad_w, decimals),
        ]


def _matrix(name: str, layer: LayerTrace, matrix: Matrix, decimals: int) -> Table:
    return ([name, *layer.inputs],
            [[unit, *(format_number(v, decimals) for v in row)]
             for unit, row in zip(layer.units, matrix, strict=True)])


def _activated(activation: str, l_: str) -> str:
    if activation == "linear":
        return f"z{l_}"
    return f"{'σ' if activation == 'sigmoid' else activation}(z{l_})"


def _aligned(rows: list[list[str]]) -> list[str]:
    """The rows as lines of columns, with a space for the sign where a column has minus signs."""
    for c in range(1, len(rows[0])):
        if any(row[c].startswith("-") for row in rows[1:]):
            for row in rows[1:]:
                row[c] = row[c] if row[c].startswith("-") else " " + row[c]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(row) + " |" for row in lines)


def _sup(n: int) -> str:
    return str(n).translate(_SUPERSCRIPTS)


def _vector(values: Sequence[float], decimals: int) -> str:
    return "[" + ", ".join(format_number(v, decimals) for v in values) + "]"


def _target(target: object, decimals: int) -> str:
    if isinstance(target, Sequence) and not isinstance(target, str) and all(
            isinstance(t, numbers.Real) for t in target):
        return _vector([float(t) for t in target], decimals)
    if isinstance(target, numbers.Real):
        return format_number(float(target), decimals)
    return repr(target)
