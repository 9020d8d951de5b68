"""Checkpoints in a safe format: one ``.npz`` file, no pickle, written atomically.

A checkpoint holds the model's parameters, the optimiser's state, the training
step, the state of lstmkit's random generator, the loss history and a description
of the architecture. Arrays go into a NumPy ``.npz`` archive; everything else goes
into a JSON header stored inside the same archive as UTF-8 bytes. Files are read
with ``allow_pickle=False``, so opening a checkpoint can never run code.

Writing goes to a temporary file in the same folder, is flushed to disk
(``fsync``) and then renamed over the target (``os.replace``): a crash leaves
either the old file or the new one, never half of one.

Loading checks everything (readable archive, format, architecture, every name and
shape) before changing anything; on any error the model and optimiser are left
exactly as they were.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import backend, rng
from .nn.module import Module

FORMAT = "lstmkit-checkpoint"
FORMAT_VERSION = 1
HEADER_KEY = "__header__"
MODEL_PREFIX = "model/"
OPTIM_PREFIX = "optim/"


class CheckpointError(ValueError):
    """A checkpoint cannot be written or loaded; nothing was changed."""


def _version() -> str:
    from . import __version__  # noqa: PLC0415  (the package imports this module's siblings)

    return __version__


@dataclass
class Checkpoint:
    """What a checkpoint file holds, read into host memory.

    Attributes:
        header: the JSON header (format, versions, config, step, rng, history, extra).
        model_state: parameter name -> NumPy array.
        optimizer_state: the optimiser's ``state_dict()`` as saved, or None.
        path: where it was read from.
    """

    header: dict[str, Any]
    model_state: dict[str, np.ndarray]
    optimizer_state: Any
    path: Path

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


# --------------------------------------------------------------------------- nested state <-> JSON + arrays


def _encode(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """JSON skeleton of ``value``; arrays are moved into ``arrays`` and replaced by a reference."""
    if backend.is_array(value):
        key = f"{OPTIM_PREFIX}{len(arrays)}"
        host = backend.to_numpy(value)
        if host.dtype.kind not in "biufc":
            raise CheckpointError(
                f"{where} holds an array of dtype {host.dtype}; only numeric arrays can be saved "
                "without pickle. Convert it to numbers first."
            )
        arrays[key] = host
        return {"__array__": key}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise CheckpointError(f"{where} has a key of type {type(key).__name__}; use str or int keys.")
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"__dict__": items}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
    raise CheckpointError(
        f"{where} holds a {type(value).__name__}, which the safe checkpoint format cannot store; "
        "optimiser state must be numbers, strings, arrays, lists, tuples and dicts."
    )


def _decode(value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if isinstance(value, dict):
        if "__array__" in value:
            return arrays[value["__array__"]]
        if "__tuple__" in value:
            return tuple(_decode(v, arrays) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: _decode(v, arrays) for k, v in value["__dict__"]}
        raise CheckpointError(f"unknown entry {sorted(value)} in the optimiser state of the header.")
    return value


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
) -> Path:
    """Write ``model`` (and ``optimizer``) to ``path`` atomically; returns the path.

    ``config`` describes the architecture (default: ``model.config()`` when the model
    has one); it is checked again at load time. ``rng_state`` defaults to the state of
    lstmkit's shared generator. ``extra`` is any JSON-safe dict (task, vocabulary, ...).
    """
    path = Path(path)
    if config is None and callable(getattr(model, "config", None)):
        config = model.config()
    arrays: dict[str, np.ndarray] = {}
    for name, value in model.state_dict().items():
        arrays[MODEL_PREFIX + name] = np.ascontiguousarray(value)
    optim_skeleton = None
    if optimizer is not None:
        optim_skeleton = _encode(optimizer.state_dict(), arrays, "optimizer.state_dict()")
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
        "arrays": {key: [list(a.shape), a.dtype.str] for key, a in arrays.items()},
    }
    try:
        header_bytes = json.dumps(header).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise CheckpointError(
            f"save_checkpoint: the header is not JSON-safe ({error}); pass config, history and "
            "extra made of numbers, strings, lists and dicts."
        ) from None
    arrays[HEADER_KEY] = np.frombuffer(header_bytes, dtype=np.uint8)
    _atomic_savez(path, arrays)
    return path


def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz to a temp file next to ``path``, fsync it, then rename it over ``path``."""
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
        raise
    try:  # make the rename itself durable (not possible on every platform)
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --------------------------------------------------------------------------- reading and loading


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and validate a checkpoint file without touching any model.

    Raises :class:`CheckpointError` when the file is missing, truncated, corrupt or
    not an lstmkit checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {str(path)!r} does not exist (or is not a file); "
            "check the path, e.g. the --out folder of `lstmkit train`."
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise CheckpointError(
            f"{str(path)!r} is not a readable lstmkit checkpoint: the file is truncated or corrupt "
            f"({type(error).__name__}: {error}). Use another checkpoint or train again; nothing was loaded."
        ) from None
    if HEADER_KEY not in arrays:
        raise CheckpointError(
            f"{str(path)!r} is an .npz archive but not an lstmkit checkpoint (no header); "
            "save checkpoints with lstmkit.checkpoint.save_checkpoint."
        )
    try:
        header = json.loads(arrays.pop(HEADER_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise CheckpointError(f"{str(path)!r} has a damaged header ({error}); nothing was loaded.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{str(path)!r} is not an lstmkit checkpoint (header format is not {FORMAT!r}).")
    if int(header.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"{str(path)!r} uses checkpoint format {header['format_version']}, newer than this lstmkit "
            f"({_version()}, format {FORMAT_VERSION}); upgrade lstmkit to read it."
        )
    listed = header.get("arrays", {})
    for key, (shape, dtype) in listed.items():
        if key not in arrays or list(arrays[key].shape) != list(shape) or arrays[key].dtype.str != dtype:
            raise CheckpointError(
                f"{str(path)!r} is inconsistent: array {key!r} should be {dtype} {tuple(shape)} but is "
                f"{'missing' if key not in arrays else (arrays[key].dtype.str, arrays[key].shape)}; "
                "the file is damaged. Nothing was loaded."
            )
    model_state = {k[len(MODEL_PREFIX) :]: v for k, v in arrays.items() if k.startswith(MODEL_PREFIX)}
    optim = header.get("optimizer")
    optimizer_state = None if optim is None else _decode(optim, arrays)
    return Checkpoint(header=header, model_state=model_state, optimizer_state=optimizer_state, path=path)


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
    params = dict(model.named_parameters())
    missing = [n for n in params if n not in ckpt.model_state]
    unexpected = [n for n in ckpt.model_state if n not in params]
    wrong = [
        f"{n}: saved {tuple(a.shape)}, model {params[n].shape}"
        for n, a in ckpt.model_state.items()
        if n in params and tuple(a.shape) != params[n].shape
    ]
    if missing or unexpected or wrong:
        raise CheckpointError(
            f"checkpoint {str(ckpt.path)!r} does not fit {type(model).__name__}: missing {missing}, "
            f"unexpected {unexpected}, wrong shapes {wrong}. It was saved from a different "
            "architecture; build the same model as the one saved. Nothing was loaded."
        )


def load_checkpoint(
    path: str | os.PathLike[str],
    model: Module | None = None,
    optimizer: Any = None,
    *,
    restore_rng: bool = False,
) -> Checkpoint:
    """Read ``path`` and load it into ``model`` (and ``optimizer``): all or nothing.

    Every check runs before anything changes; if loading the optimiser still fails,
    the model is put back as it was. ``restore_rng=True`` also restores lstmkit's
    shared random generator (for resuming a run exactly). Returns the Checkpoint.
    """
    ckpt = read_checkpoint(path)
    if model is None:
        return ckpt
    _check_fits(ckpt, model)
    if optimizer is not None and ckpt.optimizer_state is None:
        raise CheckpointError(
            f"checkpoint {str(ckpt.path)!r} holds no optimiser state, but an optimiser was given; "
            "load without optimizer=... to restore the model only. Nothing was loaded."
        )
    model_before = model.state_dict()
    optim_before = optimizer.state_dict() if optimizer is not None else None
    try:
        model.load_state_dict(ckpt.model_state)
        if optimizer is not None:
            optimizer.load_state_dict(ckpt.optimizer_state)
    except Exception as error:
        model.load_state_dict(model_before)
        if optimizer is not None:
            optimizer.load_state_dict(optim_before)
        raise CheckpointError(
            f"checkpoint {str(ckpt.path)!r} could not be loaded ({type(error).__name__}: {error}); "
            "the model and optimiser were left as they were."
        ) from None
    if restore_rng and ckpt.rng_state is not None:
        rng.generator().bit_generator.state = ckpt.rng_state
    return ckpt
