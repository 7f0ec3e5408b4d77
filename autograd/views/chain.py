"""The backward pass as data: each node's gradient with the terms the chain rule adds up.

Explanations, drawings and the stepper page all read this record; the local derivatives in it
come from the op table, so no op's derivative is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..engine.graph import backward_steps
from ..engine.value import Value


def local_derivatives(node: Value) -> tuple[float, ...]:
    """d(node)/d(parent) for each parent, in order, from the op table; () for a leaf."""
    op = node.op_info
    if op is None:
        return ()
    inputs = (parent.data for parent in node.parents)
    return tuple(float(d) for d in op.local_derivatives(*inputs, node.data))


@dataclass(frozen=True)
class Term:
    """One consumer's share of a gradient: upstream gradient times local derivative."""

    consumer: int
    upstream: float
    local: float


@dataclass(frozen=True)
class Step:
    """One node's gradient d(root)/d(node), and the terms that add up to it."""

    node: int
    grad: float
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Backprop:
    """A root's graph in topological order and its backward pass, one step per node.

    Node numbers are places in `nodes` (parents first); `steps` run consumers first, the order
    in which backward() visits the nodes, and add up in the same order, so each step's grad is
    exactly the `grad` backward() would give.
    """

    nodes: tuple[Value, ...]
    steps: tuple[Step, ...]

    def grad(self, node: int) -> float:
        """d(root)/d(node)."""
        return self.steps[len(self.nodes) - 1 - node].grad


def backprop(root: Value) -> Backprop:
    """Record the backward pass of root (seeded with 1) without touching any node's grad."""
    record = list(backward_steps(root))
    index = {node: len(record) - 1 - i for i, (node, _, _) in enumerate(record)}
    terms: list[list[Term]] = [[] for _ in record]
    steps = []
    for node, g, local in record:
        i = index[node]
        steps.append(Step(i, g, tuple(terms[i])))
        for parent, derivative in zip(node.parents, local, strict=True):
            terms[index[parent]].append(Term(i, g, float(derivative)))
    return Backprop(tuple(node for node, _, _ in reversed(record)), tuple(steps))


def depending_on(record: Backprop, wrt: int) -> list[bool]:
    """For each node, whether its value depends on node wrt (wrt itself included)."""
    index = {node: i for i, node in enumerate(record.nodes)}
    depends = [False] * len(record.nodes)
    depends[wrt] = True
    for i in range(wrt + 1, len(record.nodes)):
        depends[i] = any(depends[index[p]] for p in record.nodes[i].parents)
    return depends


def cut_nodes(record: Backprop, wrt: int) -> list[int]:
    """The nodes every path from the root down to wrt passes through, root first, wrt last.

    In topological order a path avoids a node only by an edge that jumps over its place, so the
    cut nodes are the places no edge between nodes that depend on wrt jumps over.
    """
    depends = depending_on(record, wrt)
    index = {node: i for i, node in enumerate(record.nodes)}
    jumps = [0] * (len(record.nodes) + 1)
    for child in range(wrt + 1, len(record.nodes)):
        if not depends[child]:
            continue
        for parent in record.nodes[child].parents:
            p = index[parent]
            if depends[p] and p + 1 < child:
                jumps[p + 1] += 1
                jumps[child] -= 1
    cut = []
    open_jumps = 0
    for i in range(len(record.nodes)):
        open_jumps += jumps[i]
        if depends[i] and open_jumps == 0:
            cut.append(i)
    cut.reverse()
    return cut


def derivative(of: Value, by: Value) -> float:
    """d(of)/d(by) by the chain rule over of's graph; 0 if by is not in it."""
    record = backprop(of)
    for i, node in enumerate(record.nodes):
        if node is by:
            return record.grad(i)
    return 0.0


def derivatives_along(record: Backprop, cut: Sequence[int]) -> list[float]:
    """d(cut[k])/d(cut[k + 1]) for each pair of consecutive cut nodes (root side first).

    Every path from the root down to the last cut node passes through each of them, so a path
    from one cut node to the next only visits the nodes between the two in topological order:
    each pass reads those alone (all the passes together, the graph once), and adds up in the
    order derivative() would, giving the same floats.
    """
    index = {node: i for i, node in enumerate(record.nodes)}
    return [_derivative_within(record.nodes, index, of, by) for of, by in pairwise(cut)]


def _derivative_within(nodes: Sequence[Value], index: dict[Value, int], of: int, by: int) -> float:
    """d(nodes[of])/d(nodes[by]) over the nodes between them, by < of: the backward pass of
    nodes[of], restricted to the nodes that depend on nodes[by]."""
    on_path = [False] * (of - by + 1)  # place i - by: whether nodes[i] depends on nodes[by]
    on_path[0] = True
    for i in range(by + 1, of + 1):
        on_path[i - by] = any(index[p] >= by and on_path[index[p] - by] for p in nodes[i].parents)
    grads = [0.0] * (of - by + 1)
    grads[-1] = 1.0
    for i in range(of, by, -1):
        if not on_path[i - by]:
            continue
        g = grads[i - by]
        for parent, local in zip(nodes[i].parents, local_derivatives(nodes[i]), strict=True):
            j = index[parent] - by
            if j >= 0 and on_path[j]:
                grads[j] += g * local
    return grads[0]
