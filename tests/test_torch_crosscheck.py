"""lstmkit's LSTM, LSTMCell, RNN and optimisers against PyTorch, with the same weights."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the cross-checks need it")

pytestmark = pytest.mark.torch

TOL = dict(rtol=1e-5, atol=1e-5)


def _torch_state(module):
    return {k: torch.from_numpy(v.copy()) for k, v in module.state_dict().items()}


def _assert_grads_match(ours, theirs):
    their_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad, their_params[name].grad.numpy(), **TOL, err_msg=name)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_matches_torch_outputs_states_and_every_gradient(num_layers, batch_first, with_state):
    gen = np.random.default_rng(num_layers * 10 + batch_first * 2 + with_state)
    T, B, n_in, H = 6, 3, 5, 7
    ours = nn.LSTM(n_in, H, num_layers=num_layers, batch_first=batch_first)
    theirs = torch.nn.LSTM(n_in, H, num_layers=num_layers, batch_first=batch_first)
    theirs.load_state_dict(_torch_state(ours))
    shape = (B, T, n_in) if batch_first else (T, B, n_in)
    x_np = gen.standard_normal(shape).astype("float32")
    h0_np = gen.standard_normal((num_layers, B, H)).astype("float32")
    c0_np = gen.standard_normal((num_layers, B, H)).astype("float32")
    out_shape = (B, T, H) if batch_first else (T, B, H)
    R = gen.standard_normal(out_shape).astype("float32")
    Rh = gen.standard_normal((num_layers, B, H)).astype("float32")
    Rc = gen.standard_normal((num_layers, B, H)).astype("float32")

    x = lk.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    if with_state:
        h0, c0 = lk.tensor(h0_np, requires_grad=True), lk.tensor(c0_np, requires_grad=True)
        h0t, c0t = torch.tensor(h0_np, requires_grad=True), torch.tensor(c0_np, requires_grad=True)
        out, (h_n, c_n) = ours(x, (h0, c0))
        out_t, (h_n_t, c_n_t) = theirs(xt, (h0t, c0t))
    else:
        out, (h_n, c_n) = ours(x)
        out_t, (h_n_t, c_n_t) = theirs(xt)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(h_n.numpy(), h_n_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(c_n.numpy(), c_n_t.detach().numpy(), **TOL)

    ((out * R).sum() + (h_n * Rh).sum() + (c_n * Rc).sum()).backward()
    ((out_t * torch.from_numpy(R)).sum() + (h_n_t * torch.from_numpy(Rh)).sum()
     + (c_n_t * torch.from_numpy(Rc)).sum()).backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), **TOL)
    if with_state:
        np.testing.assert_allclose(h0.grad, h0t.grad.numpy(), **TOL)
        np.testing.assert_allclose(c0.grad, c0t.grad.numpy(), **TOL)
    _assert_grads_match(ours, theirs)


def test_lstm_loads_weights_from_a_torch_model():
    theirs = torch.nn.LSTM(4, 5, num_layers=2)
    ours = nn.LSTM(4, 5, num_layers=2)
    ours.load_state_dict(theirs.state_dict())
    x_np = np.random.default_rng(1).standard_normal((3, 2, 4)).astype("float32")
    out, _ = ours(lk.tensor(x_np))
    out_t, _ = theirs(torch.from_numpy(x_np))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **TOL)


def test_lstm_unbatched_input_matches_torch():
    ours = nn.LSTM(3, 4, num_layers=2)
    theirs = torch.nn.LSTM(3, 4, num_layers=2)
    theirs.load_state_dict(_torch_state(ours))
    x_np = np.random.default_rng(2).standard_normal((5, 3)).astype("float32")
    out, (h_n, c_n) = ours(lk.tensor(x_np))
    out_t, (h_n_t, c_n_t) = theirs(torch.from_numpy(x_np))
    assert out.shape == tuple(out_t.shape) and h_n.shape == tuple(h_n_t.shape)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(c_n.numpy(), c_n_t.detach().numpy(), **TOL)


def test_lstm_without_bias_matches_torch():
    ours = nn.LSTM(3, 4, bias=False)
    theirs = torch.nn.LSTM(3, 4, bias=False)
    theirs.load_state_dict(_torch_state(ours))
    x_np = np.random.default_rng(3).standard_normal((5, 2, 3)).astype("float32")
    x = lk.tensor(x_np)
    out, _ = ours(x)
    out_t, _ = theirs(torch.from_numpy(x_np))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **TOL)
    out.sum().backward()
    out_t.sum().backward()
    _assert_grads_match(ours, theirs)


@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_cell_matches_torch_lstm_cell(with_state):
    gen = np.random.default_rng(4)
    ours = nn.LSTMCell(5, 6)
    theirs = torch.nn.LSTMCell(5, 6)
    theirs.load_state_dict(_torch_state(ours))
    x_np = gen.standard_normal((3, 5)).astype("float32")
    h_np, c_np = gen.standard_normal((2, 3, 6)).astype("float32")
    R = gen.standard_normal((2, 3, 6)).astype("float32")
    state = (lk.tensor(h_np), lk.tensor(c_np)) if with_state else None
    state_t = (torch.from_numpy(h_np), torch.from_numpy(c_np)) if with_state else None
    h, c = ours(lk.tensor(x_np), state)
    ht, ct = theirs(torch.from_numpy(x_np), state_t)
    np.testing.assert_allclose(h.numpy(), ht.detach().numpy(), **TOL)
    np.testing.assert_allclose(c.numpy(), ct.detach().numpy(), **TOL)
    ((h * R[0]).sum() + (c * R[1]).sum()).backward()
    ((ht * torch.from_numpy(R[0])).sum() + (ct * torch.from_numpy(R[1])).sum()).backward()
    _assert_grads_match(ours, theirs)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
def test_rnn_matches_torch_rnn(num_layers, batch_first):
    gen = np.random.default_rng(5)
    ours = nn.RNN(4, 5, num_layers=num_layers, batch_first=batch_first)
    theirs = torch.nn.RNN(4, 5, num_layers=num_layers, batch_first=batch_first)
    theirs.load_state_dict(_torch_state(ours))
    x_np = gen.standard_normal((3, 6, 4)).astype("float32")
    h0_np = gen.standard_normal((num_layers, 3 if batch_first else 6, 5)).astype("float32")
    out, h_n = ours(lk.tensor(x_np), lk.tensor(h0_np))
    out_t, h_n_t = theirs(torch.from_numpy(x_np), torch.from_numpy(h0_np))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(h_n.numpy(), h_n_t.detach().numpy(), **TOL)
    R = gen.standard_normal(out.shape).astype("float32")
    ((out * R).sum() + h_n.sum()).backward()
    ((out_t * torch.from_numpy(R)).sum() + h_n_t.sum()).backward()
    _assert_grads_match(ours, theirs)


def test_rnn_cell_matches_torch_rnn_cell():
    ours = nn.RNNCell(4, 5)
    theirs = torch.nn.RNNCell(4, 5)
    theirs.load_state_dict(_torch_state(ours))
    x_np = np.random.default_rng(6).standard_normal((3, 4)).astype("float32")
    h = ours(lk.tensor(x_np))
    ht = theirs(torch.from_numpy(x_np))
    np.testing.assert_allclose(h.numpy(), ht.detach().numpy(), **TOL)


def test_linear_matches_torch_linear():
    ours = nn.Linear(4, 3)
    theirs = torch.nn.Linear(4, 3)
    theirs.load_state_dict(_torch_state(ours))
    x_np = np.random.default_rng(7).standard_normal((2, 5, 4)).astype("float32")
    y = ours(lk.tensor(x_np))
    yt = theirs(torch.from_numpy(x_np))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **TOL)
    y.sum().backward()
    yt.sum().backward()
    _assert_grads_match(ours, theirs)
