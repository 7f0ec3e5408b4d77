"""Hypothesis strategies for property tests of ops and graphs: inputs in domain, random DAGs.

Needs hypothesis (`pip install "chainrule[testing]"`); the rest of autograd does not.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError(
        "autograd.testing needs hypothesis: pip install hypothesis "
        '(or pip install "chainrule[testing]")'
    ) from None

from .engine import ops
from .engine.ops import Domain, Op
from .engine.value import Value

__all__ = ["BLOCKS", "MARGIN", "Program", "in_domain", "op_with_inputs", "programs", "values"]

MARGIN = 1e-2  # distance kept from singular points, well above any finite-difference step


def in_domain(domain: Domain, margin: float = MARGIN) -> st.SearchStrategy[float]:
    """Floats in [low, high] at least margin (or the domain's clearance, if more) away from
    each point the domain avoids."""
    clear = max(margin, domain.clearance)
    return st.floats(domain.low, domain.high, allow_nan=False, allow_infinity=False).filter(
        lambda x: all(abs(x - p) >= clear for p in domain.avoid)
    )


@st.composite
def op_with_inputs(draw: st.DrawFn, op: Op) -> tuple[Op, tuple[float, ...]]:
    """The op with params drawn from their domains, and inputs drawn from its domains."""
    params = {name: draw(in_domain(domain)) for name, domain in op.param_domains}
    bound = op.bind(**params) if params else op
    return bound, tuple(draw(in_domain(d)) for d in op.domains)


# Smooth building blocks for random expressions, written once for floats and Values alike.
# Inputs to functions with a restricted domain are shifted into it first.
Block = tuple[int, Callable[..., Any]]
BLOCKS: Mapping[str, Block] = MappingProxyType({
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1.5 + b * b)),
    "rdiv": (2, lambda a, b: 2.0 / (1.0 + a * a) - b),
    "neg": (1, lambda a: -a),
    "square": (1, lambda a: a**2),
    "cube_root": (1, lambda a: (1.0 + a * a) ** (1.0 / 3.0)),
    "pow_xy": (2, lambda a, b: (1.0 + a * a) ** ops.tanh(b)),
    "rpow": (1, lambda a: 2.0 ** ops.tanh(a)),
    "exp": (1, lambda a: ops.exp(ops.tanh(a))),
    "log": (1, lambda a: ops.log(1.0 + a * a)),
    "sqrt": (1, lambda a: ops.sqrt(0.5 + a * a)),
    "sin": (1, ops.sin),
    "cos": (1, ops.cos),
    "tanh": (1, ops.tanh),
    "sigmoid": (1, ops.sigmoid),
    "scale": (1, lambda a: 0.5 * a + 0.25),
})


@dataclass(frozen=True)
class Program:
    """A random expression DAG: leaves, then steps each applying a block to earlier nodes."""

    leaves: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]
    blocks: Mapping[str, Block] = field(default_factory=lambda: BLOCKS, repr=False, compare=False)

    def run(self, *leaves: Any) -> Any:
        """Evaluate on floats, Values or tensors; the result sums every step's node in order."""
        nodes = list(leaves)
        for name, args in self.steps:
            nodes.append(self.blocks[name][1](*(nodes[i] for i in args)))
        # with +, not sum(): from Python 3.12 sum() adds floats compensated, and Values not
        return functools.reduce(operator.add, nodes[len(leaves):], 0)

    def __repr__(self) -> str:
        return f"Program(leaves={self.leaves}, steps={self.steps})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # what hypothesis and IPython show: the blocks go unsaid


@st.composite
def programs(draw: st.DrawFn, max_leaves: int = 4, max_steps: int = 12,
             blocks: Mapping[str, Block] = BLOCKS) -> Program:
    """A random DAG with shared subexpressions: each step may read any earlier node.

    blocks maps a name to (arity, function); add your own ops to test them in graphs.
    """
    leaves = tuple(draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=max_leaves)))
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        name = draw(st.sampled_from(sorted(blocks)))
        arity = blocks[name][0]
        args = tuple(draw(st.integers(0, len(leaves) + k - 1)) for _ in range(arity))
        steps.append((name, args))
    return Program(leaves, tuple(steps), blocks)


def values(xs: Sequence[float]) -> list[Value]:
    """Fresh leaves labelled x0, x1, ..."""
    return [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
