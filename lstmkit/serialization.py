"""Safe files of arrays: ``lk.save(obj, path)`` / ``lk.load(path)``, and the archive checkpoints use.

An archive is a zip of uncompressed NumPy ``.npy`` members, one of them
``__header__.npy`` (JSON, UTF-8). NumPy (``numpy.load``) and any zip tool can read it,
but lstmkit writes it in one canonical form (fixed timestamps, no compression, no
extra fields) and reads only that form, checking every byte of every zip header and
every array's declared dtype and shape *before* reading its data. So a damaged,
truncated, foreign or hostile file (a zip bomb, a member declaring 2**40 elements, a
pickle) raises :class:`CheckpointError` with what was expected and found, and never
allocates more than the file holds or runs code.

What can be saved: nested dicts (str/int keys), lists and tuples of arrays (NumPy,
CuPy, lstmkit or torch tensors), numbers, strings, bools and None. ``lk.load``
gives NumPy arrays back (lstmkit Tensors come back as Tensors).

>>> import tempfile, numpy, lstmkit as lk
>>> path = tempfile.mkdtemp() + "/state.lk"
>>> lk.save({"w": numpy.eye(2), "epoch": 3}, path)
>>> loaded = lk.load(path)
>>> loaded["epoch"], loaded["w"].shape
(3, (2, 2))
"""

from __future__ import annotations

import ast
import json
import os
import struct
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy

from . import backend
from .autograd.tensor import Tensor

HEADER_MEMBER = "__header__.npy"
SAVE_FORMAT = "lstmkit-save"
SAVE_FORMAT_VERSION = 1
CHECKPOINT_FORMAT = "lstmkit-checkpoint"  #: the format lstmkit.checkpoint writes in the same archive
MAX_HEADER_BYTES = 64 * 2**20  #: the JSON header of an archive is at most this long
MAX_MEMBER_BYTES = 2**31 - 1  #: one array at most this many bytes (no zip64)
NUMERIC_KINDS = "biufc"

_LOCAL = struct.Struct("<IHHHHHIIIHH")  # 30 bytes + name
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # 46 bytes + name
_END = struct.Struct("<IHHHHIIH")  # 22 bytes
_LOCAL_SIG, _CENTRAL_SIG, _END_SIG = 0x04034B50, 0x02014B50, 0x06054B50
_VERSION = 20  # zip 2.0: stored members
_MADE_BY = (3 << 8) | _VERSION  # unix
_DOS_DATE = (1 << 5) | 1  # 1980-01-01, 00:00:00
_EXTERNAL_ATTR = 0o100644 << 16
_NPY_MAGIC = b"\x93NUMPY"


class CheckpointError(ValueError):
    """A checkpoint or saved file cannot be written or read; nothing was changed."""


def _name(path: Path) -> str:
    return repr(str(path))


# --------------------------------------------------------------------------- nested values <-> JSON + arrays


def is_tensor_like(value: Any) -> bool:
    """NumPy/CuPy arrays, lstmkit Tensors and torch tensors (anything with .detach/.cpu/.numpy)."""
    return (
        isinstance(value, Tensor)
        or backend.is_array(value)
        or (hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"))
    )


def host_array(value: Any) -> numpy.ndarray:
    """A host NumPy copy of an array-like."""
    if isinstance(value, Tensor):
        return value.numpy()
    if backend.is_array(value):
        return backend.to_numpy(value)
    return numpy.array(value.detach().cpu().numpy(), copy=True)


def encode(value: Any, arrays: dict[str, numpy.ndarray], where: str, prefix: str) -> Any:
    """JSON skeleton of ``value``; arrays move into ``arrays`` (named ``prefix + n``) and leave a reference."""
    if is_tensor_like(value):
        key = f"{prefix}{len(arrays)}"
        host = host_array(value)
        if host.dtype.kind not in NUMERIC_KINDS:
            raise CheckpointError(
                f"{where} holds an array of dtype {host.dtype}; only numeric arrays can be saved "
                "without pickle. Convert it to numbers first."
            )
        arrays[key] = numpy.ascontiguousarray(host)
        return {"__tensor__" if isinstance(value, Tensor) else "__array__": key}
    if isinstance(value, numpy.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if isinstance(key, numpy.integer):
                key = int(key)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise CheckpointError(f"{where} has a key of type {type(key).__name__}; use str or int keys.")
            items.append([key, encode(item, arrays, f"{where}[{key!r}]", prefix)])
        return {"__dict__": items}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays, f"{where}[{i}]", prefix) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, arrays, f"{where}[{i}]", prefix) for i, v in enumerate(value)]
    raise CheckpointError(
        f"{where} holds a {type(value).__name__}, which the safe format cannot store (no pickle); "
        "save numbers, strings, arrays or tensors, lists, tuples and dicts, e.g. model.state_dict()."
    )


