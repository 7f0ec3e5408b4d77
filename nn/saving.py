"""Saving a model as JSON (its architecture and weights) and loading it back; never pickle.

A checkpoint also holds an optimizer's and a scheduler's state, to go on training from.
The file is written with autograd.write_atomically, so a crash leaves either the old file or
the new one, never half of one, and a replaced file keeps its mode.
"""

from __future__ import annotations

import codecs
import inspect
import json
import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

from autograd import write_atomically

from ._checks import positive_int
from .module import MLP, Layer, Module, Neuron
from .optim import Optimizer
from .schedulers import Scheduler

FORMAT = "chainrule.nn"
VERSION = 1
MODULES: dict[str, type[Neuron | Layer | MLP]] = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}
MAX_PARAMETERS = 1_000_000  # load()'s default limit: a million take some 0.8 GB and 20 s to load
BYTES_PER_PARAMETER = 256  # load() reads at most this much a parameter (save writes about 55)
_HOW_TO_LOAD_LARGER = "load(path, max_parameters=...) reads larger models"
_CHUNK = 1 << 20  # bytes read at a time beyond the size the file had when opened


def save(model: Module, path: str | os.PathLike[str], *, optimizer: Optimizer | None = None,
         scheduler: Scheduler | None = None) -> Path:
    """Write model's architecture and weights (and training state) to path as JSON, atomically.

    The names of frozen parameters (requires_grad False) go in too, and load freezes them again.

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
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    if frozen:  # only then, so a model with none saves as it always has
        document["frozen"] = frozen
    for key, part in (("optimizer", optimizer), ("scheduler", scheduler)):
        if part is not None:
            document[key] = part.state_dict()
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError("cannot save a non-finite number in the optimizer's or the scheduler's "
                         "state") from None
    target = Path(path)
    write_atomically(target, text.encode() + b"\n")
    return target


def load(path: str | os.PathLike[str], max_parameters: int = MAX_PARAMETERS) -> Module:
    """The model saved at path; a ValueError saying what is wrong if the file is not one.

    A file whose model has more than max_parameters parameters is refused before anything is
    built (or the file read beyond what such a model takes).
    """
    positive_int(max_parameters, "max_parameters")
    target = Path(path)
    document = _document(target, max_parameters)
    try:
        return _model_from(document, max_parameters)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{target} does not hold a model that can be loaded: {error}") from None


def load_training_state(path: str | os.PathLike[str], optimizer: Optimizer,
                        scheduler: Scheduler | None = None, *,
                        max_parameters: int = MAX_PARAMETERS) -> None:
    """Load the optimizer's (and scheduler's) state saved at path by save(..., optimizer=...)."""
    positive_int(max_parameters, "max_parameters")
    target = Path(path)
    document = _document(target, max_parameters)
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


def _document(target: Path, max_parameters: int) -> Any:
    """The JSON document in target, or a ValueError saying why it is not a saved model."""
    content = _read(target, max_parameters)
    skipped = len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0
    try:
        text = content[skipped:].decode()  # UTF-8 as save writes it, not UTF-16 as json guesses
    except UnicodeDecodeError as error:
        raise ValueError(f"{target} is not a saved model: not UTF-8 text ({error.reason} at "
                         f"byte {skipped + error.start + 1})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite,
                          parse_int=_integer, object_pairs_hook=_object)
    except RecursionError:
        raise ValueError(f"{target} is not a saved model: its JSON is nested too deeply"
                         ) from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{target} is not a saved model: not valid JSON, perhaps truncated "
                         f"({error})") from None
    except ValueError as error:
        raise ValueError(f"{target} is not a saved model: {error}") from None


def _read(target: Path, max_parameters: int) -> bytes:
    """The file's bytes, read no further than a model of max_parameters parameters takes."""
    if target.is_dir():
        raise ValueError(f"{target} is a directory, not a model file")
    most = BYTES_PER_PARAMETER * max_parameters + 4096
    chunks: list[bytes] = []
    left = most + 1  # a byte more than the limit shows a file too large
    with target.open("rb") as file:
        # read(n) allocates n bytes at once: ask for what the file holds (a pipe says 0) and
        # one byte more, then a chunk at a time should it have grown; fewer bytes is its end
        wanted = os.fstat(file.fileno()).st_size + 1
        while left > 0:
            asked = min(wanted, left)
            chunk = file.read(asked)
            chunks.append(chunk)
            left -= len(chunk)
            if len(chunk) < asked:
                break
            wanted = _CHUNK
    content = b"".join(chunks)
    if len(content) > most:
        raise ValueError(f"{target} is larger than a model of at most {max_parameters:,} "
                         f"parameters takes ({most:,} bytes); {_HOW_TO_LOAD_LARGER}")
    return content


