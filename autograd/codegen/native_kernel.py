"""The LLVM module of a per-sample kernel: one sample's code (lowered by native_lowering) run
on LANES rows at once, in a loop over the rows that sums or stores each row's results in order.
The sample's code is cut into functions of PART statements each, since LLVM's time on a function
grows faster than its length: so the compile time grows about as the sample's graph.
"""

from __future__ import annotations

import ast
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from .kernels import ROW_KERNEL, SUM_KERNEL, KernelCode
from .native_lowering import (
    DOUBLE,
    LANES,
    VECTOR,
    Emitter,
    LoweringError,
    Operand,
    Scope,
    expression,
    statements,
)

PART_NAME = "rows_part_"
PART = 200  # statements of the sample's code a function computes


def kernel_module(code: KernelCode) -> str:
    """An LLVM module of two functions of (params, rows, n, ...outputs), as the Python kernel's.

    sum_over_rows(params, rows, n, sums, aux) adds row after row to sums (zeros, at least
    1 + P long, rounded up to a multiple of LANES): sums[0] the value, sums[1 + k] its
    gradient by parameter k; each_row(params, rows, n, values, gradients, aux) writes each
    row's. aux[i][j] is row i's value of aux node j; rows[i][j] row i's number for batch input
    j. Both call the part functions in turn, which compute LANES rows at once.
    """
    body = ast.parse("\n".join(code.body), "<kernel>").body
    results = [cast(ast.Expr, line).value for line in ast.parse(
        "\n".join((code.value, *code.gradients, *code.aux)), "<kernel>").body]
    emitter = Emitter()
    parts, frame = _part_functions(code, body, results, emitter)
    layout = _Layout(len(code.params), len(code.batch), len(code.aux), len(parts), frame)
    header = [f"; per-sample kernel: {code.node_count} nodes, {len(code.params)} parameters, "
              f"{len(code.batch)} batch inputs, {len(code.aux)} aux values",
              *sorted(emitter.declarations.values()),
              "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)",
              "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)",
              'attributes #0 = { nobuiltin "no-builtins" }']
    return "\n".join([*header, "", *parts, "!0 = !{}", "", _driver(SUM_KERNEL, layout),
                      _driver(ROW_KERNEL, layout)])


@dataclass(frozen=True)
class _Layout:
    """How many parameters, batch inputs and aux values, part functions and slots of their
    frame; and a computed row's stride."""

    params: int
    batch: int
    aux: int
    parts: int = 1
    frame: int = 0

    @property
    def stride(self) -> int:
        """Doubles a row takes in the block's output: value, gradients, aux, rounded up."""
        return _round_up(1 + self.params + self.aux)


