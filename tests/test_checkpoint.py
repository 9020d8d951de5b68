"""Checkpoints: safe format, atomic writes, all-or-nothing loading."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import rng, serialization
from lstmkit.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint
from lstmkit.nn.module import Module, Parameter
from lstmkit.optim import Adam


class Tiny(Module):
    """y = tanh(x W) v: two parameters, a config, nothing else."""

    def __init__(self, n_in: int = 3, hidden: int = 4) -> None:
        super().__init__()
        self.n_in, self.hidden = n_in, hidden
        self.w = Parameter(rng.normal((n_in, hidden)))
        self.v = Parameter(rng.normal((hidden, 1)))

    def forward(self, x):
        return (x @ self.w).tanh() @ self.v

    def config(self):
        return {"model": "Tiny", "n_in": self.n_in, "hidden": self.hidden}


def _trained(seed: int = 0, hidden: int = 4) -> tuple[Tiny, Adam]:
    rng.manual_seed(seed)
    model = Tiny(hidden=hidden)
    opt = Adam(model.parameters(), lr=0.05)
    x = lk.tensor(np.random.default_rng(seed).standard_normal((8, 3)).astype(np.float32))
    for _ in range(3):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
    return model, opt


def _params(model: Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_round_trip_restores_parameters_optimizer_and_header(tmp_path):
    model, opt = _trained(0)
    path = save_checkpoint(
        tmp_path / "c.npz", model, opt, step=3, history=[{"step": 1, "loss": 0.5}], extra={"task": "t"}
    )
    other, other_opt = _trained(1)
    ckpt = load_checkpoint(path, other, other_opt)
    _assert_same(_params(other), _params(model))
    saved_state, loaded_state = opt.state_dict(), other_opt.state_dict()
    for index, entries in saved_state["state"].items():
        for name, value in entries.items():
            np.testing.assert_array_equal(loaded_state["state"][index][name], value)
    assert loaded_state["param_groups"][0]["lr"] == 0.05
    assert ckpt.step == 3 and ckpt.history == [{"step": 1, "loss": 0.5}]
    assert ckpt.extra == {"task": "t"} and ckpt.config == model.config()
    assert ckpt.header["lstmkit_version"] == lk.__version__


def test_file_opens_without_pickle_and_holds_only_numeric_arrays(tmp_path):
    model, opt = _trained(0)
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    with np.load(path, allow_pickle=False) as archive:
        dtypes = {archive[k].dtype.kind for k in archive.files}
    assert dtypes <= set("biuf")
    header = read_checkpoint(path).header
    assert header["format"] == "lstmkit-checkpoint"
    json.dumps(header)  # plain JSON all the way down


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path, monkeypatch):
    model, opt = _trained(0)
    path = tmp_path / "c.npz"
    save_checkpoint(path, model, opt, step=1)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, opt, step=2)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old checkpoint survives a failed save
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]
    assert read_checkpoint(path).step == 1


def test_truncated_file_raises_a_clear_error_and_changes_nothing(tmp_path):
    model, opt = _trained(0)
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    target, target_opt = _trained(1)
    before, opt_before = _params(target), target_opt.state_dict()
    with pytest.raises(CheckpointError, match="not a readable lstmkit file"):
        load_checkpoint(path, target, target_opt)
    _assert_same(_params(target), before)
    assert target_opt.state_dict()["state"].keys() == opt_before["state"].keys()
    for i in opt_before["state"]:
        np.testing.assert_array_equal(target_opt.state_dict()["state"][i]["exp_avg"], opt_before["state"][i]["exp_avg"])


def test_flipped_bytes_inside_an_array_are_detected(tmp_path):
    model, _ = _trained(0)
    path = save_checkpoint(tmp_path / "c.npz", model)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:  # any zip tool reads the archive
        info = archive.getinfo("model/w.npy")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.file_size - 4
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))
    target, _ = _trained(1)
    before = _params(target)
    with pytest.raises(CheckpointError, match="its bytes changed"):
        load_checkpoint(path, target)
    _assert_same(_params(target), before)


def test_wrong_architecture_is_refused_before_anything_changes(tmp_path):
    model, opt = _trained(0, hidden=4)
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    bigger, bigger_opt = _trained(1, hidden=5)
    before = _params(bigger)
    with pytest.raises(CheckpointError, match="different architecture.*hidden: saved 4, model 5"):
        load_checkpoint(path, bigger, bigger_opt)
    _assert_same(_params(bigger), before)


def test_mismatched_shapes_are_refused_even_without_a_config(tmp_path):
    model, _ = _trained(0, hidden=4)
    path = save_checkpoint(tmp_path / "c.npz", model, config={})
    other, _ = _trained(1, hidden=6)
    other.config = None  # a model without config(): the shapes still decide
    before = _params(other)
    with pytest.raises(CheckpointError, match=r"wrong shapes \['w: saved \(3, 4\), model \(3, 6\)'"):
        load_checkpoint(path, other)
    _assert_same(_params(other), before)


def test_failing_optimizer_load_puts_the_model_back(tmp_path):
    model, opt = _trained(0)
    path = save_checkpoint(tmp_path / "c.npz", model, opt)
    target, _ = _trained(1)
    lonely = Adam([target.w], lr=0.1)  # one parameter group of another size
    before = _params(target)
    with pytest.raises(CheckpointError, match="left as they were"):
        load_checkpoint(path, target, lonely)
    _assert_same(_params(target), before)


def test_missing_file_and_foreign_npz_give_actionable_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "nope.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a readable lstmkit file.*not written by lstmkit"):
        read_checkpoint(tmp_path / "plain.npz")
    serialization.save({"a": np.zeros(3)}, tmp_path / "saved.lk")
    with pytest.raises(CheckpointError, match="not an lstmkit checkpoint: its header format is 'lstmkit-save'"):
        read_checkpoint(tmp_path / "saved.lk")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(CheckpointError, match="expected a zip archive"):
        read_checkpoint(tmp_path / "text.npz")


def test_restore_rng_continues_the_saved_random_stream(tmp_path):
    model, _ = _trained(0)
    rng.manual_seed(42)
    path = save_checkpoint(tmp_path / "c.npz", model)
    expected = rng.generator().random(5)
    rng.manual_seed(7)
    load_checkpoint(path, model, restore_rng=True)
    np.testing.assert_array_equal(rng.generator().random(5), expected)


def test_unsafe_optimizer_state_is_refused_at_save_time(tmp_path):
    model, _ = _trained(0)

    class Weird:
        def state_dict(self):
            return {"callback": print}

    with pytest.raises(CheckpointError, match="cannot store"):
        save_checkpoint(tmp_path / "c.npz", model, Weird())
    assert not list(tmp_path.iterdir())


OPTIMIZERS = {
    "sgd-nesterov": lambda p: lk.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam-amsgrad": lambda p: lk.optim.Adam(p, lr=0.05, amsgrad=True),
    "adamw": lambda p: lk.optim.AdamW(p, lr=0.05),
    "rmsprop-centered": lambda p: lk.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda p: lk.optim.Adagrad(p, lr=0.1, lr_decay=0.01),
    "lbfgs-strong-wolfe": lambda p: lk.optim.LBFGS(p, max_iter=3, history_size=2, line_search_fn="strong_wolfe"),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_resumes_from_a_checkpoint_exactly(tmp_path, name):
    x = lk.tensor(np.random.default_rng(0).standard_normal((8, 3)))

    def run(model, opt, steps):
        for _ in range(steps):
            def closure():
                opt.zero_grad()
                loss = (model(x) ** 2).mean()
                loss.backward()
                return loss

            opt.step(closure)

    def fresh():
        rng.manual_seed(5)
        model = Tiny()
        model.w.data = model.w.data.astype(np.float64)
        model.v.data = model.v.data.astype(np.float64)
        return model, OPTIMIZERS[name](list(model.parameters()))

    straight, straight_opt = fresh()
    run(straight, straight_opt, 4)
    first, first_opt = fresh()
    run(first, first_opt, 2)
    path = save_checkpoint(tmp_path / "c.ckpt", first, first_opt, step=2)
    resumed, resumed_opt = fresh()
    load_checkpoint(path, resumed, resumed_opt)
    run(resumed, resumed_opt, 2)
    _assert_same(_params(resumed), _params(straight))


def test_a_format_1_checkpoint_from_numpy_savez_is_named_as_such(tmp_path):
    header = json.dumps({"format": "lstmkit-checkpoint", "format_version": 1}).encode()
    np.savez(tmp_path / "old.npz", __header__=np.frombuffer(header, np.uint8), **{"model/w": np.zeros(3)})
    with pytest.raises(CheckpointError, match="older lstmkit \\(format 1, written by numpy.savez\\)"):
        read_checkpoint(tmp_path / "old.npz")
