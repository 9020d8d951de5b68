"""The fused nn.LSTM (one Function per layer, hand-written backward through time)
against the readable LSTMCell unrolled one gate at a time, in float64."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn
from lstmkit.nn import fused_lstm

F64 = dict(rtol=1e-10, atol=1e-12)


def _cells_from(lstm: nn.LSTM) -> list[nn.LSTMCell]:
    """One LSTMCell per layer holding the same weights as ``lstm``."""
    cells = []
    for k in range(lstm.num_layers):
        cell = nn.LSTMCell(lstm.input_size if k == 0 else lstm.hidden_size, lstm.hidden_size,
                           bias=lstm.bias, dtype="float64")
        cell.load_state_dict({name: getattr(lstm, f"{name}_l{k}").data for name, _ in cell.named_parameters()})
        cells.append(cell)
    return cells


def _unrolled(cells, x, h0, c0, batch_first):
    """Run the cells step by step: x (T, B, in) or (B, T, in) -> output, h_n, c_n."""
    seq = x.transpose(0, 1) if batch_first else x
    layer_input, hs, cs = [seq[t] for t in range(seq.shape[0])], [], []
    for k, cell in enumerate(cells):
        state = (h0[k], c0[k]) if h0 is not None else None
        outputs = []
        for x_t in layer_input:
            state = cell(x_t, state)
            outputs.append(state[0])
        hs.append(state[0])
        cs.append(state[1])
        layer_input = outputs
    output = lk.stack(layer_input, axis=1 if batch_first else 0)
    return output, lk.stack(hs), lk.stack(cs)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_lstm_matches_unrolled_lstm_cell_in_outputs_and_every_gradient(num_layers, batch_first, with_state):
    gen = np.random.default_rng(100 + 4 * num_layers + 2 * batch_first + with_state)
    T, B, n_in, H = 5, 3, 4, 6
    lstm = nn.LSTM(n_in, H, num_layers=num_layers, batch_first=batch_first, dtype="float64")
    cells = _cells_from(lstm)
    x_np = gen.standard_normal((B, T, n_in) if batch_first else (T, B, n_in))
    h0_np, c0_np = gen.standard_normal((2, num_layers, B, H))
    R = gen.standard_normal((B, T, H) if batch_first else (T, B, H))
    Rh, Rc = gen.standard_normal((2, num_layers, B, H))

    results = []
    for run in ("fused", "cells"):
        x = lk.tensor(x_np, requires_grad=True)
        h0 = lk.tensor(h0_np, requires_grad=True) if with_state else None
        c0 = lk.tensor(c0_np, requires_grad=True) if with_state else None
        if run == "fused":
            out, (h_n, c_n) = lstm(x, (h0, c0) if with_state else None)
        else:
            out, h_n, c_n = _unrolled(cells, x, h0, c0, batch_first)
        ((out * R).sum() + (h_n * Rh).sum() + (c_n * Rc).sum()).backward()
        results.append((out, h_n, c_n, x, h0, c0))

    (out, h_n, c_n, x, h0, c0), (out2, h_n2, c_n2, x2, h02, c02) = results
    assert out.shape == out2.shape == R.shape
    np.testing.assert_allclose(out.numpy(), out2.numpy(), **F64)
    np.testing.assert_allclose(h_n.numpy(), h_n2.numpy(), **F64)
    np.testing.assert_allclose(c_n.numpy(), c_n2.numpy(), **F64)
    np.testing.assert_allclose(x.grad, x2.grad, **F64)
    if with_state:
        np.testing.assert_allclose(h0.grad, h02.grad, **F64)
        np.testing.assert_allclose(c0.grad, c02.grad, **F64)
    for k, cell in enumerate(cells):
        for name, param in cell.named_parameters():
            np.testing.assert_allclose(getattr(lstm, f"{name}_l{k}").grad, param.grad, **F64, err_msg=f"{name}_l{k}")


def test_fused_layer_function_passes_gradcheck_for_every_input():
    gen = np.random.default_rng(7)
    T, B, n_in, H = 3, 2, 2, 3
    arrays = [gen.standard_normal((T, B, n_in)), gen.standard_normal((B, H)), gen.standard_normal((B, H)),
              gen.standard_normal((4 * H, n_in)), gen.standard_normal((4 * H, H)),
              gen.standard_normal(4 * H), gen.standard_normal(4 * H)]
    inputs = [lk.tensor(a, requires_grad=True) for a in arrays]

    def run(*tensors):
        out, h_n, c_n = fused_lstm.LSTMLayer.apply(*tensors)
        return lk.concat([out.reshape(-1), h_n.reshape(-1) * 2.0, c_n.reshape(-1) * 3.0])

    assert lk.gradcheck(run, inputs)


def test_fused_layer_without_bias_passes_gradcheck():
    gen = np.random.default_rng(8)
    arrays = [gen.standard_normal((2, 2, 3)), gen.standard_normal((2, 2)), gen.standard_normal((2, 2)),
              gen.standard_normal((8, 3)), gen.standard_normal((8, 2))]
    inputs = [lk.tensor(a, requires_grad=True) for a in arrays]
    assert lk.gradcheck(lambda *t: fused_lstm.LSTMLayer.apply(*t)[0], inputs)


def test_backward_twice_with_retain_graph_accumulates_the_same_gradient_twice():
    lstm = nn.LSTM(3, 4, dtype="float64")
    x = lk.tensor(np.random.default_rng(9).standard_normal((4, 2, 3)), requires_grad=True)
    out, _ = lstm(x)
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    once = x.grad.copy(), lstm.weight_hh_l0.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(lstm.weight_hh_l0.grad, 2 * once[1], rtol=1e-12)


def test_gate_arithmetic_reference_matches_the_textbook_lstm_equations():
    gen = np.random.default_rng(10)
    B, H = 3, 5
    z = gen.standard_normal((B, 4 * H))  # pre-activations, PyTorch order i, f, g, o
    c_prev = gen.standard_normal((B, H))
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
    c_expected = f * c_prev + i * g
    h_expected = o * np.tanh(c_expected)

    scaled = z * fused_lstm.sigmoid_prescale(H, "float64", np)
    rec = scaled * 0.25  # the step adds the recurrent part to the input part
    gates = scaled - rec
    c, tanh_c, h = (np.empty((B, H)) for _ in range(3))
    fused_lstm.forward_step_reference(gates, rec, c_prev, c, tanh_c, h)
    np.testing.assert_allclose(c, c_expected, rtol=1e-12)
    np.testing.assert_allclose(h, h_expected, rtol=1e-12)
    np.testing.assert_allclose(tanh_c, np.tanh(c_expected), rtol=1e-12)
    np.testing.assert_allclose(gates, np.concatenate([i, f, (g + 1) / 2, o], axis=1), rtol=1e-12)


def test_backward_step_reference_gives_the_textbook_gate_gradients():
    gen = np.random.default_rng(11)
    B, H = 2, 3
    i, f, o = gen.uniform(0.1, 0.9, (3, B, H))
    g = gen.uniform(-0.9, 0.9, (B, H))
    c_prev, dy, dh_rec, dc_next = gen.standard_normal((4, B, H))
    c = f * c_prev + i * g
    dh = dy + dh_rec
    dc = dc_next + dh * o * (1 - np.tanh(c) ** 2)
    expected = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                               dc * i * (1 - g * g), dh * np.tanh(c) * o * (1 - o)], axis=1)
    gates = np.concatenate([i, f, (g + 1) / 2, o], axis=1)
    dc_io = dc_next.copy()
    fused_lstm.backward_step_reference(gates, c_prev, np.tanh(c), dy, dh_rec, dc_io, np.empty((10, B, H)))
    np.testing.assert_allclose(gates, expected, rtol=1e-10)
    np.testing.assert_allclose(dc_io, dc * f, rtol=1e-12)


def test_step_constants_are_zero_d_arrays_of_the_gates_dtype_and_keep_float32_steps_float32():
    for dtype in (np.float32, np.float64):
        half, one, four = fused_lstm.constants(np, np.dtype(dtype))
        assert all(k.shape == () and k.dtype == dtype for k in (half, one, four))
        assert (float(half), float(one), float(four)) == (0.5, 1.0, 4.0)
    gen = np.random.default_rng(12)
    B, H = 2, 3
    gates64, rec64 = gen.standard_normal((2, B, 4 * H))
    c_prev64 = gen.standard_normal((B, H))
    outputs = {}
    for dtype in (np.float32, np.float64):
        gates, rec, c_prev = (a.astype(dtype) for a in (gates64, rec64, c_prev64))
        c, tanh_c, h = (np.empty((B, H), dtype=dtype) for _ in range(3))
        fused_lstm.forward_step_reference(gates, rec, c_prev, c, tanh_c, h)
        dc = np.ones((B, H), dtype=dtype)
        fused_lstm.backward_step_reference(gates, c_prev, tanh_c, h, h.copy(), dc, np.empty((10, B, H), dtype=dtype))
        assert gates.dtype == dc.dtype == dtype
        outputs[dtype] = (h, gates, dc)
    for low, high in zip(outputs[np.float32], outputs[np.float64], strict=True):
        np.testing.assert_allclose(low, high, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_gives_an_identical_model():
    a = nn.LSTM(3, 4, num_layers=2)
    b = nn.LSTM(3, 4, num_layers=2)
    b.load_state_dict(a.state_dict())
    x = lk.tensor(np.random.default_rng(11).standard_normal((5, 2, 3)).astype("float32"))
    np.testing.assert_array_equal(a(x)[0].numpy(), b(x)[0].numpy())
    assert list(b.state_dict()) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                    "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]


def test_load_state_dict_rejects_wrong_names_and_changes_nothing():
    lstm = nn.LSTM(3, 4)
    before = lstm.state_dict()
    state = {k: v + 1 for k, v in before.items()}
    state["weight_ih_l1"] = state.pop("weight_ih_l0")
    with pytest.raises(nn.StateDictError, match="missing keys \\['weight_ih_l0'\\].*unexpected keys \\['weight_ih_l1'\\]"):
        lstm.load_state_dict(state)
    for name, value in lstm.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_rejects_wrong_shapes_and_changes_nothing():
    lstm = nn.LSTM(3, 4)
    before = lstm.state_dict()
    state = {k: v + 1 for k, v in nn.LSTM(3, 5).state_dict().items()}
    state["weight_ih_l0"] = before["weight_ih_l0"] + 1  # the first key fits, later ones do not
    with pytest.raises(nn.StateDictError, match="weight_hh_l0' has shape \\(20, 5\\).*\\(16, 4\\)"):
        lstm.load_state_dict(state)
    for name, value in lstm.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_parameters_have_torch_shapes_and_default_init_bounds():
    lk.rng.manual_seed(0)
    lstm = nn.LSTM(10, 16, num_layers=2)
    shapes = {name: p.shape for name, p in lstm.named_parameters()}
    assert shapes["weight_ih_l0"] == (64, 10) and shapes["weight_ih_l1"] == (64, 16)
    assert shapes["weight_hh_l1"] == (64, 16) and shapes["bias_hh_l1"] == (64,)
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24  # U(-1/sqrt(16), 1/sqrt(16))


def test_forget_bias_is_split_between_the_two_bias_vectors():
    lk.rng.manual_seed(3)
    plain = nn.LSTM(2, 3)
    lk.rng.manual_seed(3)
    shifted = nn.LSTM(2, 3, forget_bias=1.0)
    for name in ("bias_ih_l0", "bias_hh_l0"):
        delta = getattr(shifted, name).numpy() - getattr(plain, name).numpy()
        np.testing.assert_allclose(delta, [0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0], atol=1e-7)


def test_dropout_between_layers_acts_in_training_only():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = lk.tensor(np.random.default_rng(12).standard_normal((6, 2, 3)).astype("float32"))
    lstm.eval()
    first, second = lstm(x)[0].numpy(), lstm(x)[0].numpy()
    np.testing.assert_array_equal(first, second)
    lstm.train()
    lk.rng.manual_seed(1)
    trained = lstm(x)[0].numpy()
    assert not np.allclose(trained, first)


def test_unbatched_input_gives_unbatched_outputs():
    lstm = nn.LSTM(3, 4, num_layers=2, dtype="float64")
    x = np.random.default_rng(13).standard_normal((5, 3))
    out, (h_n, c_n) = lstm(lk.tensor(x))
    batched, (h_b, _) = lstm(lk.tensor(x[:, None, :]))
    assert out.shape == (5, 4) and h_n.shape == (2, 4) and c_n.shape == (2, 4)
    np.testing.assert_allclose(out.numpy(), batched.numpy()[:, 0], rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), h_b.numpy()[:, 0], rtol=1e-12)


def test_no_grad_forward_builds_no_graph():
    lstm = nn.LSTM(3, 4)
    with lk.no_grad():
        out, (h_n, _) = lstm(lk.tensor(np.ones((2, 1, 3), dtype="float32")))
    assert not out.requires_grad and not h_n.requires_grad


def test_wrong_input_size_dtype_or_state_shape_is_explained():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="input_size=3.*shape \\(5, 2, 2\\)"):
        lstm(lk.zeros(5, 2, 2))
    with pytest.raises(TypeError, match="float64.*float32.*astype"):
        lstm(lk.zeros(5, 2, 3, dtype="float64"))
    with pytest.raises(ValueError, match="h0 of shape \\(2, 2, 4\\).*\\(1, 2, 4\\)"):
        lstm(lk.zeros(5, 2, 3), (lk.zeros(1, 2, 4), lk.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match="pair \\(h0, c0\\)"):
        lstm(lk.zeros(5, 2, 3), lk.zeros(2, 2, 4))
    with pytest.raises(ValueError, match="4-D|3-D input"):
        lstm(lk.zeros(1, 5, 2, 3))
