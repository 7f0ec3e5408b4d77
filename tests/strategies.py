"""Hypothesis strategies: op inputs inside their domains, and random expression DAGs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import autograd
from autograd.ops import Domain, Op

MARGIN = 1e-2  # distance kept from singular points, well above any finite-difference step


def in_domain(domain: Domain) -> st.SearchStrategy[float]:
    """Floats in [low, high] at least MARGIN from each point the domain avoids."""
    return st.floats(domain.low, domain.high, allow_nan=False, allow_infinity=False).filter(
        lambda x: all(abs(x - p) >= MARGIN for p in domain.avoid)
    )


@st.composite
def op_with_inputs(draw: st.DrawFn, op: Op) -> tuple[Op, tuple[float, ...]]:
    """The op with params drawn from their domains, and inputs drawn from its domains."""
    params = {name: draw(in_domain(domain)) for name, domain in op.param_domains}
    bound = op.bind(**params) if params else op
    return bound, tuple(draw(in_domain(d)) for d in op.domains)


# Smooth building blocks for random expressions, written once for floats and Values alike.
# Inputs to functions with a restricted domain are shifted into it first.
Fn = Callable[..., Any]
BLOCKS: dict[str, tuple[int, Fn]] = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1.5 + b * b)),
    "rdiv": (2, lambda a, b: 2.0 / (1.0 + a * a) - b),
    "neg": (1, lambda a: -a),
    "square": (1, lambda a: a**2),
    "cube_root": (1, lambda a: (1.0 + a * a) ** (1.0 / 3.0)),
    "pow_xy": (2, lambda a, b: (1.0 + a * a) ** autograd.tanh(b)),
    "rpow": (1, lambda a: 2.0 ** autograd.tanh(a)),
    "exp": (1, lambda a: autograd.exp(autograd.tanh(a))),
    "log": (1, lambda a: autograd.log(1.0 + a * a)),
    "sqrt": (1, lambda a: autograd.sqrt(0.5 + a * a)),
    "sin": (1, autograd.sin),
    "cos": (1, autograd.cos),
    "tanh": (1, autograd.tanh),
    "sigmoid": (1, autograd.sigmoid),
    "scale": (1, lambda a: 0.5 * a + 0.25),
}


@dataclass(frozen=True)
class Program:
    """A random expression DAG: leaves, then steps each reading any earlier node."""

    leaves: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def run(self, *leaves: Any) -> Any:
        """Evaluate on floats or Values; the result sums every node, so all of them matter."""
        nodes = list(leaves)
        for name, args in self.steps:
            nodes.append(BLOCKS[name][1](*(nodes[i] for i in args)))
        return sum(nodes[len(leaves):])

    def __repr__(self) -> str:
        return f"Program(leaves={self.leaves}, steps={self.steps})"


@st.composite
def programs(draw: st.DrawFn, max_leaves: int = 4, max_steps: int = 12) -> Program:
    """A random DAG with shared subexpressions: each step may read any earlier node."""
    leaves = tuple(draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=max_leaves)))
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        name = draw(st.sampled_from(sorted(BLOCKS)))
        arity = BLOCKS[name][0]
        args = tuple(draw(st.integers(0, len(leaves) + k - 1)) for _ in range(arity))
        steps.append((name, args))
    return Program(leaves, tuple(steps))


def values(xs: Sequence[float]) -> list[autograd.Value]:
    """Fresh leaves labelled x0, x1, ..."""
    return [autograd.Value(x, label=f"x{i}") for i, x in enumerate(xs)]