def decode(value: Any, arrays: Mapping[str, numpy.ndarray], where: str) -> Any:
    """Inverse of :func:`encode`; every reference and shape is checked, errors name the place."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and len(value) == 1:
        (tag, body), = value.items()
        if tag in ("__array__", "__tensor__"):
            if not isinstance(body, str) or body not in arrays:
                raise CheckpointError(f"{where} refers to array {body!r}, which the file does not hold; the file is damaged.")
            return Tensor(arrays[body]) if tag == "__tensor__" else arrays[body]
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(body))
        if tag == "__dict__" and isinstance(body, list):
            out = {}
            for item in body:
                if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str | int) or isinstance(item[0], bool):
                    raise CheckpointError(f"{where} has a dict entry {item!r}; expected [key, value] with a str or int key.")
                out[item[0]] = decode(item[1], arrays, f"{where}[{item[0]!r}]")
            return out
    raise CheckpointError(f"{where} is {str(value)[:80]!r}, not a value the safe format writes; the file is damaged.")


def references(value: Any) -> set[str]:
    """Every array name a skeleton refers to."""
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in ("__array__", "__tensor__"):
            return {str(next(iter(value.values())))}
        return set().union(*(references(v) for v in value.values())) if value else set()
    return set()


# --------------------------------------------------------------------------- writing


def _npy_bytes(array: numpy.ndarray) -> bytes:
    import io  # noqa: PLC0415

    buffer = io.BytesIO()
    numpy.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def write_archive(path: str | os.PathLike[str], header: dict[str, Any], arrays: Mapping[str, numpy.ndarray]) -> Path:
    """Write ``header`` (JSON) and ``arrays`` to ``path`` atomically in the canonical zip form.

    The file goes to a temporary name in the same folder, is fsync'ed and renamed over
    ``path``; temporary files left by earlier saves that were killed are removed first.
    """
    path = Path(path)
    header = dict(header)
    header["arrays"] = {key: [list(a.shape), a.dtype.str] for key, a in arrays.items()}
    try:
        header_bytes = json.dumps(header).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise CheckpointError(
            f"cannot save to {_name(path)}: the header is not JSON-safe ({error}); pass config, "
            "history and extra made of numbers, strings, lists and dicts."
        ) from None
    members = [(HEADER_MEMBER, _npy_bytes(numpy.frombuffer(header_bytes, dtype=numpy.uint8)))]
    for key, array in arrays.items():
        if not key.isascii() or not key.isprintable() or key.startswith("__"):
            raise CheckpointError(f"cannot save array name {key!r}: names must be printable ASCII and not start with '__'.")
        members.append((key + ".npy", _npy_bytes(array)))
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            _write_zip(handle, members)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
        raise
    _fsync_folder(folder)
    return path


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete ``.NAME.*.tmp`` files next to ``path`` (left by saves that were killed); returns them."""
    folder = path.parent if str(path.parent) else Path(".")
    stale = [p for p in folder.glob(f".{path.name}.*.tmp") if p.is_file()] if folder.is_dir() else []
    for p in stale:
        try:
            p.unlink()
        except OSError:
            pass
    return stale


def _fsync_folder(folder: Path) -> None:
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


