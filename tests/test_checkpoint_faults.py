"""Every damaged checkpoint gives CheckpointError and leaves model, optimiser, scheduler and RNG exactly as they were.

Flips every byte of the zip structure (each local header, the central directory, the
end record) and of every member's .npy header, truncates the file, and crafts each bad
header field and each hostile archive (a plain .npy, a raw member, a 2**40-element
declaration, a 200 MiB zip bomb).
"""

from __future__ import annotations

import copy
import json
import os
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import rng, serialization
from lstmkit.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from lstmkit.nn.module import Module, Parameter
from lstmkit.optim import Adam
from lstmkit.optim.lr_scheduler import StepLR


class Tiny(Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = Parameter(rng.normal((3, 2)))
        self.v = Parameter(rng.normal((2,)))

    def forward(self, x):
        return (x @ self.w).tanh() * self.v

    def config(self):
        return {"model": "Tiny"}


def _trained(seed: int):
    rng.manual_seed(seed)
    model = Tiny()
    opt = Adam(model.parameters(), lr=0.05, amsgrad=True)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    x = lk.tensor(np.random.default_rng(seed).standard_normal((4, 3)).astype(np.float32))
    for _ in range(3):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        sched.step()
    return model, opt, sched


@pytest.fixture
def saved(tmp_path):
    model, opt, sched = _trained(0)
    rng.manual_seed(123)
    path = save_checkpoint(tmp_path / "good.ckpt", model, opt, scheduler=sched, step=3,
                           history=[{"step": 1, "loss": 0.5}], extra={"train_config": {"seed": 0}})
    return path


@pytest.fixture
def target():
    """A model, optimiser and scheduler that differ from the saved ones, and a way to check them."""
    model, opt, sched = _trained(1)
    rng.manual_seed(99)
    rng.generator().random(3)

    def snapshot():
        return (
            {k: np.array(v, copy=True) for k, v in model.state_dict().items()},
            copy.deepcopy(opt.state_dict()),
            copy.deepcopy(sched.state_dict()),
            copy.deepcopy(rng.generator().bit_generator.state),
            [dict(g) for g in opt.param_groups],
        )

    return model, opt, sched, snapshot


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b)) and np.asarray(a).dtype == np.asarray(b).dtype
    if isinstance(a, lk.Tensor):
        return a is b
    return a == b


def _refused(path, target, before=None) -> str:
    model, opt, sched, snapshot = target
    before = snapshot() if before is None else before
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, model, opt, scheduler=sched, restore_rng=True)
    after = snapshot()
    assert _same(before, after), f"state changed by a failed load: {info.value}"
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_good_checkpoint_loads_and_numpy_and_zipfile_read_it(saved, target):
    model, opt, sched, _ = target
    ckpt = load_checkpoint(saved, model, opt, scheduler=sched, restore_rng=True)
    assert ckpt.step == 3 and sched.last_epoch == 3 and sched.get_last_lr() == [0.025]
    with np.load(saved, allow_pickle=False) as archive:
        assert "model/w" in archive.files
        np.testing.assert_array_equal(archive["model/w"], model.state_dict()["w"])
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None


def _structure_offsets(path) -> list[int]:
    """Byte offsets of every zip header field (local headers, central directory, end record)
    and of every member's .npy header."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        central_start = min(len(data), *(i.header_offset for i in infos))
        offsets = []
        for info in infos:
            local = info.header_offset
            body = local + 30 + len(info.filename.encode())
            offsets.extend(range(local, body))  # local header and name
            npy_length = 10 + struct.unpack("<H", data[body + 8 : body + 10])[0]
            offsets.extend(range(body, body + npy_length))  # the member's .npy header
    directory = data.rfind(b"PK\x01\x02", 0, len(data))
    first = data.find(b"PK\x01\x02", central_start)
    assert first <= directory
    offsets.extend(range(first, len(data)))  # central directory and end record
    return sorted(set(offsets))


@pytest.mark.parametrize("mask", [0xFF, 0x01])
def test_flipping_any_header_byte_is_refused_and_changes_nothing(saved, target, tmp_path, mask):
    good = saved.read_bytes()
    offsets = _structure_offsets(saved)
    assert len(offsets) > 500  # every member's headers are in there
    damaged = tmp_path / "damaged.ckpt"
    damaged.write_bytes(good)
    before = target[3]()
    fd = os.open(damaged, os.O_RDWR)
    try:
        for offset in offsets:
            os.pwrite(fd, bytes([good[offset] ^ mask]), offset)
            _refused(damaged, target, before)
            os.pwrite(fd, good[offset : offset + 1], offset)
    finally:
        os.close(fd)
    assert damaged.read_bytes() == good


def test_every_truncation_is_refused(saved, target, tmp_path):
    good = saved.read_bytes()
    damaged = tmp_path / "short.ckpt"
    for length in [*range(0, 64), *range(64, len(good), 13), len(good) - 1]:
        damaged.write_bytes(good[:length])
        _refused(damaged, target)
    damaged.write_bytes(good + b"\0")
    _refused(damaged, target)


# --------------------------------------------------------------------------- crafted headers


def _rewrite(path, dest, change):
    """Write ``dest`` as a canonical archive with the header of ``path`` changed by ``change(header)``."""
    header, arrays = serialization.read_archive(path)
    header = copy.deepcopy(header)
    change(header)
    listing = header.pop("arrays")
    members = [(serialization.HEADER_MEMBER, None)] + [(k + ".npy", a) for k, a in arrays.items()]
    header["arrays"] = listing
    payload = json.dumps(header).encode()
    raw = [(serialization.HEADER_MEMBER, serialization._npy_bytes(np.frombuffer(payload, np.uint8)))]
    raw += [(name, serialization._npy_bytes(a)) for name, a in members[1:]]
    with open(dest, "wb") as handle:
        serialization._write_zip(handle, raw)
    return dest


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(header):
        target = header
        for key in keys[:-1]:
            target = target[key]
        if value is KeyError:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value

    return change


def _mt19937_state():
    state = np.random.MT19937(0).state
    state["state"]["key"] = state["state"]["key"].tolist()
    return state


def _point_optimizer_at_missing(header):
    text = json.dumps(header["optimizer"]).replace('"optim/3"', '"optim/999"', 1)
    assert "optim/999" in text
    header["optimizer"] = json.loads(text)


def _swap_optimizer_arrays(header):
    """exp_avg of parameter 0 now refers to parameter 1's (another shape)."""
    state = header["optimizer"]["__dict__"][0][1]["__dict__"]
    first, second = state[0][1]["__dict__"], state[1][1]["__dict__"]
    first[1][1], second[1][1] = second[1][1], first[1][1]


