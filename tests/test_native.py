"""The native backend: every op of the table as machine code, bit for bit as eager; its cache."""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_kernels import run_case, same

import autograd
from autograd import OPS, Op, Value, define_op, sigmoid
from autograd.codegen import native, native_cache, native_identity, native_kernel
from autograd.codegen.native_lowering import LoweringError
from autograd.engine import ops
from autograd.testing import Block, Program, op_with_inputs, programs

pytest.importorskip("llvmlite", reason="llvmlite is not installed (chainrule[native])")
pytest.importorskip("numpy", reason="numpy is not installed (chainrule[native])")

INF, NAN = math.inf, math.nan
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, INF, -INF, NAN, 1e308, -5e-324, 710.0, -745.5]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "chainrule"


def op_kernel(op: Op, backend: str = "native") -> autograd.BatchStep:
    """op on p_i * x_i: p the parameters, x each row's numbers."""
    params = [Value(1.0) for _ in range(op.arity)]
    xs = [Value(0.5) for _ in range(op.arity)]
    out = op(*(p * x for p, x in zip(params, xs, strict=True)))
    return autograd.compile(out, params, batch_inputs=xs, backend=backend)


def eager_rows(op: Op, rows: list[list[float]]) -> Iterator[tuple[float, list[float]]]:
    for row in rows:
        params = [Value(1.0) for _ in range(op.arity)]
        out = op(*(p * x for p, x in zip(params, row, strict=True)))
        out.backward()
        yield out.data, [p.grad for p in params]


def assert_native_is_eager(op: Op, rows: list[list[float]]) -> None:
    values, grads = op_kernel(op)([1.0] * op.arity, rows, per_sample=True)
    for k, (value, row_grads) in enumerate(eager_rows(op, rows)):
        assert same(float(values[k]), value), (op.name, rows[k], float(values[k]), value)
        for got, expected in zip(grads[k], row_grads, strict=True):
            assert same(float(got), expected), (op.name, rows[k], float(got), expected)


# ops that native code refuses, and why: math.hypot is CPython's own algorithm, not the C
# library's hypot, whose last bit differs on some inputs
REFUSED = {"hypot": "it calls hypot, which has no machine-code form"}
LOWERED = sorted(set(OPS) - set(REFUSED))


def test_an_op_without_the_same_bits_in_machine_code_is_refused(table: None) -> None:
    defined = define_op("hypot_native", lambda a, b: math.hypot(a, b), lambda a, b, out: (a, b))
    for op in [defined, *(OPS[name] for name in sorted(set(OPS) & set(REFUSED)))]:
        with pytest.raises(LoweringError, match=REFUSED["hypot"]):
            op_kernel(op)


@pytest.mark.parametrize("name", LOWERED)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_op_is_eager_bit_for_bit_inside_its_domains(name: str, data: st.DataObject) -> None:
    op, inputs = data.draw(op_with_inputs(OPS[name]))
    more = [data.draw(op_with_inputs(op))[1] for _ in range(3)]
    assert_native_is_eager(op, [list(inputs), *map(list, more)])


PARAMS = [-1.0, 0.0, 0.5, 2.0, 3.0]  # each param at those of these inside its domain


@pytest.mark.parametrize("name", LOWERED)
def test_every_op_is_eager_bit_for_bit_at_zeros_infinities_and_nan(name: str) -> None:
    op = OPS[name]
    rows = [list(row) for row in itertools.product(SPECIAL, repeat=op.arity)]
    choices = [[(key, v) for v in PARAMS if domain.low <= v <= domain.high]
               for key, domain in op.param_domains]
    for params in itertools.product(*choices):
        assert_native_is_eager(op.bind(**dict(params)) if params else op, rows)


def table_blocks() -> dict[str, Block]:
    """Every op the native backend lowers, as a block of random programs (params at the middle
    of their domains): inputs leave the domains too, giving inf and nan, bit for bit."""
    blocks: dict[str, Block] = {}
    for name in LOWERED:
        op = OPS[name]
        params = {key: (d.low + d.high) / 2 for key, d in op.param_domains}
        blocks[name] = (op.arity, op.bind(**params) if params else op)
    return blocks