def _round_up(n: int) -> int:
    return -(-n // LANES) * LANES


def sums_size(params: int) -> int:
    """How long sum_over_rows's sums must be."""
    return _round_up(1 + params)


Step = tuple[ast.stmt | None, list[int]]  # a statement, and the outputs known after it


def _part_functions(code: KernelCode, body: list[ast.stmt], results: list[ast.expr],
                    emitter: Emitter) -> tuple[list[str], int]:
    """The functions rows_part_0, 1, ... (params, rows, out, frame), each PART statements of
    the body on LANES rows (contiguous) at once, each lane a row, and how many slots of LANES
    doubles their frame takes. Output k (the value, the gradients, the aux values, zeros up to
    the stride) is written to out[k * LANES ...] as soon as it is known, so that it need not
    be kept; a value one part sets and a later part reads goes through its slot of the frame.
    """
    stride = _Layout(len(code.params), len(code.batch), len(code.aux)).stride
    outputs = [*results, *[ast.Constant(0.0)] * (stride - len(results))]
    ready = _ready_after(body, results)
    placed = {k for ks in ready.values() for k in ks}
    first = [k for k in range(len(outputs)) if k not in placed]  # read no name the body sets
    parts: list[list[Step]] = [[(body[i], ready.get(i, []))
                                for i in range(start, min(start + PART, len(body)))]
                               for start in range(0, max(len(body), 1), PART)]
    parts[0].insert(0, (None, first))
    inputs = _Inputs(code)
    local = {*inputs.params, *inputs.batch, *(name for s in body for name in _targets(s))}
    reads = [_free_reads(steps, outputs, local, inputs.reads) for steps in parts]
    last_read = {name: p for p, names in enumerate(reads) for name in names
                 if name not in inputs.params and name not in inputs.batch}
    first_set = {name: p for p, steps in reversed(list(enumerate(parts)))
                 for statement, _ in steps if statement for name in _targets(statement)}
    inputs.slots = _slots(first_set, last_read)
    functions = []
    for p, steps in enumerate(parts):
        emitter.lines, emitter.splats = [], {}
        scope = Scope(emitter, {}, _lookup_globals(code.names.globals), "the kernel's code")
        inputs.block = None
        for statement, ks in steps:
            if statement is not None:
                inputs.bind(statement, scope, local)
                statements([statement], scope)
            for k in ks:
                inputs.bind(outputs[k], scope, local)
                _store(emitter, emitter.widen(expression(outputs[k], scope)), "out", k)
        set_here = {name for statement, _ in steps if statement for name in _targets(statement)}
        for name in sorted(name for name in set_here if last_read.get(name, -1) > p):
            inputs.kinds[name] = scope.env[name].type  # for a later part to read it
            _store(emitter, scope.env[name], "frame", inputs.slots[name])
        functions.append("\n".join([
            f"define internal void @{PART_NAME}{p}(ptr noalias readonly %params, "
            "ptr noalias readonly %rows, ptr noalias %out, ptr noalias %frame) "
            "noinline nounwind {", *emitter.lines, "  ret void", "}", ""]))
    return functions, max(inputs.slots.values(), default=-1) + 1


def _slots(first_set: dict[str, int], last_read: dict[str, int]) -> dict[str, int]:
    """A slot of the frame for each name last_read holds, shared by names whose spans of
    parts, from the first that sets it to the last that reads it, do not overlap (a part reads
    what it reads before it stores what it sets)."""
    slots: dict[str, int] = {}
    free: list[int] = []
    taken: list[tuple[int, int]] = []  # (the last part reading it, slot): a heap
    for name in sorted(last_read, key=lambda name: (first_set[name], name)):
        while taken and taken[0][0] <= first_set[name]:
            heapq.heappush(free, heapq.heappop(taken)[1])
        slots[name] = heapq.heappop(free) if free else len(taken)
        heapq.heappush(taken, (last_read[name], slots[name]))
    return slots


def _free_reads(steps: list[Step], outputs: list[ast.expr], local: set[str],
                reads: Callable[[ast.AST], list[str]]) -> list[str]:
    """The local names the steps read before they set them, in the order first read."""
    set_here: set[str] = set()
    free: dict[str, None] = {}
    for statement, ks in steps:
        if statement is not None:
            free.update((name, None) for name in reads(statement)
                        if name in local and name not in set_here)
            set_here.update(_targets(statement))
        for k in ks:
            free.update((name, None) for name in reads(outputs[k])
                        if name in local and name not in set_here)
    return list(free)


def _store(emitter: Emitter, value: Operand, array: str, slot: int) -> None:
    """value into array's slot (LANES doubles)."""
    at = emitter.emit("ptr", f"getelementptr inbounds double, ptr %{array}, i64 {slot * LANES}")
    emitter.lines.append(f"  store {value.type} {value.ref}, ptr {at.ref}, align 32")


class _Inputs:
    """Where a part finds a name it reads before it sets it: a parameter (which LLVM may load
    again, not keep), one of the row's batch inputs, or the slot of the frame an earlier part
    left it in."""

    def __init__(self, code: KernelCode) -> None:
        self.params = {name: k for k, name in enumerate(code.params)}
        self.batch = {name: j for j, name in enumerate(code.batch)}
        self.slots: dict[str, int] = {}
        self.kinds: dict[str, str] = {}  # each slot's IR type
        self.block: Operand | None = None  # the part's load of its LANES rows
        self._reads: dict[int, list[str]] = {}  # each node's, as _reads gives them

    def reads(self, node: ast.AST) -> list[str]:
        """The names node reads, walked once a node: every node is read twice."""
        names = self._reads.get(id(node))
        if names is None:
            names = self._reads[id(node)] = _reads(node)
        return names

    def bind(self, node: ast.AST, scope: Scope, local: set[str]) -> None:
        """Load the local names node reads that scope does not have yet, as it is lowered."""
        for name in self.reads(node):
            if name in local and name not in scope.env:
                scope.env[name] = self._load(name, scope.emitter)

    def _load(self, name: str, emitter: Emitter) -> Operand:
        if name in self.slots:
            at = emitter.emit("ptr", f"getelementptr inbounds double, ptr %frame, "
                                     f"i64 {self.slots[name] * LANES}")
            kind = self.kinds[name]
            return emitter.emit(kind, f"load {kind}, ptr {at.ref}, align 32")
        if name in self.params:
            at = emitter.emit("ptr", f"getelementptr inbounds double, ptr %params, "
                                     f"i64 {self.params[name]}")
            return emitter.emit(DOUBLE, f"load double, ptr {at.ref}, !invariant.load !0")
        width = LANES * len(self.batch)
        if self.block is None:
            self.block = emitter.emit(f"<{width} x double>",
                                      f"load <{width} x double>, ptr %rows, align 8")
        mask = ", ".join(f"i32 {self.batch[name] + lane * len(self.batch)}"
                         for lane in range(LANES))
        return emitter.emit(VECTOR[DOUBLE], f"shufflevector <{width} x double> "
                                            f"{self.block.ref}, <{width} x double> poison, "
                                            f"<{LANES} x i32> <{mask}>")


def _reads(node: ast.AST) -> list[str]:
    """The names node reads (an augmented assignment's target too)."""
    names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load)]
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        names.append(node.target.id)
    return names


