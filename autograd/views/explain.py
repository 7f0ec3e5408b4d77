"""The backward pass told step by step: each gradient as upstream gradient × local derivative."""

from __future__ import annotations

import re
from itertools import pairwise

from .._checks import check_decimals, check_root, check_size
from ..engine.value import Value
from .chain import Backprop, Step, backprop, cut_nodes, depending_on, derivatives_along
from .notation import LatexNotation, Name, Notation, formula, node_names, number_name

STYLES = ("text", "markdown", "latex")
MAX_NODES = 10_000  # a line per node: ten thousand lines take seconds to write, none to read
_TOO_LARGE = ("its explanation would take long to write and be too long to read; explain a "
              "smaller graph (one sample's loss)")


class Explained(str):
    """explain()'s text, a str; a notebook shows it as Markdown, or as LaTeX for style="latex"."""

    style: str

    def __new__(cls, text: str, style: str) -> Explained:
        explained = super().__new__(cls, text)
        explained.style = style
        return explained

    def _repr_markdown_(self) -> str:
        if self.style == "latex":
            return f"$$\n{self}$$\n"
        if self.style == "markdown":
            return str(self)
        return "".join(f"{_markdown_escaped(line)}  \n" for line in self.splitlines())


def _markdown_escaped(text: str) -> str:
    """text with every character that Markdown could read as markup escaped."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~])", r"\\\1", text)


class Explanation:
    """The lines of one backward pass in one notation, numbers with `decimals` decimals."""

    def __init__(self, record: Backprop, notation: Notation, decimals: int) -> None:
        self.record = record
        self.notation = notation
        self.decimals = decimals
        self.names = node_names(record.nodes, notation, decimals)
        self.root = self.names[-1]
        self.index = {node: i for i, node in enumerate(record.nodes)}

    def symbolic(self, step: Step) -> str:
        """∂root/∂node written with the chain rule: Σ ∂root/∂consumer × ∂consumer/∂node."""
        n = self.notation
        node = self.names[step.node]
        if not step.terms:
            return n.partial(self.root, node)
        products = [n.partial(self.root, self.names[t.consumer]) + n.times
                    + n.partial(self.names[t.consumer], node) for t in step.terms]
        return n.plus.join(products)

    def numeric(self, step: Step) -> str:
        """The same sum with the numbers filled in."""
        n, d = self.notation, self.decimals
        return n.plus.join(n.factor(t.upstream, d) + n.times + n.factor(t.local, d)
                           for t in step.terms)

    def line(self, step: Step) -> str:
        """One step: ∂E/∂a = ∂E/∂b × ∂b/∂a = 0.5 × 2 = 1 (the root's own step: ∂E/∂E = 1)."""
        parts = [self.notation.partial(self.root, self.names[step.node])]
        if step.terms:
            parts += [self.symbolic(step), self.numeric(step)]
        parts.append(self.notation.number(step.grad, self.decimals))
        return " = ".join(parts)

    def value_line(self, node: int) -> str:
        """One node's value as the forward pass computes it: q = x + y = (-2) + 5 = 3 (x = -2)."""
        n, d = self.notation, self.decimals
        value = self.record.nodes[node]
        parts = [self.names[node].text]
        op = value.op_info
        if op is not None:
            parents = value.parents
            parts.append(formula(n, op, [self.names[self.index[p]] for p in parents]).text)
            parts.append(formula(n, op, [number_name(n, p.data, d) for p in parents]).text)
        parts.append(n.number(value.data, d))
        return " = ".join(part for i, part in enumerate(parts) if i == 0 or part != parts[i - 1])

    def chain(self, wrt: int) -> str | None:
        """∂root/∂wrt through the labelled nodes every path passes, as one product, if any."""
        stops = [i for i in cut_nodes(self.record, wrt) if self.record.nodes[i].label]
        nodes = self.record.nodes
        root, last = len(nodes) - 1, wrt
        stops = [i for i in stops if i not in (root, last)]
        if not stops:
            return None
        path = [root, *stops, last]
        factors = [self.record.grad(stops[0]), *derivatives_along(self.record, path[1:])]
        n, d = self.notation, self.decimals
        partials = [n.partial(self.names[a], self.names[b]) for a, b in pairwise(path)]
        return " = ".join([
            n.partial(self.root, self.names[wrt]),
            n.times.join(partials),
            n.times.join(n.factor(f, d) for f in factors),
            n.number(self.record.grad(wrt), d),
        ])


def explain(root: Value, wrt: Value | None = None, style: str = "text",
            decimals: int = 9, *, max_nodes: int = MAX_NODES) -> Explained:
    """The backward pass of root, one line per node in the order backward visits them.

    Each line gives the node's gradient as the sum over its consumers of upstream gradient
    times local derivative (from the op table), first in symbols, then in numbers. Constants
    (leaves without a label, which are named by their number) get no line: ∂f/∂2 means nothing.
    With wrt, only the steps leading to wrt (a line even if it is a constant), and last the
    whole chain through the labelled nodes on its way.
    style is "text", "markdown" (a table) or "latex" (an align* block). The result is a str
    that a notebook shows as Markdown (LaTeX rendered). A graph of more than max_nodes Values
    raises GraphTooLargeError before any work.
    """
    return Explained(_told(root, wrt, style, decimals, max_nodes), style)


def _told(root: Value, wrt: Value | None, style: str, decimals: int, max_nodes: int) -> str:
    """explain()'s text."""
    _check(root, wrt, style, decimals)
    check_size(root, max_nodes, _TOO_LARGE)
    record = backprop(root)
    notation = LatexNotation() if style == "latex" else Notation()
    told = Explanation(record, notation, decimals)
    steps = [s for s in record.steps if not _constant(record.nodes[s.node], wrt)]
    chain = None
    if wrt is not None:
        target = next((i for i, node in enumerate(record.nodes) if node is wrt), None)
        if target is None:
            return _unrelated(told, Name(notation.label(wrt.label or "wrt")), style)
        depends = depending_on(record, target)
        steps = [s for s in steps if depends[s.node]]
        chain = told.chain(target)
    lines = [told.line(step) for step in steps]
    if style == "markdown":
        return _markdown(told, steps, lines, chain)
    if chain is not None:
        lines.append(chain)
    if style == "latex":
        return "\\begin{align*}\n" + " \\\\\n".join(_align(line) for line in lines) \
            + "\n\\end{align*}\n"
    return "\n".join(lines) + "\n"


def _constant(node: Value, wrt: Value | None) -> bool:
    """Whether node is a constant: an unlabelled leaf other than wrt."""
    return not node.label and not node.parents and node is not wrt


def _check(root: Value, wrt: Value | None, style: str, decimals: int) -> None:
    check_root(root, "explain()")
    if wrt is not None and not isinstance(wrt, Value):
        raise TypeError(f"wrt must be a Value or None, got {type(wrt).__name__}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, got {style!r}")
    check_decimals(decimals)


def _unrelated(told: Explanation, wrt: Name, style: str) -> str:
    n = told.notation
    line = f"{n.partial(told.root, wrt)} = 0"
    if style == "latex":
        return f"\\begin{{align*}}\n{_align(line)}\n\\end{{align*}}\n"
    suffix = f" ({told.root.text} does not depend on {wrt.text})"
    return (f"`{line}`{suffix}\n" if style == "markdown" else line + suffix + "\n")


def _align(line: str) -> str:
    return line.replace(" = ", " &= ", 1)


def _markdown(told: Explanation, steps: list[Step], lines: list[str],
              chain: str | None) -> str:
    rows = ["| step | node | gradient | chain rule |", "| ---: | --- | ---: | --- |"]
    for number, (step, line) in enumerate(zip(steps, lines, strict=True), start=1):
        name = told.names[step.node].text
        grad = told.notation.number(step.grad, told.decimals)
        rows.append(f"| {number} | {_code(name)} | {grad} | {_code(line)} |")
    if chain is not None:
        rows += ["", f"Along the chain: {_code(chain)}"]
    return "\n".join(rows) + "\n"


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"