def _write_zip(handle: BinaryIO, members: list[tuple[str, bytes]]) -> None:
    """The canonical zip: stored members, fixed dates and attributes, no extra fields, no comment."""
    central, offset = [], 0
    for name, data in members:
        if len(data) > MAX_MEMBER_BYTES:
            raise CheckpointError(
                f"cannot save {name!r}: {len(data)} bytes is more than one archive member may hold "
                f"({MAX_MEMBER_BYTES}); split the array."
            )
        raw_name = name.encode("ascii")
        crc = zlib.crc32(data)
        handle.write(_LOCAL.pack(_LOCAL_SIG, _VERSION, 0, 0, 0, _DOS_DATE, crc, len(data), len(data), len(raw_name), 0))
        handle.write(raw_name)
        handle.write(data)
        central.append(_CENTRAL.pack(_CENTRAL_SIG, _MADE_BY, _VERSION, 0, 0, 0, _DOS_DATE, crc, len(data), len(data),
                                     len(raw_name), 0, 0, 0, 0, _EXTERNAL_ATTR, offset) + raw_name)
        offset += _LOCAL.size + len(raw_name) + len(data)
    directory = b"".join(central)
    handle.write(directory)
    handle.write(_END.pack(_END_SIG, 0, 0, len(central), len(central), len(directory), offset, 0))


# --------------------------------------------------------------------------- reading


class _Member:
    """One archive member as the central directory and local header declare it."""

    def __init__(self, name: str, crc: int, size: int, data_offset: int) -> None:
        self.name, self.crc, self.size, self.data_offset = name, crc, size, data_offset
        self.dtype: numpy.dtype | None = None
        self.shape: tuple[int, ...] = ()
        self.array_offset = 0


def _fail(path: Path, expected: str, found: str) -> CheckpointError:
    return CheckpointError(
        f"{_name(path)} is not a readable lstmkit file: expected {expected}, found {found}. "
        "The file is damaged (truncated or corrupt) or was not written by lstmkit; nothing was loaded."
    )


def _field_check(path: Path, where: str, names: tuple[str, ...], found: tuple, expected: tuple) -> None:
    for field, got, want in zip(names, found, expected, strict=True):
        if want is not None and got != want:
            raise _fail(path, f"{where} {field} {want:#x}", f"{got:#x}")