def random_case(data: st.DataObject) -> tuple[Program, int, list[list[float]]]:
    """A random graph of the table's ops, how many of its leaves are parameters, and rows."""
    program = data.draw(programs(max_leaves=4, max_steps=12, blocks=table_blocks()))
    n_params = data.draw(st.integers(0, len(program.leaves)))
    width = len(program.leaves) - n_params
    rows = data.draw(st.lists(st.lists(st.floats(-3.0, 3.0), min_size=width, max_size=width),
                              max_size=9))
    return program, n_params, rows


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_graphs_of_every_op_are_eager_bit_for_bit(data: st.DataObject) -> None:
    run_case(*random_case(data), backend="native")


@settings(max_examples=30, deadline=None)
@given(data=st.data(), part=st.integers(1, 3))
def test_a_kernel_cut_into_functions_of_a_few_statements_is_eager_bit_for_bit(
        data: st.DataObject, part: int) -> None:
    with mock.patch.object(native_kernel, "PART", part):
        run_case(*random_case(data), backend="native")


def softplus_forward(x: float) -> float:
    """log(1 + e^x), without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def test_a_defined_op_runs_as_machine_code(table: None) -> None:
    softplus = define_op("softplus_native", softplus_forward, lambda x, out: (sigmoid(x),))
    assert_native_is_eager(softplus, [[x] for x in SPECIAL])
    scaled = define_op("scaled_native", lambda a, b: a * b if a > b else math.atan2(a, b),
                       lambda a, b, out: (b, a))
    assert_native_is_eager(scaled, [list(row) for row in itertools.product(SPECIAL, repeat=2)])


def test_an_op_that_cannot_be_lowered_says_which_and_why(table: None) -> None:
    def wrapped(x: float) -> float:
        return x % 1.0

    op = define_op("fractional_native", wrapped, lambda x, out: (1.0,))
    assert op_kernel(op, backend="python")([1.0], [[2.5]])[0] == 0.5
    with pytest.raises(LoweringError, match=r"cannot compile test_an_op_that_cannot_be_lowered"
                                            r".*wrapped .*line \d+ to machine code: the "
                                            r"operator Mod \(backend='python' runs any op\)"):
        op_kernel(op)


def demo() -> tuple[Value, list[Value], list[Value]]:
    w, b = [Value(0.5), Value(-0.25)], Value(0.125)
    x = [Value(1.0), Value(2.0)]
    out = (w[0] * x[0] + w[1] * x[1] + b).tanh()
    return out, [*w, b], x


def compile_demo() -> Any:
    out, params, batch = demo()
    return autograd.compile(out, params, batch_inputs=batch, backend="native")


def test_a_second_compile_loads_the_machine_code_from_the_cache(private_cache: Path) -> None:
    first = compile_demo()
    assert not first._run.from_cache
    assert stat_mode(private_cache) == 0o700
    entries = list(private_cache.iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".o"
    second = compile_demo()
    assert second._run.from_cache
    rows = [[1.0, 2.0], [-3.0, 0.5]]
    assert [float(v) for v in first([0.5, -0.25, 0.125], rows)[1]] == [
        float(v) for v in second([0.5, -0.25, 0.125], rows)[1]]


def test_a_kernel_of_autograd_s_ops_loads_from_the_cache_without_making_its_ir(
        monkeypatch: pytest.MonkeyPatch) -> None:
    first = compile_demo()
    ir = first.source
    assert "define void @sum_over_rows" in ir

    def no_ir(code: object) -> str:
        raise AssertionError("the IR was made")

    monkeypatch.setattr(native, "kernel_module", no_ir)
    second = compile_demo()
    assert second._run.from_cache
    rows = [[1.0, 2.0], [-3.0, 0.5]]
    assert float(second([0.5, -0.25, 0.125], rows)[0]) == float(
        first([0.5, -0.25, 0.125], rows)[0])
    monkeypatch.undo()
    assert second.source == ir  # made when asked for


def test_a_defined_op_s_kernel_is_cached_by_its_ir_so_a_changed_op_is_compiled_again(
        table: None) -> None:
    def scaling(k: float) -> Op:
        return define_op("shifted_cache", lambda x: x + k, lambda x, out: (1.0,))

    results = []
    for k in (2.0, 3.0, 2.0):  # the same name and Python kernel, another forward each time
        step = op_kernel(scaling(k))
        results.append((float(step([1.0], [[1.5]])[0]), step._run.from_cache))
    assert len({op_kernel(scaling(k)).source for k in (2.0, 3.0)}) == 2
    assert results == [(3.5, False), (4.5, False), (3.5, True)]
    built_in = [(OPS[name].bind(**{key: (d.low + d.high) / 2 for key, d in OPS[name].param_domains})
                 if OPS[name].param_domains else OPS[name], True) for name in LOWERED]
    for op, ours in (*built_in, (scaling(2.0), False)):  # known without the IR?
        step = op_kernel(op)
        known = native_identity.source_identity(step._run._code, step._python_source)
        assert (known is not None) == ours, op.name


def test_a_patched_function_the_kernel_inlines_is_compiled_again_never_loaded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def kernel() -> autograd.BatchStep:
        p, x = Value(1.0), Value(0.5)
        return autograd.compile(autograd.softplus(p * x), [p], batch_inputs=[x],
                                backend="native")

    def doubled(x: float) -> float:
        return 2.0 * x

    def tripled(x: float) -> float:
        return 3.0 * x

    assert not kernel()._run.from_cache and kernel()._run.from_cache
    # softplus inlines ops._exp, which calls math.exp
    for target, name, patched, factor in ((ops, "_exp", doubled, 2.0),
                                          (math, "exp", tripled, 3.0)):
        with monkeypatch.context() as patch:
            patch.setattr(target, name, patched)
            step = kernel()
            assert not step._run.from_cache, name
            assert float(step([1.0], [[0.5]])[0]) == math.log1p(factor * 0.5)
    assert kernel()._run.from_cache


def stat_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("damage", ["truncated", "flipped", "foreign"])
def test_a_corrupt_or_foreign_entry_is_compiled_again_never_loaded(
        private_cache: Path, damage: str) -> None:
    compile_demo()
    (entry,) = private_cache.iterdir()
    data = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(data[:len(data) // 2])
    elif damage == "flipped":  # one bit of the object code
        entry.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    else:  # another entry's header and code under this name
        other = data.replace(entry.stem.encode(), b"0" * 64)
        entry.write_bytes(other)
    again = compile_demo()
    assert not again._run.from_cache
    assert entry.read_bytes() == data  # replaced by a good entry
    assert compile_demo()._run.from_cache


@pytest.mark.skipif(os.name != "posix", reason="symlinks need privileges on Windows")
def test_an_entry_that_is_a_symlink_is_not_read_and_replaced_not_written_through(
        private_cache: Path, tmp_path: Path) -> None:
    compile_demo()
    (entry,) = private_cache.iterdir()
    good = entry.read_bytes()
    victim = tmp_path / "victim"
    for planted in (good, b"the victim's own bytes"):  # a good entry's bytes are not loaded
        victim.write_bytes(planted)
        entry.unlink()
        entry.symlink_to(victim)
        again = compile_demo()
        assert not again._run.from_cache
        assert victim.read_bytes() == planted
        assert not entry.is_symlink() and entry.read_bytes() == good
    assert compile_demo()._run.from_cache


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_folder_others_may_write_or_own_is_not_used(private_cache: Path) -> None:
    private_cache.mkdir(parents=True)
    private_cache.chmod(0o777)
    with pytest.warns(UserWarning, match=r"not cached: .* may be written by others \(mode 777\)"):
        step = compile_demo()
    assert not step._run.from_cache and list(private_cache.iterdir()) == []
    if os.getuid() == 0:  # root can give the folder away
        private_cache.chmod(0o700)
        os.chown(private_cache, 12345, -1)
        with pytest.warns(UserWarning, match=r"belongs to another user \(uid 12345\)"):
            compile_demo()


def test_a_cache_entry_that_cannot_be_written_is_only_warned_of(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(path: object, content: bytes, **options: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(native_cache, "write_atomically", full_disk)
    with pytest.warns(UserWarning, match="a compiled kernel was not cached: .*No space left"):
        step = compile_demo()
    assert float(step([0.5, -0.25, 0.125], [[1.0, 2.0]])[0]) == math.tanh(0.5 - 0.5 + 0.125)


def test_without_llvmlite_the_native_backend_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    native_cache._llvm.cache_clear()
    monkeypatch.setitem(sys.modules, "llvmlite", None)
    monkeypatch.setitem(sys.modules, "llvmlite.binding", None)
    try:
        with pytest.raises(ImportError, match=r'backend="native" needs llvmlite and numpy: '
                                              r'pip install "chainrule\[native\]"'):
            compile_demo()
    finally:
        native_cache._llvm.cache_clear()