def _refuse_constant(name: str) -> float:
    raise ValueError(f"it holds {name}, and a saved model's numbers are finite")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"it holds {text:.40}, too large for a float")
    return value


def _integer(text: str) -> int:
    if not math.isfinite(float(text)):  # float() reads any number of digits; int() does not
        raise ValueError(f"it holds an integer of {len(text.lstrip('-')):,} digits, too large "
                         f"for a float")
    return int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refused if it holds a key twice (which value would count?)."""
    document = dict(pairs)
    if len(document) < len(pairs):
        counts = Counter(key for key, _ in pairs)
        twice = next(key for key, count in counts.items() if count > 1)
        raise ValueError(f"it holds the key {twice!r:.60} twice")
    return document


def _model_from(document: Any, max_parameters: int) -> Module:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"no \"format\": \"{FORMAT}\" entry at the top")
    version = document.get("version")
    if type(version) is not int or version != VERSION:  # not 1.0, not true
        raise ValueError(f"version {version!r:.40} is not the supported {VERSION}")
    missing = [key for key in ("module", "config", "state") if key not in document]
    if missing:
        raise ValueError("missing " + ", ".join(repr(key) for key in missing))
    cls = MODULES.get(document["module"]) if isinstance(document["module"], str) else None
    if cls is None:
        raise ValueError(f"unknown module {document['module']!r:.40}: expected one of "
                         + ", ".join(MODULES))
    config, state = document["config"], document["state"]
    if not isinstance(config, dict):
        raise ValueError(f"\"config\" must be an object, got {config!r:.60}")
    keys = [name for name in inspect.signature(cls).parameters if name != "seed"]
    unknown = [key for key in config if key not in keys]
    if unknown:
        raise ValueError(f"the config does not fit {cls.__name__}: unknown key {unknown[0]!r:.40} "
                         f"(expected {', '.join(keys)})")
    # every size checked before anything is built, so that 10**10 weights is an error
    wanted = cls.parameter_count(config)
    if wanted > max_parameters:
        raise ValueError(f"the config asks for {_amount(wanted)} parameters, more than the limit "
                         f"of {max_parameters:,} ({_HOW_TO_LOAD_LARGER})")
    if not isinstance(state, dict):
        raise ValueError(f"\"state\" must be an object of numbers by parameter name, got "
                         f"{type(state).__name__}")
    if wanted > len(state):
        raise ValueError(f"the config asks for {wanted:,} parameters, the state holds "
                         f"{len(state):,}")
    model = cls(**config, seed=0)
    model.load_state_dict(state)
    _freeze(model, document.get("frozen", []))
    return model


def _freeze(model: Module, names: object) -> None:
    """Set requires_grad False on the parameters the document lists as frozen."""
    parameters = dict(model.named_parameters())
    if not isinstance(names, list) or not all(
            isinstance(name, str) and name in parameters for name in names):
        raise ValueError(f"\"frozen\" must be a list of the model's parameter names, got "
                         f"{names!r:.60}")
    for name in names:
        parameters[name].requires_grad = False


def _amount(count: int) -> str:
    """count with thousands separators, or its order of magnitude when that would be long."""
    digits = len(str(count))
    return f"{count:,}" if digits <= 18 else f"about 10^{digits - 1}"
