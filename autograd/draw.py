"""Drawing a graph with Graphviz: a box per Value (label, data, grad) and a circle per op."""

from __future__ import annotations

import math
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from .chain import Backprop, local_derivatives
from .graph import topological_order
from .notation import format_number
from .value import Value

FORMATS = ("svg", "png", "pdf", "dot")
MAX_NODES = 1000  # dot lays out 1000 values in a few seconds, 2000 in a minute
_MISSING_DOT = (
    "Graphviz's 'dot' program was not found: install the 'graphviz' package "
    "(apt-get install graphviz, brew install graphviz, dnf install graphviz). "
    "The DOT text is still available as draw(root).source."
)

# Fill colours by role, and the border colours that show the role when the fill shows the grad.
ROLE_FILLS = {"input": "#dbeafe", "parameter": "#dcfce7", "constant": "#f3f4f6",
              "intermediate": "#ffffff", "output": "#fde68a"}
ROLE_BORDERS = {"input": "#2563eb", "parameter": "#16a34a", "constant": "#9ca3af",
                "intermediate": "#000000", "output": "#d97706"}
POSITIVE, NEGATIVE, NOT_A_NUMBER = (33, 102, 172), (178, 24, 43), "#bdbdbd"
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}([^)]*)\)")
FIXED_DATE = b"19700101000000"  # written as every PDF's date, so a graph gives the same bytes
_GRAD_LEGEND = ("fill: blue for a positive gradient, red for a negative one, "
                "the stronger the larger |grad|")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed, so only DOT text can be written."""

    def __init__(self) -> None:
        super().__init__(_MISSING_DOT)


class GraphTooLargeError(ValueError):
    """The graph has more nodes than the drawing's limit."""


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A graphviz.Digraph that Jupyter shows inline (its DOT text when `dot` is missing)."""

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None,
                          **kwargs: Any) -> dict[str, bytes | str]:
        try:
            bundle: dict[str, bytes | str] = super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": _MISSING_DOT + "\n\n" + self.source}
        return bundle


def _escape(text: str) -> str:
    for special in "\\{}|<>\"":
        text = text.replace(special, "\\" + special)
    return text


def roles(order: list[Value], parameters: Iterable[Value] = ()) -> list[str]:
    """Each node's role: output (the root), parameter, input (a labelled leaf), constant, or
    intermediate."""
    chosen = {id(p) for p in parameters}
    found = []
    for node in order:
        if node.op_info is not None:
            found.append("intermediate")
        elif id(node) in chosen:
            found.append("parameter")
        else:
            found.append("input" if node.label else "constant")
    found[-1] = "output"
    return found


def grad_fill(grad: float, largest: float) -> str:
    """Blue for a positive grad, red for a negative one, stronger the larger |grad| / largest."""
    if grad != grad:
        return NOT_A_NUMBER
    if grad == 0.0 or largest == 0.0:
        return "#ffffff"
    strength = 0.8 * math.sqrt(min(abs(grad) / largest, 1.0))
    rgb = POSITIVE if grad > 0.0 else NEGATIVE
    return "#" + "".join(f"{round(255 + (c - 255) * strength):02x}" for c in rgb)


@dataclass(frozen=True)
class Options:
    """What a drawing shows: how many decimals, which way it runs, and the optional layers."""

    precision: int = 4
    rankdir: str = "LR"
    edge_derivatives: bool = False
    color_by_grad: bool = False
    cluster_modules: bool = False
    parameters: tuple[Value, ...] = ()
    max_nodes: int = MAX_NODES

    def __post_init__(self) -> None:
        if self.rankdir not in ("LR", "TB"):
            raise ValueError(f"rankdir must be 'LR' or 'TB', got {self.rankdir!r}")
        if not isinstance(self.precision, int) or not 0 <= self.precision <= 17:
            raise ValueError(f"precision must be an int from 0 to 17, got {self.precision!r}")
        if not isinstance(self.max_nodes, int) or self.max_nodes < 1:
            raise ValueError(f"max_nodes must be a positive int, got {self.max_nodes!r}")


@dataclass
class _Box:
    """A cluster being filled: its node statements and the clusters inside it."""

    label: str
    nodes: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    inner: dict[str, _Box] = field(default_factory=dict)


def draw(root: Value, precision: int = 4, rankdir: str = "LR", *,
         edge_derivatives: bool = False, color_by_grad: bool = False,
         cluster_modules: bool = False, parameters: Iterable[Value] = (),
         max_nodes: int = MAX_NODES) -> Drawing:
    """The graph of root as a graphviz.Digraph, the same bytes for the same graph.

    Every Value is a box with its label, data and grad (`precision` decimals), every op a circle
    with its symbol. Boxes are coloured by role (the given `parameters`, labelled leaves as
    inputs, unlabelled leaves as constants, the root as output), or by the sign and size of grad
    with `color_by_grad`. `edge_derivatives` writes d(child)/d(input) on each input edge, from
    the op table; `cluster_modules` boxes nodes by the scopes they were made in. A graph of more
    than `max_nodes` Values raises GraphTooLargeError rather than keep Graphviz busy for long.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() expects a Value, got {type(root).__name__}")
    options = Options(precision, rankdir, edge_derivatives, color_by_grad, cluster_modules,
                      tuple(parameters), max_nodes)
    order = topological_order(root)
    _check_size(len(order), options.max_nodes)
    return _build(order, [node.grad for node in order], options)