BAD_HEADERS = {
    "format_version as string": (_set("format_version", "2"), "'format_version' should be"),
    "format_version bool": (_set("format_version", True), "'format_version' should be"),
    "format_version old": (_set("format_version", 1), "format 1; this lstmkit reads format 2"),
    "format_version newer": (_set("format_version", 99), "newer than this lstmkit"),
    "format_version missing": (_set("format_version", KeyError), "'format_version' should be"),
    "format other": (_set("format", "something-else"), "not an lstmkit checkpoint"),
    "lstmkit_version number": (_set("lstmkit_version", 1), "'lstmkit_version' should be"),
    "model_class null": (_set("model_class", None), "'model_class' should be"),
    "config list": (_set("config", [1, 2]), "'config' should be a dict or null"),
    "step string": (_set("step", "3"), "'step' should be an integer"),
    "step negative": (_set("step", -1), "'step' should be an integer >= 0"),
    "step float": (_set("step", 2.5), "'step' should be an integer"),
    "step bool": (_set("step", True), "'step' should be an integer"),
    "step missing": (_set("step", KeyError), "'step' should be"),
    "history dict": (_set("history", {"step": 1}), "'history' should be a list of dicts"),
    "history of numbers": (_set("history", [1, 2]), "'history' should be a list of dicts"),
    "extra list": (_set("extra", []), "'extra' should be a dict"),
    "seed string": (_set("extra", "train_config", "seed", "0"), "'extra.train_config.seed' should be an integer"),
    "train_config list": (_set("extra", "train_config", [0]), "'extra.train_config' should be a dict"),
    "rng of another bit generator": (_set("rng", _mt19937_state()), "state for 'MT19937'"),
    "rng state garbage": (_set("rng", "state", "garbage"), "'rng' should be a valid PCG64 state"),
    "rng not a dict": (_set("rng", [1, 2]), "'rng' should be a PCG64 state dict"),
    "optimizer points at a missing array": (_point_optimizer_at_missing, "refers to arrays \\['optim/999'\\]"),
    "optimizer not a state dict": (_set("optimizer", 5), "'optimizer' should be a state dict"),
    "optimizer unknown tag": (_set("optimizer", {"__pickle__": "x"}), "not a value the safe format writes"),
    "optimizer arrays of another shape": (_swap_optimizer_arrays, "could not be loaded \\(OptimizerStateError"),
    "optimizer groups damaged": (_set("optimizer", "__dict__", 1, 1, [{"__dict__": [["lr", "fast"]]}]), "could not be loaded"),
    "scheduler unknown entry": (_set("scheduler", "__dict__", 0, 0, "bogus"), "unknown entries \\['bogus'\\]"),
    "scheduler points at a missing array": (_set("scheduler", {"__array__": "sched/0"}), "refers to arrays \\['sched/0'\\]"),
    "arrays listing wrong shape": (_set("arrays", "model/w", [[2, 3], "<f4"]), "array 'model/w' as the header lists it"),
    "arrays listing wrong dtype": (_set("arrays", "model/w", [[3, 2], "<f8"]), "array 'model/w' as the header lists it"),
    "arrays listing missing a member": (_set("arrays", "model/w", KeyError), "the arrays the header lists"),
    "arrays listing not a dict": (_set("arrays", [1]), "'arrays' listing as a dict"),
}