def _ready_after(body: list[ast.stmt], results: list[ast.expr]) -> dict[int, list[int]]:
    """For each statement's index, the results whose names are all set by then (at the last
    statement that sets one); results that read no local name are left out."""
    last: dict[str, int] = {}
    for i, statement in enumerate(body):
        for target in _targets(statement):
            last[target] = i
    ready: dict[int, list[int]] = {}
    for k, node in enumerate(results):
        names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in last]
        if names:
            ready.setdefault(max(last[name] for name in names), []).append(k)
    return ready


def _targets(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AugAssign | ast.AnnAssign) and isinstance(
            statement.target, ast.Name):
        return [statement.target.id]
    return []


def _transpose(emitter: Emitter, vectors: list[str]) -> list[str]:
    """LANES vectors (registers) of LANES lanes as LANES vectors: lane l's of each, in order."""
    kind = VECTOR[DOUBLE]

    def shuffle(a: str, b: str, mask: tuple[int, ...]) -> str:
        picked = ", ".join(f"i32 {m}" for m in mask)
        return emitter.emit(kind, f"shufflevector {kind} {a}, {kind} {b}, "
                                  f"<{LANES} x i32> <{picked}>").ref

    a, b, c, d = vectors  # LANES is 4
    ab_even, ab_odd = shuffle(a, b, (0, 4, 2, 6)), shuffle(a, b, (1, 5, 3, 7))
    cd_even, cd_odd = shuffle(c, d, (0, 4, 2, 6)), shuffle(c, d, (1, 5, 3, 7))
    return [shuffle(ab_even, cd_even, (0, 1, 4, 5)), shuffle(ab_odd, cd_odd, (0, 1, 4, 5)),
            shuffle(ab_even, cd_even, (2, 3, 6, 7)), shuffle(ab_odd, cd_odd, (2, 3, 6, 7))]


