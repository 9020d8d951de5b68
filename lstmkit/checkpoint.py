"""Checkpoints in a safe format: one archive of arrays and a JSON header, no pickle, written atomically.

A checkpoint holds the model's parameters, the optimiser's state (and optionally a
learning-rate scheduler's), the training step, the state of lstmkit's random
generator, the loss history and a description of the architecture. The file is the
canonical archive of :mod:`lstmkit.serialization`: a zip of uncompressed ``.npy``
members that NumPy can open (``numpy.load(path, allow_pickle=False)``) and that
lstmkit reads only after checking every zip header byte, every array's declared dtype
and shape (before reading its data) and every header field's type.

Writing goes to a temporary file in the same folder, is flushed to disk (``fsync``)
and then renamed over the target (``os.replace``): a crash leaves either the old file
or the new one. Temporary files left by a save that was killed are removed by the
next save.

Loading is all or nothing: the file, the header (format, version, step, history,
extra, seed, RNG state, optimiser references), the architecture and every name and
shape are checked before anything changes; if loading still fails, the model,
optimiser, scheduler and random generator are left exactly as they were. Every
failure is a :class:`CheckpointError` with a one-line message.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import rng
from .nn.module import Module
from .serialization import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    decode,
    encode,
    host_array,
    read_archive,
    references,
    write_archive,
)

FORMAT = CHECKPOINT_FORMAT
FORMAT_VERSION = 2  #: 2: the canonical archive (1 was numpy.savez's zip, no longer read)
MODEL_PREFIX = "model/"
OPTIM_PREFIX = "optim/"
SCHED_PREFIX = "sched/"

__all__ = ["FORMAT", "FORMAT_VERSION", "Checkpoint", "CheckpointError", "load_checkpoint", "read_checkpoint", "save_checkpoint"]


def _version() -> str:
    return sys.modules[__package__].__version__  # the package is imported before its modules


@dataclass
class Checkpoint:
    """What a checkpoint file holds, read into host memory and checked.

    Attributes:
        header: the JSON header (format, versions, config, step, rng, history, extra, ...).
        model_state: parameter name -> NumPy array.
        optimizer_state: the optimiser's ``state_dict()`` as saved, or None.
        path: where it was read from.
        scheduler_state: the scheduler's ``state_dict()`` as saved, or None.
    """

    header: dict[str, Any]
    model_state: dict[str, np.ndarray]
    optimizer_state: Any
    path: Path
    scheduler_state: Any = None

    @property
    def config(self) -> dict[str, Any] | None:
        """The architecture description given at save time (e.g. ``model.config()``)."""
        return self.header.get("config")

    @property
    def step(self) -> int:
        return int(self.header.get("step", 0))

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.header.get("history", []))

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.header.get("extra", {}))

    @property
    def rng_state(self) -> dict[str, Any] | None:
        return self.header.get("rng")


# --------------------------------------------------------------------------- saving


def _rng_state() -> dict[str, Any]:
    return rng.generator().bit_generator.state


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Module,
    optimizer: Any = None,
    *,
    config: Mapping[str, Any] | None = None,
    step: int = 0,
    history: list[dict[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
    rng_state: Mapping[str, Any] | None = None,
    scheduler: Any = None,
) -> Path:
    """Write ``model`` (and ``optimizer``, ``scheduler``) to ``path`` atomically; returns the path.

    ``config`` describes the architecture (default: ``model.config()`` when the model
    has one); it is checked again at load time. ``rng_state`` defaults to the state of
    lstmkit's shared generator. ``extra`` is any JSON-safe dict (task, vocabulary, ...).
    """
    path = Path(path)
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 0:
        raise CheckpointError(f"save_checkpoint: step must be an integer >= 0, got {step!r}.")
    if config is None and callable(getattr(model, "config", None)):
        config = model.config()
    arrays: dict[str, np.ndarray] = {}
    for name, value in model.state_dict().items():
        arrays[MODEL_PREFIX + name] = np.ascontiguousarray(host_array(value))
    optim_skeleton = None
    if optimizer is not None:
        optim_skeleton = encode(optimizer.state_dict(), arrays, "optimizer.state_dict()", OPTIM_PREFIX)
    sched_skeleton = None
    if scheduler is not None:
        sched_skeleton = encode(scheduler.state_dict(), arrays, "scheduler.state_dict()", SCHED_PREFIX)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lstmkit_version": _version(),
        "model_class": type(model).__name__,
        "config": dict(config) if config is not None else None,
        "step": int(step),
        "rng": dict(rng_state) if rng_state is not None else _rng_state(),
        "history": list(history or []),
        "extra": dict(extra or {}),
        "optimizer": optim_skeleton,
        "scheduler": sched_skeleton,
    }
    for key in ("config", "history", "extra"):
        try:
            json.dumps(header[key])
        except (TypeError, ValueError) as error:
            raise CheckpointError(
                f"save_checkpoint: {key} is not JSON-safe ({error}); pass numbers, strings, lists and dicts."
            ) from None
    _check_header(path, header, set(arrays))  # never write what could not be read back
    write_archive(path, header, arrays)
    return path


# --------------------------------------------------------------------------- reading and checking


def _bad_field(path: Path, key: str, expected: str, value: Any) -> CheckpointError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return CheckpointError(
        f"checkpoint {str(path)!r} has a bad header: '{key}' should be {expected}, but is {shown} "
        f"({type(value).__name__}); the file is damaged or not from lstmkit. Nothing was loaded."
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_rng(path: Path, state: Any) -> None:
    """The saved RNG state must fit lstmkit's generator; checked on a scratch generator."""
    current = rng.generator().bit_generator
    if not isinstance(state, dict):
        raise _bad_field(path, "rng", f"a {type(current).__name__} state dict", state)
    if state.get("bit_generator") != type(current).__name__:
        raise CheckpointError(
            f"checkpoint {str(path)!r} holds a random-generator state for {state.get('bit_generator')!r}, "
            f"but lstmkit's generator is {type(current).__name__}; the file is damaged or from another "
            "program. Nothing was loaded."
        )
    scratch = type(current)()
    try:
        scratch.state = state
    except Exception as error:  # noqa: BLE001  (numpy raises TypeError, ValueError or KeyError)
        raise _bad_field(path, "rng", f"a valid {type(current).__name__} state ({type(error).__name__}: {error})", state) from None