def draw_backprop(record: Backprop, options: Options) -> Drawing:
    """The drawing of a recorded backward pass: each box shows the grad the record computed."""
    _check_size(len(record.nodes), options.max_nodes)
    return _build(list(record.nodes), [record.grad(i) for i in range(len(record.nodes))],
                  options)


def _check_size(values: int, max_nodes: int) -> None:
    if values > max_nodes:
        raise GraphTooLargeError(
            f"the graph has {values} values, more than max_nodes={max_nodes}: "
            "Graphviz would take long to lay it out; draw a smaller graph (one sample's loss) "
            "or pass a larger max_nodes")


def _build(order: list[Value], grads: list[float], options: Options) -> Drawing:
    dot = Drawing(graph_attr={"rankdir": options.rankdir},
                  node_attr={"fontname": "Helvetica"}, edge_attr={"fontname": "Helvetica"})
    if options.color_by_grad:
        dot.attr(label=_GRAD_LEGEND, fontname="Helvetica", fontsize="10", labelloc="b")
    top = _Box("")
    index = {node: i for i, node in enumerate(order)}
    edges: list[tuple[str, str, dict[str, str]]] = []
    node_roles = roles(order, options.parameters)
    largest = max((abs(g) for g in grads if math.isfinite(g)), default=0.0)
    scopes = _drawn_scopes(order, index) if options.cluster_modules else [()] * len(order)
    for i, node in enumerate(order):
        box = _box_of(top, scopes[i])
        style = _style(grads[i], node_roles[i], largest, options)
        box.nodes.append((f"v{i}", _record_label(node, grads[i], options.precision),
                          {**style, "id": f"v{i}"}))
        op = node.op_info
        if op is None:
            continue
        box.nodes.append((f"op{i}", _escape(op.display), {"shape": "circle", "id": f"op{i}"}))
        edges.append((f"op{i}", f"v{i}", {}))
        derivatives = local_derivatives(node) if options.edge_derivatives else ()
        for k, parent in enumerate(node.parents):
            attrs = {}
            if derivatives:
                attrs = {"label": format_number(derivatives[k], options.precision),
                         "fontsize": "10", "fontcolor": "#555555"}
            edges.append((f"v{index[parent]}", f"op{i}", attrs))
    _emit(dot, top)
    for tail, head, attrs in edges:
        dot.edge(tail, head, **attrs)
    return dot


def _record_label(node: Value, grad: float, precision: int) -> str:
    fields = [f"data {format_number(node.data, precision, strip=False)}",
              f"grad {format_number(grad, precision, strip=False)}"]
    if node.label:
        fields.insert(0, _escape(node.label))
    return "{ " + " | ".join(fields) + " }"


def _style(grad: float, role: str, largest: float, options: Options) -> dict[str, str]:
    style = {"shape": "record", "style": "filled"}
    if options.color_by_grad:
        style["fillcolor"] = grad_fill(grad, largest)
        style["color"] = ROLE_BORDERS[role]
        if role != "intermediate":
            style["penwidth"] = "2"
    else:
        style["fillcolor"] = ROLE_FILLS[role]
    return style


