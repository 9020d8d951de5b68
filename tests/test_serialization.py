"""lk.save / lk.load: state dicts and whole checkpoints in the safe archive, no pickle."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn, optim, serialization
from lstmkit.checkpoint import save_checkpoint
from lstmkit.serialization import CheckpointError


def _same(a, b):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b and type(a) is type(b)


def test_nested_state_round_trips_exactly(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    model(lk.ones(4, 3)).sum().backward()
    opt.step()
    obj = {
        "model": dict(model.state_dict()),
        "optimizer": opt.state_dict(),
        "epoch": 3, "loss": 0.25, "name": "run-1", "done": False, "note": None,
        "ints": np.arange(5, dtype=np.int64), "pair": (1, 2.5), 7: ["seven", np.float32(1.5)],
    }
    serialization.save(obj, tmp_path / "state.lk")
    loaded = serialization.load(tmp_path / "state.lk")
    expected = dict(obj)
    expected[7] = ["seven", 1.5]
    _same(expected, loaded)
    fresh = optim.Adam(model.parameters(), lr=0.5)
    fresh.load_state_dict(loaded["optimizer"])
    assert fresh.param_groups[0]["lr"] == 0.01


def test_tensors_come_back_as_tensors_and_torch_tensors_as_arrays(tmp_path):
    serialization.save({"t": lk.tensor([1.0, 2.0]), "a": np.zeros(2)}, tmp_path / "x.lk")
    loaded = serialization.load(tmp_path / "x.lk")
    assert isinstance(loaded["t"], lk.Tensor) and loaded["t"].numpy().tolist() == [1.0, 2.0]
    assert isinstance(loaded["a"], np.ndarray)


@pytest.mark.torch
def test_a_torch_state_dict_saves_and_loads_into_torch_again(tmp_path):
    torch = pytest.importorskip("torch")
    module = torch.nn.LSTM(3, 4)
    serialization.save(module.state_dict(), tmp_path / "lstm.lk")
    loaded = serialization.load(tmp_path / "lstm.lk")
    other = torch.nn.LSTM(3, 4)
    other.load_state_dict({k: torch.from_numpy(v) for k, v in loaded.items()})
    for k, v in module.state_dict().items():
        assert torch.equal(v, other.state_dict()[k])


def test_unsupported_objects_are_refused_with_where_they_are(tmp_path):
    class Custom:
        pass

    with pytest.raises(CheckpointError, match=r"obj\['extra'\]\[1\] holds a Custom.*no pickle"):
        serialization.save({"extra": [1, Custom()]}, tmp_path / "x.lk")
    with pytest.raises(CheckpointError, match="dtype <U1"):
        serialization.save({"s": np.array(["a"])}, tmp_path / "x.lk")
    with pytest.raises(CheckpointError, match="key of type tuple"):
        serialization.save({(1, 2): 3}, tmp_path / "x.lk")
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="never"):
        serialization.load(tmp_path / "x.lk", weights_only=False)


def test_load_reads_a_checkpoint_and_refuses_foreign_files(tmp_path):
    model = nn.Linear(2, 2)
    path = save_checkpoint(tmp_path / "c.ckpt", model, step=4)
    ckpt = serialization.load(path)
    assert ckpt["step"] == 4 and ckpt["optimizer"] is None
    np.testing.assert_array_equal(ckpt["model"]["weight"], model.state_dict()["weight"])
    np.save(tmp_path / "plain.npy", np.zeros(2))
    with pytest.raises(CheckpointError, match="plain .npy"):
        serialization.load(tmp_path / "plain.npy")
    with pytest.raises(CheckpointError, match="does not exist"):
        serialization.load(tmp_path / "missing.lk")


def test_the_package_offers_save_and_load():
    assert lk.save is serialization.save and lk.load is serialization.load