def _check_header(path: Path, header: dict[str, Any], array_names: set[str]) -> None:
    """Every header field has the type lstmkit writes; raises CheckpointError naming the first that does not."""
    if header.get("format") != FORMAT:
        raise CheckpointError(
            f"{str(path)!r} is not an lstmkit checkpoint: its header format is {header.get('format')!r}, "
            f"not {FORMAT!r}. Save checkpoints with lstmkit.checkpoint.save_checkpoint (lk.load reads lk.save files)."
        )
    version = header.get("format_version")
    if not _is_int(version):
        raise _bad_field(path, "format_version", f"the integer {FORMAT_VERSION}", version)
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{str(path)!r} uses checkpoint format {version}, newer than this lstmkit "
            f"({_version()}, format {FORMAT_VERSION}); upgrade lstmkit to read it."
        )
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{str(path)!r} uses checkpoint format {version}; this lstmkit reads format {FORMAT_VERSION}. "
            "Train again (or load it with the lstmkit that wrote it and save it anew)."
        )
    expectations = {
        "lstmkit_version": (lambda v: isinstance(v, str), "a version string"),
        "model_class": (lambda v: isinstance(v, str), "a class name (str)"),
        "config": (lambda v: v is None or isinstance(v, dict), "a dict or null"),
        "step": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
        "history": (lambda v: isinstance(v, list) and all(isinstance(h, dict) for h in v), "a list of dicts"),
        "extra": (lambda v: isinstance(v, dict), "a dict"),
    }
    for key, (ok, expected) in expectations.items():
        if key not in header:
            raise _bad_field(path, key, expected, "(missing)")
        if not ok(header[key]):
            raise _bad_field(path, key, expected, header[key])
    extra = header["extra"]
    train_config = extra.get("train_config")
    if train_config is not None:
        if not isinstance(train_config, dict):
            raise _bad_field(path, "extra.train_config", "a dict", train_config)
        if "seed" in train_config and not _is_int(train_config["seed"]):
            raise _bad_field(path, "extra.train_config.seed", "an integer", train_config["seed"])
    if header.get("rng") is not None:
        _check_rng(path, header["rng"])
    for key in ("optimizer", "scheduler"):
        skeleton = header.get(key)
        if skeleton is None:
            continue
        missing = sorted(references(skeleton) - array_names)
        if missing:
            raise CheckpointError(
                f"checkpoint {str(path)!r} is damaged: the {key} state refers to arrays {missing[:3]} that the "
                "file does not hold. Nothing was loaded."
            )


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and check a checkpoint file without touching any model.

    Raises :class:`CheckpointError` when the file is missing, truncated, corrupt, not an
    lstmkit checkpoint, or has a header field of the wrong type.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {str(path)!r} does not exist (or is not a file); "
            "check the path, e.g. the --out folder of `lstmkit train`."
        )
    header, arrays = read_archive(path)
    _check_header(path, header, set(arrays))
    model_state = {k[len(MODEL_PREFIX) :]: v for k, v in arrays.items() if k.startswith(MODEL_PREFIX)}
    states = {}
    for key in ("optimizer", "scheduler"):
        skeleton = header.get(key)
        states[key] = None if skeleton is None else decode(skeleton, arrays, f"checkpoint {str(path)!r}: {key}")
        if states[key] is not None and not isinstance(states[key], dict):
            raise _bad_field(path, key, "a state dict", states[key])
    return Checkpoint(header=header, model_state=model_state, optimizer_state=states["optimizer"], path=path,
                      scheduler_state=states["scheduler"])


