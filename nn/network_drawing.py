"""The lectures' picture of an MLP: a circle per unit, an edge per weight, a +1 unit per bias.

With a Trace the units show z, a and δ and the edges ∂C/∂w, coloured by the gradient's sign
and size; with `after` (the weights after an update) each edge shows the old and the new weight.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from autograd import Drawing, Value, gradient_colour, gradient_strength, render_drawing

from .module import MLP, Module
from .trace import LayerTrace, Trace, architecture, unit_names

MAX_UNITS = 16  # units in a layer: a 16-16 layer's 256 edges are as many as stay readable
LABELLED_EDGES = 48  # beyond this many edges in a layer, colours show weights, tooltips numbers
GREY = (150, 150, 150)  # an edge's colour at 0, so that a weight of 0 still shows
PALE = 0.6  # how strong a unit's fill gets, so that its numbers stay readable
_FONT = "Helvetica"
LINE = "\\n"  # DOT's line break in a label


@dataclass(frozen=True)
class _Style:
    """How edges are written: significant digits, what colours scale to, labels or not."""

    digits: int
    largest: float  # the largest |value| among what the edges are coloured by
    labelled: bool
    updated: dict[str, float] | None  # the weights after the update, by parameter name


def draw_network(model: MLP, trace: Trace | None = None,
                 after: Mapping[str, float] | Module | None = None, *, digits: int = 3,
                 rankdir: str = "LR", max_units: int = MAX_UNITS) -> Drawing:
    """The unit diagram of model as a graphviz.Digraph, the same DOT text for the same model.

    Inputs, hidden and output units are circles named x1.., h1.., o1..; each layer's biases
    come from a +1 unit, as the decks draw them. Edges carry the weights (`digits` significant
    digits), blue where positive and red where negative, thicker the larger; a layer of more
    than 48 edges shows its numbers as tooltips only. With `trace` (nn.trace of this model)
    units show z, a and δ, edges ∂C/∂w and their colours the gradient. With `after` (a state
    dict or a model of the same shape) edges show each weight before → after. A layer of more
    than max_units units is refused with a ValueError.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"draw_network expects an nn.MLP, got {type(model).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    _check_size(model, max_units)
    layers = _trace_of(model, trace)
    style = _Style(digits, _largest(model, layers),
                   max((layer.nin + 1) * layer.nout for layer in model.layers) <= LABELLED_EDGES,
                   _updated(model, after))
    dot = Drawing(graph_attr={"rankdir": rankdir, "ranksep": "1.4", "nodesep": "0.25",
                              "fontname": _FONT, "fontsize": "11", "labelloc": "b",
                              "label": _legend(model, trace, style)},
                  node_attr={"fontname": _FONT, "fontsize": "11", "shape": "circle",
                             "fixedsize": "true", "width": "1.05" if layers else "0.55",
                             "style": "filled", "fillcolor": "white"},
                  edge_attr={"fontname": _FONT, "fontsize": "9", "arrowsize": "0.5"})
    names = unit_names(model)
    inputs = names[0] if trace is None else [
        f"{name}{LINE}{_number(x, digits)}" for name, x in zip(names[0], trace.x, strict=True)]
    _column(dot, 0, names[0], inputs, ["white"] * model.nin, _has_bias(model, 1))
    for number, layer in enumerate(model.layers, 1):
        record = layers[number - 1] if layers else None
        _column(dot, number, names[number], *_unit_labels(names[number], record, style),
                _has_bias(model, number + 1))
        for j, neuron in enumerate(layer.neurons):
            head, path = names[number][j], f"{layer.path}.neurons.{j}"
            for k, w in enumerate(neuron.w):
                _edge(dot, style, names[number - 1][k], head, f"{path}.w.{k}", w.data,
                      None if record is None else record.grad_w[j][k])
            if neuron.b is not None:
                _edge(dot, style, _bias(number - 1), head, f"{path}.b", neuron.b.data,
                      None if record is None or record.grad_b is None else record.grad_b[j])
    return dot


def render_network(model: MLP, path: str | os.PathLike[str], trace: Trace | None = None,
                   after: Mapping[str, float] | Module | None = None, *, digits: int = 3,
                   rankdir: str = "LR", max_units: int = MAX_UNITS) -> Path:
    """Write draw_network's picture to path; the suffix picks the format (.svg .png .pdf .dot)."""
    return render_drawing(draw_network(model, trace, after, digits=digits, rankdir=rankdir,
                                       max_units=max_units), path)


# --- what is drawn must fit the model ---


def _check_size(model: MLP, max_units: int) -> None:
    if not isinstance(max_units, int) or isinstance(max_units, bool) or max_units < 1:
        raise ValueError(f"max_units must be a positive int, got {max_units!r}")
    widest = max(model.nin, *model.nouts)
    if widest > max_units:
        raise ValueError(
            f"the network has a layer of {widest} units, more than max_units={max_units}: its "
            "picture would be unreadable; draw a narrower network, pass a larger max_units, "
            "or draw one sample's graph with autograd.render")


def _trace_of(model: MLP, trace: Trace | None) -> list[LayerTrace]:
    if trace is None:
        return []
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be what nn.trace returns, got {type(trace).__name__}")
    if [len(layer.units) for layer in trace.layers] != model.nouts or len(trace.x) != model.nin:
        raise ValueError(f"the trace is of an {trace.architecture}, not of this "
                         f"{architecture(model)}")
    for layer, record in zip(model.layers, trace.layers, strict=True):
        for j, neuron in enumerate(layer.neurons):
            traced = [*record.W[j], *([] if record.b is None else [record.b[j]])]
            own = [w.data for w in neuron.w] + ([] if neuron.b is None else [neuron.b.data])
            if not _same(own, traced):
                raise ValueError(
                    f"the trace was taken with other weights than the model has (unit "
                    f"{record.units[j]} of layer {record.number} differs): trace the model "
                    "as it is now, nn.trace(model, x, target), or draw the weights after an "
                    "update with after=")
    return trace.layers


