"""Drawing a graph with Graphviz: a box per Value (label, data, grad) and a circle per op."""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from .._checks import GraphTooLargeError, check_decimals, check_root, check_size
from .._text import visible
from ..engine.graph import topological_order
from ..engine.value import Value
from ..files import write_atomically
from .chain import Backprop, local_derivatives
from .notation import format_number

if sys.platform == "linux":
    import resource

FORMATS = ("svg", "png", "pdf", "dot")
MAX_NODES = 1000  # dot lays out a chain of 1000 values in a second
# dot's time follows the edges that cross, not the count of values: 81 values where one input
# feeds every step take 14 s, 101 such values more than 4 minutes. So every layout is stopped
# after TIMEOUT seconds as well.
TIMEOUT = 30.0
MAX_TIMEOUT = 86_400.0  # a day
_TOO_LARGE = "Graphviz would take long to lay it out; draw a smaller graph (one sample's loss)"
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
POSITIVE, NEGATIVE, WHITE = (33, 102, 172), (178, 24, 43), (255, 255, 255)
NOT_A_NUMBER = "#bdbdbd"
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}([^)]*)\)")
FIXED_DATE = b"19700101000000"  # written as every PDF's date, so a graph gives the same bytes
_GRAD_LEGEND = ("fill: blue for a positive gradient, red for a negative one, "
                "the stronger the larger |grad|")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed, so only DOT text can be written."""

    def __init__(self) -> None:
        super().__init__(_MISSING_DOT)


class Drawing(graphviz.Digraph):  # type: ignore[misc]
    """A graphviz.Digraph whose layouts stop after `timeout` seconds; Jupyter shows it inline."""

    timeout: float = TIMEOUT

    def pipe(self, format: str | None = None, renderer: str | None = None,
             formatter: str | None = None, neato_no_op: bool | int | None = None,
             quiet: bool = False, *, engine: str | None = None,
             encoding: str | None = None) -> bytes | str:
        """The drawing laid out by Graphviz in format (svg, png, pdf, ...), as bytes, or as text
        in encoding; GraphTooLargeError if the layout takes more than `timeout` seconds.

        The parameters are graphviz.Digraph.pipe's.
        """
        content = laid_out(self, format or self.format, engine or self.engine,
                           renderer=renderer or self.renderer,
                           formatter=formatter or self.formatter, neato_no_op=neato_no_op,
                           quiet=quiet)
        return content if encoding is None else content.decode(encoding)

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None,
                          **kwargs: Any) -> dict[str, bytes | str]:
        try:
            bundle: dict[str, bytes | str] = super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFoundError:
            return {"text/plain": _MISSING_DOT + "\n\n" + self.source}
        except GraphTooLargeError as error:
            return {"text/plain": str(error)}
        return bundle


def laid_out(drawing: Drawing | graphviz.Graph | graphviz.Digraph, fmt: str,
             engine: str = "dot", *, renderer: str | None = None, formatter: str | None = None,
             neato_no_op: bool | int | None = None, quiet: bool = True) -> bytes:
    """The drawing laid out by Graphviz's engine in format fmt, within drawing.timeout seconds
    (TIMEOUT for a graphviz graph), GraphvizNotFoundError when `dot` is missing; what Graphviz
    says on standard error is shown unless quiet."""
    command = _command(fmt, engine, renderer, formatter, neato_no_op)
    output, errors = _run(command, drawing.source.encode(drawing.encoding),
                          getattr(drawing, "timeout", TIMEOUT))
    if errors and not quiet:
        sys.stderr.write(errors.decode(errors="replace"))
        sys.stderr.flush()
    return output


def _command(fmt: str, engine: str, renderer: str | None, formatter: str | None,
             neato_no_op: bool | int | None) -> list[str]:
    """Graphviz's command line for a layout, each part checked as graphviz.pipe checks it."""
    if fmt not in graphviz.FORMATS or engine not in graphviz.ENGINES:
        raise ValueError(f"Graphviz has no format {fmt!r} or no layout engine {engine!r}")
    if renderer not in (None, *graphviz.RENDERERS) or formatter not in (None,
                                                                          *graphviz.FORMATTERS):
        raise ValueError(f"Graphviz has no renderer {renderer!r} or no formatter {formatter!r}")
    if formatter is not None and renderer is None:
        raise graphviz.RequiredArgumentError("formatter given without renderer")
    output = ":".join(part for part in (fmt, renderer, formatter) if part is not None)
    command = ["dot", f"-K{engine}", f"-T{output}"]
    if neato_no_op:
        command.append(f"-n{int(neato_no_op)}")
    return command