def _read_directory(path: Path, handle: BinaryIO, file_size: int) -> list[_Member]:
    """Parse and check the end record, the central directory and every local header."""
    if file_size < _END.size:
        raise _fail(path, f"a zip archive (at least {_END.size} bytes)", f"{file_size} bytes")
    handle.seek(0)
    start = handle.read(8)
    if start.startswith(_NPY_MAGIC):
        raise _fail(path, "an lstmkit archive (a zip of .npy members)", "a plain .npy array file (numpy.save); save with lstmkit")
    if not start.startswith(b"PK\x03\x04"):
        raise _fail(path, "a zip archive starting with b'PK\\x03\\x04'", f"{start[:4]!r}")
    handle.seek(file_size - _END.size)
    end = _END.unpack(handle.read(_END.size))
    _field_check(path, "end record", ("signature", "disk", "directory disk", "comment length"),
                 (end[0], end[1], end[2], end[7]), (_END_SIG, 0, 0, 0))
    count, total, dir_size, dir_offset = end[3], end[4], end[5], end[6]
    if count != total or count == 0:
        raise _fail(path, "the end record's member counts to agree and be > 0", f"{count} and {total}")
    if dir_offset + dir_size != file_size - _END.size:
        raise _fail(path, f"the central directory to end at byte {file_size - _END.size}", f"{dir_offset} + {dir_size}")
    handle.seek(dir_offset)
    directory = handle.read(dir_size)
    members, position, expected_offset, names = [], 0, 0, set()
    for i in range(count):
        if position + _CENTRAL.size > len(directory):
            raise _fail(path, f"{count} central directory entries", f"room for only {i}")
        fields = _CENTRAL.unpack_from(directory, position)
        _field_check(
            path, f"central directory entry {i}",
            ("signature", "version made by", "version needed", "flags", "method", "time", "date",
             "extra length", "comment length", "disk", "internal attributes", "external attributes",
             "local header offset"),
            fields[0:7] + fields[11:17],
            (_CENTRAL_SIG, _MADE_BY, _VERSION, 0, 0, 0, _DOS_DATE, 0, 0, 0, 0, _EXTERNAL_ATTR, expected_offset),
        )
        crc, csize, usize, name_length = fields[7], fields[8], fields[9], fields[10]
        raw_name = directory[position + _CENTRAL.size : position + _CENTRAL.size + name_length]
        position += _CENTRAL.size + name_length
        if csize != usize:
            raise _fail(path, f"entry {i} stored uncompressed (sizes equal)", f"compressed {csize}, uncompressed {usize}")
        try:
            name = raw_name.decode("ascii")
        except UnicodeDecodeError:
            raise _fail(path, f"entry {i} to have an ASCII name", repr(raw_name)) from None
        if not name.endswith(".npy") or not name.isprintable() or len(raw_name) != name_length:
            raise _fail(path, f"entry {i} to be a .npy member", f"a member named {name!r}")
        if name in names:
            raise _fail(path, "unique member names", f"{name!r} twice")
        names.add(name)
        handle.seek(expected_offset)
        local_bytes = handle.read(_LOCAL.size + name_length)
        if len(local_bytes) != _LOCAL.size + name_length:
            raise _fail(path, f"the local header of {name!r} at byte {expected_offset}", "the end of the file")
        local = _LOCAL.unpack_from(local_bytes)
        _field_check(
            path, f"local header of {name!r}",
            ("signature", "version needed", "flags", "method", "time", "date", "crc", "compressed size",
             "size", "name length", "extra length"),
            local, (_LOCAL_SIG, _VERSION, 0, 0, 0, _DOS_DATE, crc, csize, usize, name_length, 0),
        )
        if local_bytes[_LOCAL.size :] != raw_name:
            raise _fail(path, f"the local header to name {name!r}", repr(local_bytes[_LOCAL.size :]))
        data_offset = expected_offset + _LOCAL.size + name_length
        expected_offset = data_offset + usize
        if expected_offset > dir_offset:
            raise _fail(path, f"{name!r} ({usize} bytes) to end before the central directory (byte {dir_offset})",
                        f"it would end at byte {expected_offset}")
        members.append(_Member(name, crc, usize, data_offset))
    if position != len(directory):
        raise _fail(path, f"a central directory of {position} bytes", f"{len(directory)} bytes")
    if expected_offset != dir_offset:
        raise _fail(path, f"the central directory right after the last member (byte {expected_offset})", f"byte {dir_offset}")
    return members


def _read_npy_header(path: Path, handle: BinaryIO, member: _Member) -> None:
    """Parse one member's .npy header (dtype, shape) and check its size against the zip's, reading no data."""
    handle.seek(member.data_offset)
    head = handle.read(min(member.size, 10))
    if len(head) < 10 or not head.startswith(_NPY_MAGIC):
        raise _fail(path, f"{member.name!r} to be a .npy array (starting with {_NPY_MAGIC!r})", f"{head[:8]!r}")
    major = head[6]
    if major == 1:
        length, start = struct.unpack("<H", head[8:10])[0], 10
    elif major in (2, 3):
        head += handle.read(2)
        length, start = struct.unpack("<I", head[8:12])[0], 12
    else:
        raise _fail(path, f"{member.name!r} in .npy format version 1, 2 or 3", f"version {major}")
    if start + length > member.size or length > 65536:
        raise _fail(path, f"{member.name!r} to have a .npy header inside its {member.size} bytes", f"a header of {length} bytes")
    text = handle.read(length)
    try:
        meta = ast.literal_eval(text.decode("latin1"))
        dtype = numpy.dtype(meta["descr"])
        shape = tuple(meta["shape"])
        fortran = meta["fortran_order"]
    except Exception:  # noqa: BLE001  (any malformed header is the same finding)
        raise _fail(path, f"{member.name!r} to have a .npy header dict with descr, fortran_order and shape",
                    repr(text[:60])) from None
    if not isinstance(meta, dict) or set(meta) != {"descr", "fortran_order", "shape"}:
        raise _fail(path, f"{member.name!r} to have exactly descr, fortran_order and shape", repr(sorted(meta)))
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None:
        raise _fail(path, f"{member.name!r} to hold numbers", f"dtype {dtype}")
    if fortran is not False:
        raise _fail(path, f"{member.name!r} in C order", f"fortran_order={fortran!r}")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise _fail(path, f"{member.name!r} to have a shape of non-negative integers", repr(shape))
    count = 1
    for n in shape:
        count *= n
    declared = count * dtype.itemsize
    if start + length + declared != member.size:
        raise _fail(path, f"{member.name!r} ({dtype} {shape}, {declared} bytes of data) to fill its "
                    f"{member.size - start - length} bytes", "a different size")
    member.dtype, member.shape, member.array_offset = dtype, shape, start + length


