"""A self-contained web page that steps through a backward pass node by node."""

from __future__ import annotations

import html
import json
import os
import re
from importlib import resources
from pathlib import Path

from .chain import backprop
from .draw import MAX_NODES, Options, draw_backprop, to_svg, write_atomically
from .explain import Explanation
from .notation import Notation, format_number
from .value import Value


def stepper(root: Value, path: str | os.PathLike[str], precision: int = 4,
            rankdir: str = "LR", *, decimals: int = 9, cluster_modules: bool = False,
            delay_ms: int = 800, max_nodes: int = MAX_NODES, forward: bool = False) -> Path:
    """Write one HTML page (no network, no external files) that steps through root's backward.

    The page shows the graph with every grad hidden; Previous, Next and Play (or the arrow keys
    and space) reveal the nodes in the order backward visits them, highlighting the current node
    and the consumers its gradient comes from, with its explanation line (numbers with
    `decimals` decimals) beside the graph. The graph shows `precision` decimals. With
    forward=True every value is hidden too, and the page first reveals them in topological
    order, each computed from its inputs (q = x + y = (-2) + 5 = 3), then steps backward.
    """
    if not isinstance(root, Value):
        raise TypeError(f"stepper() expects a Value, got {type(root).__name__}")
    if not isinstance(decimals, int) or not 0 <= decimals <= 17:
        raise ValueError(f"decimals must be an int from 0 to 17, got {decimals!r}")
    if not isinstance(delay_ms, int) or not 50 <= delay_ms <= 60_000:
        raise ValueError(f"delay_ms must be an int from 50 to 60000, got {delay_ms!r}")
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the stepper writes an HTML page: give a path ending in .html, "
                         f"not {target.name!r}")
    options = Options(precision, rankdir, cluster_modules=cluster_modules, max_nodes=max_nodes)
    record = backprop(root)
    svg = to_svg(draw_backprop(record, options))
    told = Explanation(record, Notation(), decimals)
    steps: list[dict[str, object]] = [{"kind": "backward", "node": f"v{step.node}",
        "grad": "grad " + format_number(step.grad, precision, strip=False),
        "line": told.line(step),
        "consumers": sorted({f"v{term.consumer}" for term in step.terms})}
        for step in record.steps]
    if forward:
        steps = _forward_steps(told, precision) + steps
    name = root.label or "the output"
    passes = "Forward and backward pass" if forward else "Backward pass"
    page = _fill(resources.files(__package__).joinpath("stepper.html").read_text("utf-8"), {
        "TITLE": html.escape(f"{passes} of {name}, step by step"),
        "SVG": svg[svg.index("<svg"):],
        "STEPS": json.dumps(steps, ensure_ascii=True).replace("<", "\\u003c"),
        "DELAY": str(delay_ms),
    })
    write_atomically(target, page.encode("utf-8"))
    return target


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
