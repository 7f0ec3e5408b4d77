"""A self-contained web page that steps through a backward pass node by node."""

from __future__ import annotations

import html
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import overload
from xml.dom import minidom

from .._checks import check_decimals, check_root, check_size
from .._text import visible
from ..engine.value import Value
from ..files import write_atomically
from .chain import backprop
from .draw import MAX_NODES, TIMEOUT, Options, draw_backprop, laid_out
from .explain import Explanation
from .notation import Notation, format_number

FRAME_HEIGHT = 560  # pixels of a notebook's frame around the page
_TOO_LARGE = ("Graphviz would take long to lay it out, and nobody steps through so many nodes; "
              "step through a smaller graph (one sample's loss)")


class StepperPage:
    """A stepper page, not yet written: a notebook shows it inline; save() writes it."""

    def __init__(self, html: str) -> None:
        self.html = html

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to path (ending in .html or .htm), atomically; return the path."""
        target = _page_path(path)
        write_atomically(target, self.html.encode("utf-8"))
        return target

    def _repr_html_(self) -> str:
        # a sandboxed frame: the page's script runs, and reaches nothing of the notebook's
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {FRAME_HEIGHT}px; border: 0"></iframe>')


@overload
def stepper(root: Value, path: None = None, precision: int = 4, rankdir: str = "LR", *,
            decimals: int = 9, cluster_modules: bool = False, delay_ms: int = 800,
            max_nodes: int = MAX_NODES, forward: bool = False,
            timeout: float = TIMEOUT) -> StepperPage: ...


@overload
def stepper(root: Value, path: str | os.PathLike[str], precision: int = 4, rankdir: str = "LR",
            *, decimals: int = 9, cluster_modules: bool = False, delay_ms: int = 800,
            max_nodes: int = MAX_NODES, forward: bool = False, timeout: float = TIMEOUT) -> Path:
    ...


def stepper(root: Value, path: str | os.PathLike[str] | None = None, precision: int = 4,
            rankdir: str = "LR", *, decimals: int = 9, cluster_modules: bool = False,
            delay_ms: int = 800, max_nodes: int = MAX_NODES, forward: bool = False,
            timeout: float = TIMEOUT) -> Path | StepperPage:
    """One HTML page (no network, no external files) that steps through root's backward,
    written to path; without a path, a StepperPage that a notebook shows inline.

    The page shows the graph with every grad hidden; Previous, Next and Play (or the arrow keys
    and space) reveal the nodes in the order backward visits them, highlighting the current node
    and the consumers its gradient comes from, with its explanation line (numbers with
    `decimals` decimals) beside the graph. The graph shows `precision` decimals. With
    forward=True every value is hidden too, and the page first reveals them in topological
    order, each computed from its inputs (q = x + y = (-2) + 5 = 3), then steps backward.
    max_nodes and timeout bound the work as in draw().
    """
    check_root(root, "stepper()")
    check_decimals(decimals)
    if not isinstance(delay_ms, int) or not 50 <= delay_ms <= 60_000:
        raise ValueError(f"delay_ms must be an int from 50 to 60000, got {delay_ms!r}")
    if path is not None:
        _page_path(path)  # a wrong suffix is refused before any work
    options = Options(precision, rankdir, cluster_modules=cluster_modules, timeout=timeout)
    check_size(root, max_nodes, _TOO_LARGE)
    record = backprop(root)
    svg = _marked_grads(laid_out(draw_backprop(record, options), "svg"))
    told = Explanation(record, Notation(), decimals)
    steps: list[dict[str, object]] = [{"kind": "backward", "node": f"v{step.node}",
        "grad": "grad " + format_number(step.grad, precision, strip=False),
        "line": told.line(step),
        "consumers": sorted({f"v{term.consumer}" for term in step.terms})}
        for step in record.steps]
    if forward:
        steps = _forward_steps(told, precision) + steps
    name = visible(root.label) or "the output"
    passes = "Forward and backward pass" if forward else "Backward pass"
    template = resources.files(__package__).joinpath("stepper.html").read_text("utf-8")
    page = StepperPage(_fill(template, {
        "TITLE": html.escape(f"{passes} of {name}, step by step"),
        "SVG": svg,
        "STEPS": json.dumps(steps, ensure_ascii=True).replace("<", "\\u003c"),
        "DELAY": str(delay_ms),
    }))
    return page if path is None else page.save(path)


def _page_path(path: str | os.PathLike[str]) -> Path:
    """path as a Path, refused unless it names an HTML page."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the stepper writes an HTML page: give a path ending in .html, "
                         f"not {target.name!r}")
    return target


def _marked_grads(svg: bytes) -> str:
    """The svg element with class "grad" on each box's grad field (its last text) and "data"
    on its data field (the text before), which the page hides and reveals: found by place, as
    a label may start with "grad " too."""
    document = minidom.parseString(svg)
    for group in document.getElementsByTagName("g"):
        if group.getAttribute("class") == "node" and group.getAttribute("id").startswith("v"):
            texts = group.getElementsByTagName("text")
            texts[-1].setAttribute("class", "grad")
            texts[-2].setAttribute("class", "data")
    element: str = document.getElementsByTagName("svg")[0].toxml()
    return element


def _forward_steps(told: Explanation, precision: int) -> list[dict[str, object]]:
    """The forward pass: each node's value in topological order, with the inputs it reads."""
    nodes = told.record.nodes
    return [{"kind": "forward", "node": f"v{i}",
             "data": "data " + format_number(node.data, precision, strip=False),
             "line": told.value_line(i),
             "inputs": sorted({f"v{told.index[parent]}" for parent in node.parents})}
            for i, node in enumerate(nodes)]


def _fill(template: str, parts: dict[str, str]) -> str:
    """The template with each %%NAME%% replaced in one pass (inserted text is not rescanned)."""
    return re.sub(r"%%([A-Z]+)%%", lambda match: parts[match[1]], template)