def _check_fits(ckpt: Checkpoint, model: Module) -> None:
    """Raise CheckpointError unless ``ckpt`` was saved from the same architecture as ``model``."""
    saved_config = ckpt.config
    if saved_config is not None and callable(getattr(model, "config", None)):
        current = json.loads(json.dumps(model.config()))
        if current != saved_config:
            diffs = sorted(
                f"{k}: saved {saved_config.get(k)!r}, model {current.get(k)!r}"
                for k in set(saved_config) | set(current)
                if saved_config.get(k) != current.get(k)
            )
            raise CheckpointError(
                f"checkpoint {str(ckpt.path)!r} was saved from a different architecture ({'; '.join(diffs)}). "
                "Build the model with the saved config (lstmkit.models.build(checkpoint.config)); "
                "nothing was loaded."
            )
    params = {name: tuple(np.shape(value)) for name, value in model.state_dict().items()}
    missing = [n for n in params if n not in ckpt.model_state]
    unexpected = [n for n in ckpt.model_state if n not in params]
    wrong = [
        f"{n}: saved {tuple(a.shape)}, model {params[n]}"
        for n, a in ckpt.model_state.items()
        if n in params and tuple(a.shape) != params[n]
    ]
    floats = [f"{n}: {a.dtype}" for n, a in ckpt.model_state.items() if n in params and a.dtype.kind not in "fc"]
    if missing or unexpected or wrong or floats:
        raise CheckpointError(
            f"checkpoint {str(ckpt.path)!r} does not fit {type(model).__name__}: missing {missing}, "
            f"unexpected {unexpected}, wrong shapes {wrong}{', not floats ' + str(floats) if floats else ''}. "
            "It was saved from a different architecture; build the same model as the one saved. Nothing was loaded."
        )


def load_checkpoint(
    path: str | os.PathLike[str],
    model: Module | None = None,
    optimizer: Any = None,
    *,
    restore_rng: bool = False,
    scheduler: Any = None,
) -> Checkpoint:
    """Read ``path`` and load it into ``model`` (and ``optimizer``, ``scheduler``): all or nothing.

    Every check runs before anything changes; if a load still fails, everything is
    put back as it was. ``restore_rng=True`` also restores lstmkit's shared random
    generator (for resuming a run exactly). Returns the Checkpoint.
    """
    ckpt = read_checkpoint(path)
    if model is None:
        return ckpt
    _check_fits(ckpt, model)
    for given, saved, what in ((optimizer, ckpt.optimizer_state, "optimiser"), (scheduler, ckpt.scheduler_state, "scheduler")):
        if given is not None and saved is None:
            raise CheckpointError(
                f"checkpoint {str(ckpt.path)!r} holds no {what} state, but a {what} was given; "
                f"load without it to restore the model only. Nothing was loaded."
            )
    if restore_rng and ckpt.rng_state is None:
        raise CheckpointError(f"checkpoint {str(ckpt.path)!r} holds no random-generator state; load with restore_rng=False.")
    model_before = model.state_dict()
    optim_before = optimizer.state_dict() if optimizer is not None else None
    sched_before = scheduler.state_dict() if scheduler is not None else None
    try:
        if optimizer is not None:
            optimizer.load_state_dict(ckpt.optimizer_state)
        if scheduler is not None:
            scheduler.load_state_dict(ckpt.scheduler_state)
        model.load_state_dict(ckpt.model_state)
    except Exception as error:  # noqa: BLE001  (put everything back, whatever went wrong)
        model.load_state_dict(model_before)
        if optimizer is not None:
            optimizer.load_state_dict(optim_before)
        if scheduler is not None:
            scheduler.load_state_dict(sched_before)
        message = str(error).splitlines()[0] if str(error) else ""
        raise CheckpointError(
            f"checkpoint {str(ckpt.path)!r} could not be loaded ({type(error).__name__}: {message}); "
            "the model and optimiser were left as they were."
        ) from None
    if restore_rng:
        rng.generator().bit_generator.state = ckpt.rng_state
    return ckpt
