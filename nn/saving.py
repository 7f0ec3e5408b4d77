"""Saving a model as JSON (its architecture and weights) and loading it back; never pickle.

A checkpoint also holds an optimizer's and a scheduler's state, to go on training from.
The file is written to a temporary file beside the target and renamed over it, so a crash
leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import uuid
from pathlib import Path
from typing import Any

from .module import MLP, Layer, Module, Neuron
from .optim import Optimizer
from .schedulers import Scheduler

FORMAT = "chainrule.nn"
VERSION = 1
MODULES: dict[str, type[Neuron | Layer | MLP]] = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}


def save(model: Module, path: str | os.PathLike[str], *, optimizer: Optimizer | None = None,
         scheduler: Scheduler | None = None) -> Path:
    """Write model's architecture and weights (and training state) to path as JSON, atomically.

    With an optimizer or scheduler, their state_dict() goes in too: load_training_state reads
    it back into an optimizer made on the loaded model's parameters() (and its scheduler).
    """
    kind = type(model).__name__
    if MODULES.get(kind) is not type(model):
        raise TypeError(f"save() writes a Neuron, Layer or MLP, got {kind}")
    state = model.state_dict()
    for name, value in state.items():
        if not math.isfinite(value):
            raise ValueError(f"cannot save a non-finite parameter: {name} = {value}")
    document = {"format": FORMAT, "version": VERSION, "module": kind,
                "config": model.config(), "state": state}
    for key, part in (("optimizer", optimizer), ("scheduler", scheduler)):
        if part is not None:
            document[key] = part.state_dict()
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError("cannot save a non-finite number in the optimizer's or the scheduler's "
                         "state") from None
    target = Path(path)
    _write_atomically(target, text.encode() + b"\n")
    return target


def load(path: str | os.PathLike[str]) -> Module:
    """The model saved at path; a ValueError saying what is wrong if the file is not one."""
    target = Path(path)
    document = _read(target)
    try:
        return _model_from(document)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{target} does not hold a model that can be loaded: {error}") from None


def load_training_state(path: str | os.PathLike[str], optimizer: Optimizer,
                        scheduler: Scheduler | None = None) -> None:
    """Load the optimizer's (and scheduler's) state saved at path by save(..., optimizer=...)."""
    target = Path(path)
    document = _read(target)
    for key, part in (("optimizer", optimizer), ("scheduler", scheduler)):
        if part is None:
            continue
        if not isinstance(document, dict) or key not in document:
            raise ValueError(f"{target} holds no {key} state: save it with "
                             f"nn.save(model, path, {key}=...)")
        try:
            part.load_state_dict(document[key])
        except ValueError as error:
            raise ValueError(f"{target}: the {key} state does not fit: {error}") from None


def _read(target: Path) -> Any:
    """The JSON document in target, or a ValueError saying why it is not a saved model."""
    content = target.read_bytes()
    try:
        document = json.loads(content, parse_constant=_refuse_constant, parse_float=_finite)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"{target} is not a saved model: not valid JSON, perhaps truncated "
                         f"({error})") from None
    except ValueError as error:
        raise ValueError(f"{target} is not a saved model: {error}") from None
    return document


def _refuse_constant(name: str) -> float:
    raise ValueError(f"it holds {name}, and a saved model's numbers are finite")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"it holds {text}, too large for a float")
    return value


def _model_from(document: Any) -> Module:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"no \"format\": \"{FORMAT}\" entry at the top")
    if document.get("version") != VERSION:
        raise ValueError(f"version {document.get('version')!r} is not the supported {VERSION}")
    missing = [key for key in ("module", "config", "state") if key not in document]
    if missing:
        raise ValueError("missing " + ", ".join(repr(key) for key in missing))
    cls = MODULES.get(document["module"]) if isinstance(document["module"], str) else None
    if cls is None:
        raise ValueError(f"unknown module {document['module']!r}: expected one of "
                         + ", ".join(MODULES))
    config, state = document["config"], document["state"]
    if not isinstance(config, dict):
        raise ValueError(f"\"config\" must be an object, got {config!r:.60}")
    wanted = _parameter_count(config)
    if isinstance(state, dict) and wanted is not None and wanted > len(state):
        # checked before building, so that a size of 10**9 is an error, not a long wait
        raise ValueError(f"the config asks for {wanted} parameters, the state holds {len(state)}")
    try:
        model = cls(**config, seed=0)
    except TypeError as error:
        raise ValueError(f"the config does not fit {cls.__name__}: {error}") from None
    model.load_state_dict(state)
    return model


def _parameter_count(config: dict[str, Any]) -> int | None:
    """How many parameters config's architecture has (None if its sizes are not all ints)."""
    nouts = config.get("nouts", [config.get("nout", 1)])
    sizes = [config.get("nin"), *nouts] if isinstance(nouts, list) else []
    ints = [n for n in sizes if isinstance(n, int) and not isinstance(n, bool)]
    if not ints or len(ints) != len(sizes):
        return None
    bias = 1 if config.get("bias", True) else 0
    return sum(n_out * (n_in + bias) for n_in, n_out in itertools.pairwise(ints))


def _write_atomically(target: Path, content: bytes) -> None:
    # os.open applies the umask to 0o666, as an ordinary new file gets (mkstemp would give 0o600)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
