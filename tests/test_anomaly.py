"""detect_anomaly(): the first nan or inf, forward or backward, names its op, inputs and place."""

from __future__ import annotations

import importlib.util
import inspect
import math
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import nn
from autograd import Value, detect_anomaly, grad, no_grad, skip_frames_from
from autograd.engine import anomaly


def here() -> str:
    """'this_file.py:N' for the line after the caller's."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return f"{__file__}:{frame.f_back.f_lineno + 1}"


def test_off_by_default_nan_and_inf_flow_silently() -> None:
    x = Value(0.0, label="x")
    y = x.log()
    y.backward()
    assert (y.data, x.grad) == (-math.inf, math.inf)


def test_forward_names_the_op_its_inputs_and_where() -> None:
    x = Value(0.0, label="x")
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        where = here()
        (x * 2.0).log()
    message = str(caught.value)
    assert message.startswith("log(0.0) gave -inf")
    assert f"made at {where} (in test_forward_names_the_op_its_inputs_and_where)" in message


def test_forward_names_labelled_inputs_and_params() -> None:
    x = Value(0.0, label="x")
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"pow\(x=0.0, exponent=-1.0\)"
                                         r" gave inf"):
        x**-1


def test_backward_names_the_node_its_label_inputs_and_where() -> None:
    x = Value(0.0, label="x")
    with detect_anomaly():
        where = here()
        root = x.sqrt()
        root.label = "root"
        loss = root * 3.0
        with pytest.raises(FloatingPointError) as caught:
            loss.backward()
    message = str(caught.value)
    assert message.startswith("backward through sqrt(x=0.0) gave the gradient inf for its "
                              "input 0 'x' (the gradient arriving at the node: 3.0)")
    assert f"the node 'root' was made at {where}" in message


def test_backward_of_a_graph_made_outside_says_where_is_unknown() -> None:
    x = Value(-1.0)
    y = x.log() * 0.0  # nan * 0 is nan, so the forward already made a nan
    with detect_anomaly(), pytest.raises(FloatingPointError,
                                         match=r"made outside detect_anomaly\(\)"):
        y.backward()


def test_grad_is_checked_with_and_without_a_graph() -> None:
    with detect_anomaly():
        x = Value(0.0, label="x")
        y = x.sqrt()
        with pytest.raises(FloatingPointError, match=r"backward through sqrt\(x=0.0\)"):
            grad(y, [x])
        with pytest.raises(FloatingPointError, match=r"backward through sqrt\(x=0.0\) gave a "
                                                     r"non-finite gradient \(div\(0.5"):
            grad(y, [x], create_graph=True)


def test_finite_work_is_unchanged_inside() -> None:
    def run() -> tuple[float, float, float]:
        x = Value(0.7)
        y = (x * x).tanh().exp() / (1.0 + x)
        y.backward()
        (dx,) = grad(y, [x], create_graph=True)
        return y.data, x.grad, grad(dx, [x])[0]

    outside = run()
    with detect_anomaly():
        assert run() == outside


def test_no_grad_inside_still_checks_values() -> None:
    with detect_anomaly(), no_grad(), pytest.raises(FloatingPointError, match="gave inf"):
        Value(1000.0).exp()


def test_the_mode_ends_with_its_context_even_after_an_error() -> None:
    with pytest.raises(FloatingPointError), detect_anomaly():
        Value(-1.0).sqrt()
    assert math.isnan(Value(-1.0).sqrt().data)


def test_nodes_made_outside_the_mode_carry_nothing() -> None:
    inside_made = []
    with detect_anomaly():
        inside_made.append(Value(1.0) * 2.0)
    outside = Value(1.0) * 2.0
    assert outside._info is None  # the fast path: no look-up, nothing recorded
    assert inside_made[0]._info is not None and __file__ in inside_made[0]._info.origin


def test_the_mode_is_per_thread() -> None:
    inside = threading.Event()
    done = threading.Event()
    made: list[float] = []

    def other_thread() -> None:
        inside.wait()
        made.append(Value(0.0).log().data)  # no error: this thread is not in the mode
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with detect_anomaly():
        inside.set()
        done.wait()
        with pytest.raises(FloatingPointError):
            Value(0.0).log()
    worker.join()
    assert made == [-math.inf]


def test_an_nn_model_is_reported_at_the_users_line() -> None:
    model = nn.MLP(1, [1], activation="relu", seed=0)
    nn.init.set_weights(model, [[[1e308]]], [[1e308]])
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        where = here()
        model([Value(10.0)])
    assert f"gave inf in the node made at {where} (in test_an_nn_model" in str(caught.value)


def load_function(path: Path, source: str) -> Callable[[Value], Value]:
    """The function `made` defined by source, written to path and imported from there."""
    path.parent.mkdir()
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"helper_{path.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made: Callable[[Value], Value] = module.made
    return made


def test_a_library_skips_its_own_folder_and_only_it(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anomaly, "_skipped", anomaly._skipped)  # undone after the test
    inside = load_function(tmp_path / "lib" / "helper.py", "def made(x):\n    return x.log()\n")
    beside = load_function(tmp_path / "lib_x" / "helper.py", "def made(x):\n    return x.log()\n")
    skip_frames_from(tmp_path / "lib")
    with detect_anomaly():
        with pytest.raises(FloatingPointError) as caught:
            where = here()
            inside(Value(0.0))
        assert f"made at {where} (in test_a_library" in str(caught.value)
        with pytest.raises(FloatingPointError) as caught:
            beside(Value(0.0))
        assert f"made at {tmp_path / 'lib_x' / 'helper.py'}:2 (in made)" in str(caught.value)


def test_skip_frames_from_takes_a_path() -> None:
    with pytest.raises(TypeError, match="takes a folder's path, got int"):
        skip_frames_from(3)  # type: ignore[arg-type]
