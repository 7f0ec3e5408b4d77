"""nn.save / nn.load: JSON round trips, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import json
import math
import os
import random
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn


@pytest.mark.parametrize("model", [
    nn.MLP(2, [16, 16, 1], activation="relu", seed=0),
    nn.MLP(3, [2, 4], activation="sigmoid", output_activation="tanh", bias=False, seed=1),
    nn.Layer(2, 3, activation="leaky_relu", seed=2),
    nn.Neuron(4, activation="linear", seed=3),
], ids=["MLP", "MLP-no-bias", "Layer", "Neuron"])
def test_round_trip_keeps_architecture_and_exact_weights(model: nn.Module, tmp_path: Path) -> None:
    path = nn.save(model, tmp_path / "model.json")
    loaded = nn.load(path)
    assert type(loaded) is type(model)
    assert loaded.config() == model.config()
    assert loaded.state_dict() == model.state_dict()  # bit for bit: JSON keeps repr(float)
    x = [0.3, -1.2, 0.7, 2.0][:model.config()["nin"]]
    out, again = model(x), loaded(x)
    assert str(out) == str(again)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=9, max_size=9))
def test_any_finite_weights_survive_a_round_trip(values: list[float]) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    model.load_state_dict(dict(zip(model.state_dict(), values, strict=True)))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"nn-roundtrip-{os.getpid()}.json"
    try:
        assert nn.load(nn.save(model, path)).state_dict() == model.state_dict()
    finally:
        path.unlink(missing_ok=True)


def test_a_byte_order_mark_before_the_json_is_skipped(tmp_path: Path) -> None:
    path = nn.save(nn.Neuron(2, seed=0), tmp_path / "n.json")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert nn.load(path).state_dict() == nn.Neuron(2, seed=0).state_dict()
    path.write_bytes(b"\xef\xbb\xbf{\xff}")
    with pytest.raises(ValueError, match=re.escape("not UTF-8 text (invalid start byte at byte 5")):
        nn.load(path)


def test_the_file_is_readable_json_naming_its_format(tmp_path: Path) -> None:
    path = nn.save(nn.Neuron(2, seed=0), tmp_path / "n.json")
    document = json.loads(path.read_text())
    assert document["format"] == "chainrule.nn"
    assert document["module"] == "Neuron"
    assert document["config"] == {"nin": 2, "activation": "relu", "bias": True}
    assert list(document["state"]) == ["w.0", "w.1", "b"]


def test_saving_replaces_atomically_and_a_failed_write_keeps_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    nn.save(nn.MLP(2, [3, 1], seed=0), path)
    old = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left


def test_saved_files_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = nn.save(nn.Neuron(1, seed=0), tmp_path / "n.json")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_non_finite_weight_cannot_be_saved(tmp_path: Path) -> None:
    model = nn.Neuron(1, seed=0)
    model.w[0].data = float("nan")
    with pytest.raises(ValueError, match=r"cannot save a non-finite parameter: w\.0 = nan"):
        nn.save(model, tmp_path / "n.json")
    assert not (tmp_path / "n.json").exists()


def good_document() -> dict[str, object]:
    model = nn.MLP(2, [2, 1], seed=0)
    return {"format": "chainrule.nn", "version": 1, "module": "MLP", "config": model.config(),
            "state": model.state_dict()}


def with_change(key: str, value: object) -> str:
    document = good_document()
    document[key] = value
    return json.dumps(document)


def without(key: str) -> str:
    document = good_document()
    del document[key]
    return json.dumps(document)


def with_config(**config: object) -> str:
    return with_change("config", config)


def with_state_change(name: str, value: object) -> str:
    document = good_document()
    state = dict(document["state"])  # type: ignore[call-overload]
    if value is None:
        del state[name]
    else:
        state[name] = value
    document["state"] = state
    return json.dumps(document)


LONG = 100_000  # characters of a bad value: an error message quotes only a few of them
BAD_FILES = {
    "truncated": (json.dumps(good_document())[:-25], "not valid JSON, perhaps truncated"),
    "empty": ("", "not valid JSON"),
    "binary": ("\x00\xff\xfe garbage", "not UTF-8 text (invalid start byte at byte 2)"),
    "UTF-16": (json.dumps(good_document()).encode("utf-16").decode("latin-1"), "not UTF-8"),
    "not an object": ("[1, 2, 3]", 'no "format": "chainrule.nn" entry'),
    "other format": (with_change("format", "keras"), 'no "format": "chainrule.nn" entry'),
    "newer version": (with_change("version", 2), "version 2 is not the supported 1"),
    "no state": (without("state"), "missing 'state'"),
    "unknown module": (with_change("module", "Conv2d"), "unknown module 'Conv2d'"),
    "bad config": (with_change("config", {"nin": 2, "nouts": [2, 1], "activation": "swish"}),
                   "unknown activation 'swish'"),
    "unknown config key": (with_change("config", {"nin": 2, "nouts": [1], "depth": 3}),
                           "the config does not fit MLP"),
    "config not an object": (with_change("config", [2, [1]]), '"config" must be an object'),
    "bias not a bool": (with_change("config", {"nin": 2, "nouts": [2, 1], "bias": "yes"}),
                        "bias must be True or False, got 'yes'"),
    "missing weight": (with_state_change("layers.1.neurons.0.b", None),
                       "the config asks for 9 parameters, the state holds 8"),
    "extra weight": (with_state_change("layers.2.neurons.0.b", 1.0),
                     "unexpected layers.2.neurons.0.b"),
    "weight not a number": (with_state_change("layers.0.neurons.0.w.0", "0.5"),
                            "layers.0.neurons.0.w.0 must be a number"),
    "NaN weight": (with_state_change("layers.0.neurons.0.w.0", float("nan")), "holds NaN"),
    "huge weight": (json.dumps(good_document()).replace(": 0.", ": 1e999", 1), "holds 1e999"),
    "mismatched architecture": (json.dumps({**good_document(), "config": nn.MLP(
        2, [3, 1]).config()}), "the config asks for 13 parameters, the state holds 9"),
    "same count, other names": (json.dumps({**good_document(), "config": nn.MLP(
        2, [2, 1], bias=False).config() | {"nouts": [3]}}), "missing layers.0.neurons.2.w.0"),
    "huge size": (with_change("config", {"nin": 10**9, "nouts": [1]}),
                  "asks for 1,000,000,001 parameters, more than the limit of 1,000,000"),
    # 116 bytes that asked for 10**10 weights: every size is checked whatever the state holds
    "huge size, state a list": ('{"format": "chainrule.nn", "version": 1, "module": "MLP", '
                                '"config": {"nin": 100000, "nouts": [100000]}, "state": []}',
                                "asks for 10,000,100,000 parameters, more than the limit of"),
    "huge Layer": (json.dumps({"format": "chainrule.nn", "version": 1, "module": "Layer",
                               "config": {"nin": 10**5, "nout": 10**5}, "state": None}),
                   "asks for 10,000,100,000 parameters"),
    "astronomic size": (with_config(nin=10**300, nouts=[10**300, 1]), "asks for about 10^600"),
    "many layers": (with_config(nin=1, nouts=[1] * 600_000), "asks for 1,200,000 parameters"),
    "state a list": (with_change("state", [0.5] * 9), '"state" must be an object'),
    "version 1.0": (with_change("version", 1.0), "version 1.0 is not the supported 1"),
    "version true": (with_change("version", True), "version True is not the supported 1"),
    "long version": (with_change("version", "v" * LONG), "version 'vvvv"),
    "long module": (with_change("module", "M" * LONG), "unknown module 'MMMM"),
    "long config key": (with_config(nin=2, nouts=[1], **{"k" * LONG: 1}),
                        "the config does not fit MLP: unknown key 'kkkk"),
    "seed in config": (with_config(nin=2, nouts=[2, 1], seed=3),
                       "the config does not fit MLP: unknown key 'seed'"),
    "no nin": (with_config(nouts=[2, 1]), "nin must be a positive int, got None"),
    "Layer without nout": (json.dumps({**good_document(), "module": "Layer",
                                       "config": {"nin": 2}}), "nout must be a positive int"),
    "long activation": (with_config(nin=2, nouts=[2, 1], activation="a" * LONG),
                        "unknown activation 'aaaa"),
    "long bias": (with_config(nin=2, nouts=[2, 1], bias="b" * LONG),
                  "bias must be True or False, got 'bbbb"),
    "long nouts": (with_config(nin=2, nouts="n" * LONG), "nouts must be a non-empty list"),
    "long size": (with_config(nin="n" * LONG, nouts=[1]), "nin must be a positive int"),
    "nouts a long object": (with_config(nin=2, nouts={"n" * LONG: 1}),
                            "nouts must be a non-empty list of layer sizes, got {'nnnn"),
    "long weight name": (with_state_change("w" * LONG, 1.0), "unexpected wwww"),
    "duplicate key": ('{"format": "chainrule.nn", "format": "keras"}',
                      "it holds the key 'format' twice"),
    "duplicate weight": (json.dumps(good_document())[:-2] + ', "layers.1.neurons.0.b": 0.5}}',
                         "it holds the key 'layers.1.neurons.0.b' twice"),
    "5000-digit number": (with_change("version", 0).replace('"version": 0', '"version": 1'
                                                            + "0" * 4999),
                          "it holds an integer of 5,000 digits, too large for a float"),
    "deeply nested": ("[" * 100_000 + "]" * 100_000, "its JSON is nested too deeply"),
    "not UTF-8": ('{"format": "chainrule.nn\udcff"}', "not UTF-8 text"),
    "huge integer weight": (with_state_change("layers.0.neurons.0.w.0", 10**400),
                            "it holds an integer of 401 digits, too large for a float"),
    "nouts not a list": (with_change("config", {"nin": 2, "nouts": 3}),
                         "nouts must be a non-empty list"),
    "frozen not a list": (with_change("frozen", "layers.0"),
                          "\"frozen\" must be a list of the model's parameter names, got "
                          "'layers.0'"),
    "frozen unknown name": (with_change("frozen", ["layers.9.neurons.0.w.0"]),
                            "\"frozen\" must be a list of the model's parameter names"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_a_value_error_saying_what_is_wrong(name: str, tmp_path: Path) -> None:
    content, message = BAD_FILES[name]
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode("latin-1") if name in ("binary", "UTF-16")
                     else content.encode(errors="surrogateescape"))
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        nn.load(path)
    assert str(caught.value).startswith(f"{path} ")
    assert len(str(caught.value)) < len(str(path)) + 400  # a bad value is quoted in part


def test_the_limit_on_parameters_can_be_raised(tmp_path: Path) -> None:
    path = nn.save(nn.MLP(2, [2, 1], seed=0), tmp_path / "model.json")
    with pytest.raises(ValueError, match=re.escape(
            "the config asks for 9 parameters, more than the limit of 8 "
            "(load(path, max_parameters=...) reads larger models)")):
        nn.load(path, max_parameters=8)
    assert nn.load(path, max_parameters=9).state_dict() == nn.load(path).state_dict()


def test_a_file_larger_than_the_limit_allows_is_not_read_to_its_end(tmp_path: Path) -> None:
    path = nn.save(nn.MLP(2, [2, 1], seed=0), tmp_path / "model.json")
    with path.open("ab") as file:
        file.write(b" " * 10_000)  # still valid JSON, as a disk of blanks would be
    with pytest.raises(ValueError, match=re.escape(
            f"{path} is larger than a model of at most 9 parameters takes (")):
        nn.load(path, max_parameters=9)
    assert nn.load(path, max_parameters=100).config() == nn.MLP(2, [2, 1]).config()


def test_loading_a_small_model_allocates_little_whatever_the_limit(tmp_path: Path) -> None:
    path = nn.save(nn.MLP(2, [2, 1], seed=0), tmp_path / "model.json")
    tracemalloc.start()
    try:
        nn.load(path, max_parameters=10_000_000)  # a limit of 2.5 GB of file
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000, f"loading a file of {path.stat().st_size} bytes took {peak:,}"


def test_a_file_that_grows_while_it_is_read_is_read_to_its_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = nn.save(nn.MLP(2, [2, 1], seed=0), tmp_path / "model.json")
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result(
        (*real_fstat(fd)[:6], 10, *real_fstat(fd)[7:])))  # it held 10 bytes when opened
    assert nn.load(path).state_dict() == nn.MLP(2, [2, 1], seed=0).state_dict()


def test_a_directory_is_not_a_saved_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path} is a directory, not a model")):
        nn.load(tmp_path)


def test_a_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.json")


def test_only_modules_can_be_saved(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="save\\(\\) writes a Neuron, Layer or MLP, got dict"):
        nn.save({"w": 1.0}, tmp_path / "x.json")  # type: ignore[arg-type]


# --- checkpoints: the optimizer's and scheduler's state beside the model ---

X, Y = nn.data.moons(24, noise=0.2, seed=5)
RESUMABLE: dict[str, Callable[[nn.MLP], tuple[nn.optim.Optimizer, nn.schedulers.Scheduler]]] = {
    "SGD momentum, StepLR": lambda model: (
        o := nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True),
        nn.schedulers.StepLR(o, step_size=2, gamma=0.5)),
    "Adam, CosineAnnealingLR": lambda model: (
        o := nn.optim.Adam(model.parameters(), lr=0.05),
        nn.schedulers.CosineAnnealingLR(o, T_max=4, eta_min=0.001)),
}


def train(model: nn.MLP, optimizer: nn.optim.Optimizer, scheduler: nn.schedulers.Scheduler,
          epochs: int, rng: random.Random) -> list[float]:
    return nn.fit(model, X, Y, loss="hinge", optimizer=optimizer, scheduler=scheduler,
                  epochs=epochs, batch_size=5, seed=rng, progress=False)["loss"]


@pytest.mark.parametrize("kind", sorted(RESUMABLE))
def test_training_resumed_from_a_checkpoint_has_the_same_history(kind: str,
                                                                  tmp_path: Path) -> None:
    model = nn.MLP(2, [6, 6, 1], activation="tanh", seed=0)
    uninterrupted = train(model, *RESUMABLE[kind](model), epochs=6, rng=random.Random(1))

    first = nn.MLP(2, [6, 6, 1], activation="tanh", seed=0)
    optimizer, scheduler = RESUMABLE[kind](first)
    rng = random.Random(1)  # the data order is the caller's to carry on
    history = train(first, optimizer, scheduler, epochs=3, rng=rng)
    path = nn.save(first, tmp_path / "checkpoint.json", optimizer=optimizer, scheduler=scheduler)

    resumed = nn.load(path)
    assert isinstance(resumed, nn.MLP)
    optimizer, scheduler = RESUMABLE[kind](resumed)
    optimizer.lr = 99.0  # the checkpoint's lr wins
    nn.load_training_state(path, optimizer, scheduler)
    history += train(resumed, optimizer, scheduler, epochs=3, rng=rng)
    assert history == uninterrupted  # exactly, not only to within 1e-12
    assert resumed.state_dict() == model.state_dict()


def test_a_model_saved_without_training_state_says_so(tmp_path: Path) -> None:
    model = nn.MLP(2, [1], seed=0)
    path = nn.save(model, tmp_path / "m.json")
    with pytest.raises(ValueError, match="holds no optimizer state: save it with"):
        nn.load_training_state(path, nn.optim.SGD(model.parameters(), lr=0.1))
    nn.save(model, path, optimizer=nn.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="the optimizer state does not fit: the state of 'SGD' "
                                         "cannot be loaded into Adam"):
        nn.load_training_state(path, nn.optim.Adam(model.parameters()))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="holds no scheduler state"):
        nn.load_training_state(path, optimizer, nn.schedulers.ExponentialLR(optimizer, 0.5))


def test_a_non_finite_optimizer_state_cannot_be_saved(tmp_path: Path) -> None:
    model = nn.Neuron(1, seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    optimizer.buffers[0] = math.inf
    with pytest.raises(ValueError, match="cannot save a non-finite number"):
        nn.save(model, tmp_path / "n.json", optimizer=optimizer)
    assert not (tmp_path / "n.json").exists()


def test_frozen_parameters_stay_frozen_through_a_save_and_a_load(tmp_path: Path) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    model.layers[0].requires_grad_(False)
    path = nn.save(model, tmp_path / "frozen.json")
    assert json.loads(path.read_text())["frozen"] == [
        name for name, _ in model.named_parameters() if name.startswith("layers.0.")]
    loaded = nn.load(path)
    assert [p.requires_grad for p in loaded.parameters()] == [False] * 6 + [True] * 3
    assert "frozen" not in json.loads(nn.save(nn.MLP(2, [1], seed=0), path).read_text())


def test_dropout_is_saved_with_the_architecture(tmp_path: Path) -> None:
    model = nn.MLP(2, [3, 3, 1], dropout=0.25, seed=0)
    loaded = nn.load(nn.save(model, tmp_path / "d.json"))
    assert isinstance(loaded, nn.MLP)
    assert loaded.config() == model.config()
    assert [name for name, _ in loaded.named_modules()] == [
        name for name, _ in model.named_modules()]


@pytest.mark.parametrize("bias", ["no", 0, None])
def test_a_bias_that_is_not_true_or_false_is_refused_before_counting(
        bias: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape(f"bias must be True or False, got {bias!r}")):
        nn.MLP.parameter_count({"nin": 2, "nouts": [2, 1], "bias": bias})
    document = {"format": "chainrule.nn", "version": 1, "module": "Neuron",
                "config": {"nin": 2, "activation": "relu", "bias": bias},
                "state": {"w.0": 0.5, "w.1": -0.5}}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=re.escape(
            f"{path} does not hold a model that can be loaded: bias must be True or False, "
            f"got {bias!r}")):
        nn.load(path)