@pytest.mark.parametrize("case", sorted(BAD_HEADERS))
def test_each_bad_header_field_is_refused_and_changes_nothing(saved, target, tmp_path, case):
    change, message = BAD_HEADERS[case]
    path = _rewrite(saved, tmp_path / "crafted.ckpt", change)
    found = _refused(path, target)
    assert __import__("re").search(message, found), found


def test_unchanged_rewrite_still_loads(saved, target, tmp_path):
    """The crafting helper itself writes valid files: only the change makes them fail."""
    path = _rewrite(saved, tmp_path / "same.ckpt", lambda header: None)
    model, opt, sched, _ = target
    assert load_checkpoint(path, model, opt, scheduler=sched, restore_rng=True).step == 3


# --------------------------------------------------------------------------- hostile archives


def _npy_header(descr: str, shape: tuple) -> bytes:
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def _archive_with(path, saved, name, data):
    """The good checkpoint's members plus (or with ``name`` replaced by) raw ``data``."""
    good = zipfile.ZipFile(saved)
    members = [(info.filename, good.read(info.filename)) for info in good.infolist() if info.filename != name]
    members.append((name, data))
    with open(path, "wb") as handle:
        serialization._write_zip(handle, members)
    return path


def test_a_plain_npy_file_is_refused(target, tmp_path):
    np.save(tmp_path / "plain.npy", np.zeros(3))
    assert "a plain .npy array file" in _refused(tmp_path / "plain.npy", target)


def test_a_raw_member_and_a_non_npy_member_are_refused(saved, target, tmp_path):
    raw = _archive_with(tmp_path / "raw.ckpt", saved, "model/w.npy", b"just some bytes, not an array")
    assert "'model/w.npy' to be a .npy array" in _refused(raw, target)
    text = _archive_with(tmp_path / "text.ckpt", saved, "notes.txt", b"hello")
    assert "to be a .npy member" in _refused(text, target)
    pickled = _archive_with(tmp_path / "pickle.ckpt", saved, "model/w.npy", _npy_header("|O", (3, 2)) + b"\x80\x04N.")
    assert "to hold numbers" in _refused(pickled, target)


def test_a_member_declaring_2_to_the_40_elements_is_refused_before_any_allocation(saved, target, tmp_path):
    big = _archive_with(tmp_path / "big.ckpt", saved, "model/w.npy", _npy_header("<f4", (2**40,)) + b"\0" * 24)
    tracemalloc.start()
    try:
        message = _refused(big, target)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "model/w.npy" in message and "to fill its" in message
    assert peak < 16 * 2**20


def test_a_200_mib_zip_bomb_is_refused_without_decompressing(saved, target, tmp_path):
    bomb = tmp_path / "bomb.ckpt"
    size = 200 * 2**20
    with zipfile.ZipFile(saved) as good, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in good.infolist():
            if info.filename != "model/w.npy":
                out.writestr(info.filename, good.read(info.filename))
        with out.open("model/w.npy", "w") as member:
            member.write(_npy_header("<f4", (size // 4,)))
            chunk = b"\0" * 2**22
            for _ in range(size // len(chunk)):
                member.write(chunk)
    assert bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    try:
        message = _refused(bomb, target)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "expected" in message and "found" in message
    assert peak < 16 * 2**20  # nothing was decompressed

    # the same bomb in an otherwise canonical archive: refused for its compression method
    canonical = bytearray(_archive_with(tmp_path / "b2.ckpt", saved, "model/w.npy", zlib.compress(b"\0" * 2**20)).read_bytes())
    central = canonical.rfind(b"PK\x01\x02")
    canonical[central + 10] = 8  # method: deflate
    (tmp_path / "b2.ckpt").write_bytes(bytes(canonical))
    assert "method 0x0" in _refused(tmp_path / "b2.ckpt", target)


def test_the_next_save_removes_temporary_files_of_killed_saves(saved, tmp_path):
    model, opt, _ = _trained(0)
    stale = [tmp_path / ".good.ckpt.abc123.tmp", tmp_path / ".good.ckpt.zz.tmp"]
    for p in stale:
        p.write_bytes(b"half a checkpoint")
    other = tmp_path / ".other.ckpt.x.tmp"
    other.write_bytes(b"another file's temporary")
    save_checkpoint(saved, model, opt)
    assert not any(p.exists() for p in stale)
    assert other.exists()  # only this checkpoint's temporaries
    assert read_checkpoint(saved).model_state.keys() == {"w", "v"}


def test_save_refuses_bad_step_and_unsafe_extra(tmp_path):
    model, opt, _ = _trained(0)
    with pytest.raises(CheckpointError, match="step must be an integer"):
        save_checkpoint(tmp_path / "c.ckpt", model, opt, step="3")
    with pytest.raises(CheckpointError, match="extra is not JSON-safe"):
        save_checkpoint(tmp_path / "c.ckpt", model, opt, extra={"f": print})
    assert not os.listdir(tmp_path)