def _driver(name: str, layout: _Layout) -> str:
    """The loop over blocks of LANES rows (the last padded with zeros), then, in order, each
    row's outputs summed or stored."""
    stride, width = layout.stride, layout.batch
    padding = max(LANES * width, 1)
    kind = VECTOR[DOUBLE]
    if name == SUM_KERNEL:
        outputs = "ptr noalias %sums"
        emitter = Emitter()  # a loop over the sums, LANES at once: a whole block's rows
        emitter.lines += ["  br label %sum", "sum:",
                          "  %c = phi i64 [ 0, %whole ], [ %c_next, %sum ]",
                          f"  %c_out = mul i64 %c, {LANES}"]
        loaded = []
        for i in range(LANES):
            at = emitter.emit("i64", f"add i64 %c_out, {i * LANES}")
            at = emitter.emit("ptr", f"getelementptr inbounds double, ptr %out, i64 {at.ref}")
            loaded.append(emitter.emit(kind, f"load {kind}, ptr {at.ref}, align 32").ref)
        to = emitter.emit("ptr", "getelementptr inbounds double, ptr %sums, i64 %c")
        total = emitter.emit(kind, f"load {kind}, ptr {to.ref}, align 8").ref
        for lane_outputs in _transpose(emitter, loaded):  # the rows in order
            total = emitter.emit(kind, f"fadd {kind} {total}, {lane_outputs}").ref
        emitter.lines += [f"  store {kind} {total}, ptr {to.ref}, align 8",
                          f"  %c_next = add i64 %c, {LANES}",
                          f"  %more_sums = icmp slt i64 %c_next, {sums_size(layout.params)}",
                          "  br i1 %more_sums, label %sum, label %summed", "summed:"]
        for lane in range(LANES):  # and each row's aux values
            for j in range(layout.aux):
                at = emitter.emit("ptr", f"getelementptr inbounds double, ptr %out, "
                                         f"i64 {(1 + layout.params + j) * LANES + lane}")
                x = emitter.emit(DOUBLE, f"load double, ptr {at.ref}")
                row_index = emitter.emit("i64", f"add i64 %start, {lane}")
                first = emitter.emit("i64", f"mul i64 {row_index.ref}, {layout.aux}")
                index = emitter.emit("i64", f"add i64 {first.ref}, {j}")
                to = emitter.emit("ptr", f"getelementptr inbounds double, ptr %aux, "
                                         f"i64 {index.ref}")
                emitter.lines.append(f"  store double {x.ref}, ptr {to.ref}, align 8")
        whole = emitter.lines
        each = _lane_loop("sums", 1 + layout.params, 0, "0", add=True)
    else:
        outputs = "ptr noalias %values, ptr noalias %gradients"
        whole = []
        each = [*_lane_loop("values", 1, 0, "%row", add=False),
                *(_lane_loop("gradients", layout.params, 1, f"%row_{layout.params}",
                             add=False) if layout.params else [])]
    if layout.aux:  # the rows of a block not whole (and of every block for each_row)
        each += _lane_loop("aux", layout.aux, 1 + layout.params, f"%row_{layout.aux}",
                           add=False)
    return "\n".join([
        f"define void @{name}(ptr noalias readonly %params, ptr noalias readonly %rows, "
        f"i64 %n, {outputs}, ptr noalias %aux) nounwind {{",
        "entry:",
        f"  %out = alloca [{LANES * stride} x double], align 32",
        f"  %pad = alloca [{padding} x double], align 32",
        f"  %frame = alloca [{max(LANES * layout.frame, 1)} x double], align 32",
        "  %any = icmp sgt i64 %n, 0",
        "  br i1 %any, label %block, label %done",
        "block:",
        "  %start = phi i64 [ 0, %entry ], [ %next, %rows_done ]",
        "  %left = sub i64 %n, %start",
        f"  %full = icmp sge i64 %left, {LANES}",
        f"  %offset = mul i64 %start, {width}",
        "  %source = getelementptr inbounds double, ptr %rows, i64 %offset",
        "  br i1 %full, label %run, label %partial",
        "partial:",
        f"  call void @llvm.memset.p0.i64(ptr %pad, i8 0, i64 {padding * 8}, i1 false)",
        f"  %bytes = mul i64 %left, {width * 8}",
        "  call void @llvm.memcpy.p0.p0.i64(ptr %pad, ptr %source, i64 %bytes, i1 false)",
        "  br label %run",
        "run:",
        "  %from = phi ptr [ %source, %block ], [ %pad, %partial ]",
        *(f"  call void @{PART_NAME}{p}(ptr %params, ptr %from, ptr %out, ptr %frame)"
          for p in range(layout.parts)),
        f"  %lanes = select i1 %full, i64 {LANES}, i64 %left",
        "  %fast = and i1 %full, " + ("true" if whole else "false"),
        "  br i1 %fast, label %whole, label %lane",
        "whole:",
        *whole,
        "  br label %rows_done",
        "lane:",
        "  %l = phi i64 [ 0, %run ], [ %l_next, %lane_done ]",
        "  %row = add i64 %start, %l",
        *(f"  %row_{count} = mul i64 %row, {count}"
          for count in sorted({layout.params, layout.aux} - {0})),
        "  br label %lane_0",
        *_chain(each),
        "lane_done:",
        "  %l_next = add i64 %l, 1",
        "  %more_lanes = icmp slt i64 %l_next, %lanes",
        "  br i1 %more_lanes, label %lane, label %rows_done",
        "rows_done:",
        f"  %next = add i64 %start, {LANES}",
        "  %more = icmp slt i64 %next, %n",
        "  br i1 %more, label %block, label %done",
        "done:",
        "  ret void",
        "}", ""])