def _same(these: list[float], those: list[float]) -> bool:
    """Whether the two lists hold the same floats, nan matching nan."""
    return len(these) == len(those) and all(
        a == b or (a != a and b != b) for a, b in zip(these, those, strict=True))


def _updated(model: MLP, after: Mapping[str, float] | Module | None) -> dict[str, float] | None:
    """The parameters after the update by name, which must be this model's names."""
    if after is None:
        return None
    state = after.state_dict() if isinstance(after, Module) else after
    if not isinstance(state, Mapping):
        raise TypeError(f"after must be a state dict or a model, got {type(after).__name__}")
    names = [name for name, _ in model.named_parameters()]
    missing = [name for name in names if name not in state]
    if missing or len(state) != len(names):
        raise ValueError(f"after must name this {architecture(model)}'s parameters as its "
                         "state_dict() does: "
                         + (f"{missing[0]} is missing" if missing else "it has others"))
    updated: dict[str, float] = {}
    for name in names:
        value = state[name]
        if isinstance(value, Value):
            value = value.data
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"after must give each parameter a number, as state_dict() does: "
                             f"{name} is {value!r:.40}")
        updated[name] = float(value)
    return updated


# --- the units ---


def _column(dot: Drawing, number: int, names: list[str], labels: list[str], fills: list[str],
            bias: bool) -> None:
    """One layer's units top to bottom, then the +1 unit of the next layer's biases."""
    with dot.subgraph(name=f"layer{number}") as column:
        column.attr(rank="same")
        for name, label, fill in zip(names, labels, fills, strict=True):
            column.node(name, label, id=name, fillcolor=fill)
        order = list(names)
        if bias:
            column.node(_bias(number), "+1", id=_bias(number), width="0.45",
                        fillcolor="#f3f4f6", color="#6b7280", fontcolor="#374151")
            order.append(_bias(number))
        for upper, lower in pairwise(order):
            column.edge(upper, lower, style="invis")  # keeps the units in order


def _unit_labels(names: list[str], record: LayerTrace | None,
                 style: _Style) -> tuple[list[str], list[str]]:
    """Each unit's label (its name, and z, a, δ with a trace) and fill (δ's colour)."""
    if record is None:
        return names, ["white"] * len(names)
    labels = [LINE.join([name, *(f"{symbol} {_number(values[j], style.digits)}" for
                                 symbol, values in (("z", record.z), ("a", record.a),
                                                    ("δ", record.delta)))])
              for j, name in enumerate(names)]
    return labels, [gradient_colour(d, style.largest, strongest=PALE) for d in record.delta]


def _has_bias(model: MLP, number: int) -> bool:
    """Whether layer `number` (counting from 1) exists and has biases."""
    return number <= len(model.layers) and model.layers[number - 1].neurons[0].b is not None


def _bias(number: int) -> str:
    return f"bias{number}"


# --- the edges ---


def _edge(dot: Drawing, style: _Style, tail: str, head: str, name: str, weight: float,
          grad: float | None) -> None:
    """An edge with its weight (or bias), ∂C/∂w (∂C/∂b) and the update as label and tooltip."""
    symbol = "b" if name.endswith(".b") else "w"
    new = None if style.updated is None else style.updated[name]
    digits = style.digits if new is None else _distinguishing(weight, new, style.digits)
    text = _number(weight, digits) + ("" if new is None else " → " + _number(new, digits))
    tooltip = f"{name} = {_number(weight, 9)}"
    if grad is not None:
        text += f"{LINE}∂C/∂{symbol} {_number(grad, style.digits)}"
        tooltip += f", ∂C/∂{symbol} = {_number(grad, 9)}"
    if new is not None:
        tooltip += f", after the update {_number(new, 9)}"
    shown = weight if grad is None else grad
    colour = gradient_colour(shown, style.largest, zero=GREY, strongest=1.0)
    width = 0.6 + 2.4 * gradient_strength(shown, style.largest)
    attrs = {"color": colour, "penwidth": f"{width:.2f}",
             "tooltip": tooltip, "id": f"{tail}-{head}"}
    if style.labelled:
        attrs.update(label=text, fontcolor=colour)
    dot.edge(tail, head, **attrs)


def _distinguishing(old: float, new: float, digits: int) -> int:
    """The fewest significant digits, from digits up to 9, that tell old and new apart."""
    while digits < 9 and _number(old, digits) == _number(new, digits) and old != new:
        digits += 1
    return digits


def _largest(model: MLP, layers: list[LayerTrace]) -> float:
    """The largest finite size among what edges and units are coloured by."""
    if layers:
        shown = [g for layer in layers
                 for row in (*layer.grad_w, layer.grad_b or [], layer.delta) for g in row]
    else:
        shown = [p.data for p in model.parameters()]
    return max((abs(v) for v in shown if math.isfinite(v)), default=0.0)


# --- words ---


def _legend(model: MLP, trace: Trace | None, style: _Style) -> str:
    edges = "edges: w" if style.labelled else "edges (numbers in tooltips): w"
    if style.updated is not None:
        edges += " → w after the update"
    if trace is None:
        return f"{architecture(model)}. {edges}; blue positive, red negative weights"
    return (f"{architecture(model)}, {trace.loss} C = {_number(trace.cost, 9)}. Units: z, a "
            f"and δ = ∂C/∂z; {edges} and ∂C/∂w.{LINE}Blue positive, red negative gradients, "
            "stronger the larger")


def _number(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"