def _drawn_scopes(order: list[Value], index: dict[Value, int]) -> list[tuple[str, ...]]:
    """Each node's scopes; a leaf made outside any scope (a parameter) joins its consumers'
    scope when they all share one, so a neuron's weights sit in the neuron's box."""
    scopes = [node.scopes for node in order]
    consumers: list[set[tuple[str, ...]]] = [set() for _ in order]
    for node in order:
        for parent in node.parents:
            consumers[index[parent]].add(node.scopes)
    for i, node in enumerate(order):
        if node.op_info is None and not scopes[i] and len(consumers[i]) == 1:
            scopes[i] = next(iter(consumers[i]))
    return scopes


def _box_of(top: _Box, scopes: tuple[str, ...]) -> _Box:
    box = top
    for name in scopes:
        inner = box.inner.get(name)
        if inner is None:
            inner = box.inner[name] = _Box(name)
        box = inner
    return box


def _emit(graph: graphviz.Digraph, box: _Box, counter: list[int] | None = None) -> None:
    """Write a box's nodes, then each inner box as a cluster (numbered in order of appearance)."""
    counter = [0] if counter is None else counter
    for name, label, attrs in box.nodes:
        graph.node(name, label, **attrs)
    for inner in box.inner.values():
        counter[0] += 1
        with graph.subgraph(name=f"cluster_{counter[0]}") as cluster:
            cluster.attr(label=_escape(inner.label), style="rounded,dashed", color="#6b7280",
                         fontname="Helvetica", fontsize="11")
            _emit(cluster, inner, counter)


def to_svg(drawing: graphviz.Digraph) -> str:
    """The SVG text of a drawing (GraphvizNotFoundError when `dot` is missing)."""
    return _pipe(drawing, "svg").decode("utf-8")


def _pipe(drawing: graphviz.Digraph, fmt: str) -> bytes:
    try:
        content: bytes = drawing.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError() from None
    return content


def render(root: Value, path: str | os.PathLike[str], precision: int = 4,
           rankdir: str = "LR", *, edge_derivatives: bool = False,
           color_by_grad: bool = False, cluster_modules: bool = False,
           parameters: Iterable[Value] = (), max_nodes: int = MAX_NODES) -> Path:
    """Write the drawing of root to path; the suffix picks the format (.svg .png .pdf .dot).

    The options are draw()'s. Nothing is written unless the whole drawing is.
    """
    _format_of(Path(path))  # a bad suffix is refused before anything is drawn
    dot = draw(root, precision, rankdir, edge_derivatives=edge_derivatives,
               color_by_grad=color_by_grad, cluster_modules=cluster_modules,
               parameters=parameters, max_nodes=max_nodes)
    return render_drawing(dot, path)


def render_drawing(drawing: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Write a drawing (draw()'s, or any graphviz.Digraph) to path, as render() does: the
    suffix picks the format (.svg .png .pdf .dot), and nothing is written unless all is."""
    target = Path(path)
    fmt = _format_of(target)
    content = drawing.source.encode() if fmt == "dot" else _pipe(drawing, fmt)
    write_atomically(target, fixed_dates(content) if fmt == "pdf" else content)
    return target


def _format_of(target: Path) -> str:
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the format from {target.name!r}: use a suffix among "
            + ", ".join("." + f for f in FORMATS)
        )
    return fmt


def fixed_dates(pdf: bytes) -> bytes:
    """pdf with FIXED_DATE for its creation date, in as many bytes, so its offsets still hold."""

    def fixed(date: re.Match[bytes]) -> bytes:
        zone = re.sub(rb"\d", b"0", date[2]).replace(b"-", b"+")  # Z, or +00'00' for +hh'mm'
        return b"/" + date[1] + b" (D:" + FIXED_DATE + zone + b")"

    return _PDF_DATE.sub(fixed, pdf)


def write_atomically(target: Path, content: bytes) -> None:
    """Write content to target through a temporary file beside it, so target is whole or
    untouched; a new file gets the usual mode (0o666 less the umask)."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)  # the kernel applies the umask, as to any new file
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