def _lane_loop(array: str, count: int, first: int, base: str, add: bool) -> list[str]:
    """A loop (as lines, LOOP for its label) over the row's outputs first..first+count-1,
    out[(first + k) * LANES + l], added to or stored in array[base + k]."""
    return [
        "LOOP:",
        "  %LOOP_k = phi i64 [ 0, %LOOP_enter ], [ %LOOP_k_next, %LOOP ]",
        f"  %LOOP_output = add i64 %LOOP_k, {first}",
        f"  %LOOP_scaled = mul i64 %LOOP_output, {LANES}",
        "  %LOOP_lane = add i64 %LOOP_scaled, %l",
        "  %LOOP_from = getelementptr inbounds double, ptr %out, i64 %LOOP_lane",
        "  %LOOP_x = load double, ptr %LOOP_from",
        f"  %LOOP_at = add i64 {base}, %LOOP_k",
        f"  %LOOP_to = getelementptr inbounds double, ptr %{array}, i64 %LOOP_at",
        *(["  %LOOP_old = load double, ptr %LOOP_to",
           "  %LOOP_new = fadd double %LOOP_old, %LOOP_x",
           "  store double %LOOP_new, ptr %LOOP_to"] if add else
          ["  store double %LOOP_x, ptr %LOOP_to"]),
        "  %LOOP_k_next = add i64 %LOOP_k, 1",
        f"  %LOOP_more = icmp slt i64 %LOOP_k_next, {count}",
        "  br i1 %LOOP_more, label %LOOP, label %LOOP_exit",
    ]


def _chain(loops: list[str]) -> list[str]:
    """The lane loops one after another: lane_0, lane_1, ..., then lane_done."""
    starts = [i for i, line in enumerate(loops) if line == "LOOP:"]
    chained: list[str] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(loops)
        label = f"lane_{n}"
        enter = "lane" if n == 0 else f"lane_{n - 1}"
        exit_ = f"lane_{n + 1}" if n + 1 < len(starts) else "lane_done"
        for line in loops[start:end]:
            chained.append(line.replace("%LOOP_enter", f"%{enter}")
                           .replace("%LOOP_exit", f"%{exit_}")
                           .replace("LOOP", label))
    return chained


def _lookup_globals(names: dict[str, Any]) -> Callable[[str], object]:
    def lookup(name: str) -> object:
        if name not in names:
            raise LoweringError(f"cannot compile the kernel to machine code: {name} is unbound")
        return names[name]

    return lookup
