"""The fused GRU, RNN and LSTM (packed, projected) Functions: gradcheck in float64, the
readable cells unrolled against the fused layers, and the reference step arithmetic
against the textbook equations."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn
from lstmkit.nn import fused_gru, fused_rnn
from lstmkit.nn.fused_gru import GRULayer
from lstmkit.nn.fused_lstm import LSTMLayer
from lstmkit.nn.fused_rnn import RNNLayer

T, B, N_IN, H, P = 4, 3, 2, 3, 2
BATCH_SIZES = [3, 2, 2, 1]


def _tensors(gen, *shapes):
    return [lk.tensor(gen.standard_normal(s), requires_grad=True) for s in shapes]


def _summed(layer, **params):
    def fn(*inputs):
        outputs = layer.apply(*inputs, **params)
        return sum((o * o).sum() for o in outputs)
    return fn


@pytest.mark.parametrize("batch_sizes", [None, BATCH_SIZES])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_layer_passes_gradcheck(batch_sizes, bias):
    gen = np.random.default_rng(0)
    inputs = _tensors(gen, (T, B, N_IN), (B, H), (3 * H, N_IN), (3 * H, H), *([(3 * H,)] * 2 if bias else []))
    assert lk.gradcheck(_summed(GRULayer, batch_sizes=batch_sizes), inputs)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batch_sizes", [None, BATCH_SIZES])
def test_rnn_layer_passes_gradcheck(nonlinearity, batch_sizes):
    gen = np.random.default_rng(1)
    inputs = _tensors(gen, (T, B, N_IN), (B, H), (H, N_IN), (H, H), (H,), (H,))
    assert lk.gradcheck(_summed(RNNLayer, nonlinearity=nonlinearity, batch_sizes=batch_sizes), inputs)


@pytest.mark.parametrize("proj", [False, True])
@pytest.mark.parametrize("batch_sizes", [None, BATCH_SIZES])
def test_lstm_layer_with_packing_or_projection_passes_gradcheck(proj, batch_sizes):
    gen = np.random.default_rng(2)
    out = P if proj else H
    shapes = [(T, B, N_IN), (B, out), (B, H), (4 * H, N_IN), (4 * H, out), (4 * H,), (4 * H,)]
    inputs = _tensors(gen, *shapes, *([(P, H)] if proj else []))
    assert lk.gradcheck(_summed(LSTMLayer, proj=proj, batch_sizes=batch_sizes), inputs)


def test_packed_lstm_path_with_full_batches_equals_the_plain_fast_path():
    gen = np.random.default_rng(3)
    inputs = _tensors(gen, (T, B, N_IN), (B, H), (B, H), (4 * H, N_IN), (4 * H, H), (4 * H,), (4 * H,))
    plain = LSTMLayer.apply(*inputs)
    general = LSTMLayer.apply(*inputs, batch_sizes=[B] * T)
    for a, b in zip(plain, general, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14, atol=1e-15)


def test_bad_batch_sizes_are_explained():
    gen = np.random.default_rng(4)
    inputs = _tensors(gen, (T, B, N_IN), (B, H), (3 * H, N_IN), (3 * H, H))
    with pytest.raises(ValueError, match="non-increasing"):
        GRULayer.apply(*inputs, batch_sizes=[1, 2, 3, 3])


@pytest.mark.parametrize("kind", ["GRU", "RNN"])
def test_fused_layers_match_their_readable_cells_unrolled(kind):
    gen = np.random.default_rng(5)
    layer = getattr(nn, kind)(N_IN, H, dtype="float64")
    cell = getattr(nn, f"{kind}Cell")(N_IN, H, dtype="float64")
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = lk.tensor(gen.standard_normal((T, B, N_IN)), requires_grad=True)
    h0 = lk.tensor(gen.standard_normal((1, B, H)), requires_grad=True)
    out, h_n = layer(x, h0)
    (out.sum() + (h_n * h_n).sum()).backward()
    fused_grads = [x.grad.copy(), h0.grad.copy()] + [p.grad.copy() for p in layer.parameters()]
    x.grad = h0.grad = None
    h, steps = h0[0], []
    for t in range(T):
        h = cell(x[t], h)
        steps.append(h)
    (lk.stack(steps).sum() + (h * h).sum()).backward()
    np.testing.assert_allclose(out.numpy(), lk.stack(steps).numpy(), rtol=1e-13, atol=1e-14)
    cell_grads = [x.grad, h0.grad] + [p.grad for p in cell.parameters()]
    for fused, unrolled in zip(fused_grads, cell_grads, strict=True):
        np.testing.assert_allclose(fused, unrolled, rtol=1e-12, atol=1e-13)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_gru_reference_steps_follow_the_equations_and_their_derivatives():
    gen = np.random.default_rng(6)
    gi, gh = gen.standard_normal((B, 3 * H)), gen.standard_normal((B, 3 * H))
    h_prev, dh = gen.standard_normal((B, H)), gen.standard_normal((B, H))
    acts, hn, h = gi.copy(), np.empty((B, H)), np.empty((B, H))
    fused_gru.forward_step_reference(acts, gh, h_prev, hn, h)
    r = _sigmoid(gi[:, :H] + gh[:, :H])
    z = _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    np.testing.assert_allclose(h, (1 - z) * n + z * h_prev, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(acts, np.concatenate([r, z, n], axis=1), rtol=1e-14, atol=1e-15)
    dgh, dh_direct = np.empty((B, 3 * H)), np.empty((B, H))
    fused_gru.backward_step_reference(acts, hn, h_prev, dh, dgh, dh_direct, np.empty((2, B, H)))
    dn = dh * (1 - z) * (1 - n**2)
    expected_dgi = np.concatenate([dn * hn * r * (1 - r), dh * (h_prev - n) * z * (1 - z), dn], axis=1)
    np.testing.assert_allclose(acts, expected_dgi, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dgh[:, 2 * H:], dn * r, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dh_direct, dh * z, rtol=1e-14)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_reference_steps_follow_the_equation(nonlinearity):
    gen = np.random.default_rng(7)
    pre, rec, dy, dh_rec = (gen.standard_normal((B, H)) for _ in range(4))
    h, dz = np.empty((B, H)), np.empty((B, H))
    fused_rnn.forward_step_reference(pre, rec, h, nonlinearity)
    expected = np.tanh(pre + rec) if nonlinearity == "tanh" else np.maximum(pre + rec, 0)
    np.testing.assert_allclose(h, expected, rtol=1e-15)
    fused_rnn.backward_step_reference(h, dy, dh_rec, dz, nonlinearity)
    slope = 1 - expected**2 if nonlinearity == "tanh" else (pre + rec > 0)
    np.testing.assert_allclose(dz, (dy + dh_rec) * slope, rtol=1e-14)


def test_float32_layers_stay_float32():
    for layer in (nn.GRU(2, 3, bidirectional=True), nn.RNN(2, 3), nn.LSTM(2, 4, proj_size=2)):
        out = layer(lk.tensor(np.ones((3, 2, 2), dtype="float32")))[0]
        assert out.dtype == np.float32
