"""Drawing a graph with Graphviz: a box per Value (label, data, grad) and a circle per op."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import graphviz

from .graph import topological_order
from .value import Value

FORMATS = ("svg", "png", "pdf", "dot")
_MISSING_DOT = (
    "Graphviz's 'dot' program was not found: install the 'graphviz' package "
    "(apt-get install graphviz, brew install graphviz, dnf install graphviz). "
    "The DOT text is still available as draw(root).source."
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed, so only DOT text can be written."""

    def __init__(self) -> None:
        super().__init__(_MISSING_DOT)


def _record_label(node: Value, precision: int) -> str:
    fields = [f"data {node.data:.{precision}f}", f"grad {node.grad:.{precision}f}"]
    if node.label:
        fields.insert(0, _escape(node.label))
    return "{ " + " | ".join(fields) + " }"


def _escape(text: str) -> str:
    for special in "\\{}|<>\"":
        text = text.replace(special, "\\" + special)
    return text


def draw(root: Value, precision: int = 4, rankdir: str = "LR") -> graphviz.Digraph:
    """The graph of root as a graphviz.Digraph, the same bytes for the same graph."""
    if not isinstance(root, Value):
        raise TypeError(f"draw() expects a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica"})
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    for i, node in enumerate(order):
        dot.node(f"v{i}", _record_label(node, precision), shape="record")
        op = node.op_info
        if op is not None:
            dot.node(f"op{i}", _escape(op.display), shape="circle")
            dot.edge(f"op{i}", f"v{i}")
            for parent in node.parents:
                dot.edge(f"v{index[parent]}", f"op{i}")
    return dot


def render(root: Value, path: str | os.PathLike[str], precision: int = 4,
           rankdir: str = "LR") -> Path:
    """Write the drawing of root to path; the suffix picks the format (.svg .png .pdf .dot)."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the format from {target.name!r}: use a suffix among "
            + ", ".join("." + f for f in FORMATS)
        )
    dot = draw(root, precision, rankdir)
    if fmt == "dot":
        content = dot.source.encode()
    else:
        try:
            content = dot.pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError() from None
    _write_atomically(target, content)
    return target


def _write_atomically(target: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