def _run(command: list[str], source: bytes, timeout: float) -> tuple[bytes, bytes]:
    """What Graphviz's command writes for source on standard output and on standard error,
    stopping it (and all it started) after timeout seconds or on any exception, a
    KeyboardInterrupt among them."""
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except FileNotFoundError:
        raise GraphvizNotFoundError() from None
    try:
        _limit_cpu(process.pid, timeout)
        output, errors = process.communicate(source, timeout=timeout)
    except BaseException as error:
        _stop(process)
        if isinstance(error, subprocess.TimeoutExpired):
            raise GraphTooLargeError(
                f"Graphviz did not lay the graph out within timeout={timeout:g} seconds and was "
                "stopped: draw a smaller graph (one sample's loss), allow more time with a "
                "larger timeout (--timeout on the command line), or use a faster layout "
                "engine: draw(root).pipe(format='svg', engine='sfdp')") from None
        raise
    if process.returncode != 0:
        raise graphviz.CalledProcessError(process.returncode, command, output, errors)
    return output, errors


def _limit_cpu(pid: int, timeout: float) -> None:
    """Have the kernel stop the process once it has used timeout seconds of processor time and
    half a second more, in case this process dies without stopping it (Linux only)."""
    if sys.platform == "linux":
        seconds = math.ceil(timeout + 0.5)
        with contextlib.suppress(OSError, ValueError):  # it has finished, or we may not
            resource.prlimit(pid, resource.RLIMIT_CPU, (seconds, seconds + 1))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the process with everything it started, and wait for it."""
    if sys.platform == "win32":
        process.kill()
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # its own group: start_new_session
    process.communicate()


def _escape(text: str) -> str:
    """text for a Graphviz record label: specials escaped, control characters shown as
    escapes, and each newline a line break."""
    text = visible(text)
    for special in "\\{}|<>\"":
        text = text.replace(special, "\\" + special)
    return text.replace("\n", "\\n")


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


def gradient_strength(value: float, largest: float) -> float:
    """How strongly drawings show value beside the largest one: sqrt(|value| / largest), at
    most 1; 1 for an infinity or nan, 0 when largest is 0."""
    if not math.isfinite(value):
        return 1.0
    return math.sqrt(min(abs(value) / largest, 1.0)) if largest > 0.0 else 0.0


def gradient_colour(value: float, largest: float, *,
                    zero: tuple[int, int, int] = WHITE, strongest: float = 0.8) -> str:
    """The colour drawings give value beside the largest one: from `zero` (an RGB triple) at 0
    to `strongest` of blue (positive) or red (negative), as gradient_strength scales; grey for
    nan."""
    if value != value:
        return NOT_A_NUMBER
    strength = strongest * gradient_strength(value, largest)
    rgb = POSITIVE if value > 0.0 else NEGATIVE
    return "#" + "".join(f"{round(z + (c - z) * strength):02x}"
                         for z, c in zip(zero, rgb, strict=True))


@dataclass(frozen=True)
class Options:
    """What a drawing shows (decimals, direction, optional layers) and how long dot may take."""

    precision: int = 4
    rankdir: str = "LR"
    edge_derivatives: bool = False
    color_by_grad: bool = False
    cluster_modules: bool = False
    parameters: tuple[Value, ...] = ()
    timeout: float = TIMEOUT

    def __post_init__(self) -> None:
        if self.rankdir not in ("LR", "TB"):
            raise ValueError(f"rankdir must be 'LR' or 'TB', got {self.rankdir!r}")
        check_decimals(self.precision, "precision")
        if (isinstance(self.timeout, bool) or not isinstance(self.timeout, int | float)
                or not 0 < self.timeout <= MAX_TIMEOUT):
            raise ValueError(f"timeout must be a positive number of seconds, at most "
                             f"{MAX_TIMEOUT:g}, got {self.timeout!r}")


@dataclass
class _Box:
    """A cluster being filled: its node statements and the clusters inside it."""

    label: str
    nodes: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    inner: dict[str, _Box] = field(default_factory=dict)


def draw(root: Value, precision: int = 4, rankdir: str = "LR", *,
         edge_derivatives: bool = False, color_by_grad: bool = False,
         cluster_modules: bool = False, parameters: Iterable[Value] = (),
         max_nodes: int = MAX_NODES, timeout: float = TIMEOUT) -> Drawing:
    """The graph of root as a graphviz.Digraph, the same bytes for the same graph.

    Every Value is a box with its label, data and grad (`precision` decimals), every op a circle
    with its symbol. Boxes are coloured by role (the given `parameters`, labelled leaves as
    inputs, unlabelled leaves as constants, the root as output), or by the sign and size of grad
    with `color_by_grad`. `edge_derivatives` writes d(child)/d(input) on each input edge, from
    the op table; `cluster_modules` boxes nodes by the scopes they were made in. A graph of more
    than `max_nodes` Values raises GraphTooLargeError at once, and so does a layout that takes
    Graphviz more than `timeout` seconds (Graphviz is then stopped).
    """
    check_root(root, "draw()")
    options = Options(precision, rankdir, edge_derivatives, color_by_grad, cluster_modules,
                      tuple(parameters), timeout)
    check_size(root, max_nodes, _TOO_LARGE)
    order = topological_order(root)
    return _build(order, [node.grad for node in order], options)


def draw_backprop(record: Backprop, options: Options) -> Drawing:
    """The drawing of a recorded backward pass: each box shows the grad the record computed."""
    return _build(list(record.nodes), [record.grad(i) for i in range(len(record.nodes))],
                  options)


def _build(order: list[Value], grads: list[float], options: Options) -> Drawing:
    dot = Drawing(graph_attr={"rankdir": options.rankdir},
                  node_attr={"fontname": "Helvetica"}, edge_attr={"fontname": "Helvetica"})
    dot.timeout = options.timeout
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
        style["fillcolor"] = gradient_colour(grad, largest)
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


def render(root: Value, path: str | os.PathLike[str], precision: int = 4,
           rankdir: str = "LR", *, edge_derivatives: bool = False,
           color_by_grad: bool = False, cluster_modules: bool = False,
           parameters: Iterable[Value] = (), max_nodes: int = MAX_NODES,
           timeout: float = TIMEOUT) -> Path:
    """Write the drawing of root to path; the suffix picks the format (.svg .png .pdf .dot).

    The options are draw()'s. Nothing is written unless the whole drawing is (see
    write_atomically).
    """
    _format_of(Path(path))  # a bad suffix is refused before anything is drawn
    dot = draw(root, precision, rankdir, edge_derivatives=edge_derivatives,
               color_by_grad=color_by_grad, cluster_modules=cluster_modules,
               parameters=parameters, max_nodes=max_nodes, timeout=timeout)
    return render_drawing(dot, path)


def render_drawing(drawing: Drawing | graphviz.Graph | graphviz.Digraph,
                   path: str | os.PathLike[str]) -> Path:
    """Write a drawing (draw()'s, or a graphviz graph built by hand) to path, as render() does:
    the suffix picks the format (.svg .png .pdf .dot), and nothing is written unless all is."""
    if not isinstance(drawing, graphviz.Graph | graphviz.Digraph):
        raise TypeError(f"render_drawing expects a Drawing (what draw() returns) or a "
                        f"graphviz.Digraph or graphviz.Graph, got {type(drawing).__name__}")
    target = Path(path)
    fmt = _format_of(target)
    content = drawing.source.encode() if fmt == "dot" else laid_out(drawing, fmt)
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