def _read_data(path: Path, handle: BinaryIO, member: _Member) -> bytes:
    handle.seek(member.data_offset)
    data = handle.read(member.size)
    if len(data) != member.size:
        raise _fail(path, f"{member.size} bytes of {member.name!r}", f"{len(data)} (the file is truncated)")
    if zlib.crc32(data) != member.crc:
        raise _fail(path, f"{member.name!r} with CRC {member.crc:#010x}", f"{zlib.crc32(data):#010x} (its bytes changed)")
    return data


def read_archive(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    """Read a canonical archive: (JSON header, {name: host array}), every byte checked first.

    The header's ``arrays`` listing must name exactly the array members with their
    dtypes and shapes; no array data is read before all of that has been checked.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{_name(path)} does not exist (or is not a file); check the path.")
    try:
        with open(path, "rb") as handle:
            file_size = os.fstat(handle.fileno()).st_size
            try:
                members = _read_directory(path, handle, file_size)
            except CheckpointError:
                if _is_numpy_savez_checkpoint(path):
                    raise CheckpointError(
                        f"{_name(path)} looks like a checkpoint from an older lstmkit (format 1, written by numpy.savez); "
                        "this lstmkit reads only its canonical archive (format 2). Train again, or open it with "
                        "numpy.load(path, allow_pickle=False) and save the arrays anew."
                    ) from None
                raise
            for member in members:
                _read_npy_header(path, handle, member)
            by_name = {m.name: m for m in members}
            head = by_name.get(HEADER_MEMBER)
            if head is None:
                raise _fail(path, f"a {HEADER_MEMBER!r} member", f"only {sorted(by_name)[:5]}")
            if head.dtype != numpy.uint8 or len(head.shape) != 1 or head.size > MAX_HEADER_BYTES:
                raise _fail(path, f"the header as at most {MAX_HEADER_BYTES} uint8 bytes", f"{head.dtype} {head.shape}")
            raw = _read_data(path, handle, head)[head.array_offset :]
            try:
                header = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise _fail(path, "a JSON header", f"unreadable text ({error})") from None
            if not isinstance(header, dict):
                raise _fail(path, "a JSON object as header", type(header).__name__)
            listed = header.get("arrays")
            if not isinstance(listed, dict):
                raise _fail(path, "the header's 'arrays' listing as a dict", type(listed).__name__)
            array_members = {m.name[: -len(".npy")]: m for m in members if m.name != HEADER_MEMBER}
            if set(listed) != set(array_members):
                raise _fail(path, f"the arrays the header lists ({sorted(listed)[:5]})", f"members {sorted(array_members)[:5]}")
            for key, entry in listed.items():
                member = array_members[key]
                ok = (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)
                      and isinstance(entry[1], str))
                if not ok or tuple(entry[0]) != member.shape or entry[1] != member.dtype.str:
                    raise _fail(path, f"array {key!r} as the header lists it ({entry!r})",
                                f"{member.dtype.str} {list(member.shape)} in the member")
            arrays = {}
            for key, member in array_members.items():
                data = _read_data(path, handle, member)
                arrays[key] = numpy.frombuffer(data, dtype=member.dtype, offset=member.array_offset).reshape(member.shape).copy()
    except CheckpointError:
        raise
    except OSError as error:
        raise CheckpointError(f"{_name(path)} cannot be read ({type(error).__name__}: {error.strerror or error}); nothing was loaded.") from None
    except Exception as error:  # noqa: BLE001  (whatever else a damaged file triggers is the same finding)
        first_line = str(error).splitlines()[0] if str(error) else ""
        raise CheckpointError(
            f"{_name(path)} is not a readable lstmkit file: expected a canonical archive, found damage "
            f"({type(error).__name__}: {first_line}); nothing was loaded."
        ) from None
    return header, arrays


def _is_numpy_savez_checkpoint(path: Path) -> bool:
    """True for a zip that numpy.savez wrote with an lstmkit header (format 1); reads only the directory."""
    import zipfile  # noqa: PLC0415  (only for this message)

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except Exception:  # noqa: BLE001  (anything unreadable is simply not such a file)
        return False
    return (
        any(info.filename == HEADER_MEMBER for info in infos)
        and all(info.compress_type == zipfile.ZIP_STORED and info.filename.endswith(".npy") for info in infos)
        and all(info.create_version == 45 for info in infos)  # numpy.savez writes zip64-ready members
    )


# --------------------------------------------------------------------------- lk.save / lk.load


def save(obj: Any, f: str | os.PathLike[str]) -> None:
    """Save ``obj`` (nested dicts/lists/tuples of arrays, tensors, numbers, strings) to file ``f``, safely.

    Like ``torch.save`` for state dicts and checkpoints, without pickle: objects of
    other types are refused with a :class:`CheckpointError` naming where they are.
    The file is written atomically.
    """
    if not isinstance(f, str | os.PathLike):
        raise TypeError(f"save: f must be a path (str or pathlib.Path), got {type(f).__name__}; file objects are not supported.")
    arrays: dict[str, numpy.ndarray] = {}
    skeleton = encode(obj, arrays, "obj", "a")
    header = {"format": SAVE_FORMAT, "format_version": SAVE_FORMAT_VERSION, "object": skeleton}
    write_archive(f, header, arrays)


def load(f: str | os.PathLike[str], map_location: Any = None, *, weights_only: bool = True) -> Any:
    """Load what :func:`save` wrote (NumPy arrays, Tensors where Tensors were saved).

    A checkpoint file from ``lstmkit.checkpoint.save_checkpoint`` loads as a dict
    (``"model"``, ``"optimizer"``, ``"scheduler"``, ``"step"``, ``"history"``, ``"extra"``,
    ``"config"``, ``"rng"``); ``lstmkit.checkpoint.load_checkpoint`` loads one into a model
    with every header check. ``map_location`` may be None or "cpu";
    ``weights_only`` must stay True (lstmkit never unpickles).
    """
    if not weights_only:
        raise ValueError("load: weights_only=False would mean unpickling arbitrary objects, which lstmkit never does.")
    if map_location not in (None, "cpu"):
        raise ValueError(f"load: map_location must be None or 'cpu' (arrays load on the host), got {map_location!r}; "
                         "move them afterwards with lk.tensor(array, device=...).")
    path = Path(f)
    header, arrays = read_archive(path)
    kind = header.get("format")
    if kind == CHECKPOINT_FORMAT:
        return _checkpoint_as_dict(path, header, arrays)
    if kind != SAVE_FORMAT:
        raise _fail(path, f"format {SAVE_FORMAT!r}", repr(kind))
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version != SAVE_FORMAT_VERSION:
        raise _fail(path, f"format_version {SAVE_FORMAT_VERSION}", repr(version))
    if "object" not in header:
        raise _fail(path, "an 'object' in the header", "none")
    return decode(header["object"], arrays, "object")


def _checkpoint_as_dict(path: Path, header: dict[str, Any], arrays: dict[str, numpy.ndarray]) -> dict[str, Any]:
    """A checkpoint file's contents as plain data (what ``torch.load`` gives for a checkpoint dict)."""
    out: dict[str, Any] = {"model": {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("model/")}}
    for key in ("optimizer", "scheduler"):
        skeleton = header.get(key)
        out[key] = None if skeleton is None else decode(skeleton, arrays, f"{_name(path)}: {key}")
    for key in ("step", "history", "extra", "config", "rng"):
        out[key] = header.get(key)
    return out
