"""LSTMCell: the readable LSTM step built from the gates, in both variants."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import gates, nn


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _inputs(cell, batch=3, seed=0, dtype="float64"):
    gen = np.random.default_rng(seed)
    x = lk.tensor(gen.standard_normal((batch, cell.input_size)).astype(dtype), requires_grad=True)
    h = lk.tensor(gen.standard_normal((batch, cell.hidden_size)).astype(dtype), requires_grad=True)
    c = lk.tensor(gen.standard_normal((batch, cell.hidden_size)).astype(dtype), requires_grad=True)
    return x, h, c


def test_standard_cell_follows_the_textbook_equations_with_torch_gate_order():
    cell = nn.LSTMCell(4, 3, dtype="float64")
    x, h, c = _inputs(cell)
    H = 3
    z = (x.numpy() @ cell.weight_ih.numpy().T + cell.bias_ih.numpy()
         + h.numpy() @ cell.weight_hh.numpy().T + cell.bias_hh.numpy())
    i, f, g, o = _sig(z[:, :H]), _sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), _sig(z[:, 3 * H:])
    c_new = f * c.numpy() + i * g
    h_new, c_out = cell(x, (h, c))
    np.testing.assert_allclose(c_out.numpy(), c_new, rtol=1e-12)
    np.testing.assert_allclose(h_new.numpy(), o * np.tanh(c_new), rtol=1e-12)


def test_gate_weights_join_stm_then_event_columns_and_sum_the_biases():
    cell = nn.LSTMCell(4, 3, dtype="float64")
    w = cell.gate_weights()
    assert set(w) == {"W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v"}
    H = 3
    for name, block in (("i", 0), ("f", 1), ("n", 2), ("v", 3)):
        rows = slice(block * H, (block + 1) * H)
        assert w[f"W_{name}"].shape == (H, H + 4)
        np.testing.assert_array_equal(w[f"W_{name}"].numpy()[:, :H], cell.weight_hh.numpy()[rows])
        np.testing.assert_array_equal(w[f"W_{name}"].numpy()[:, H:], cell.weight_ih.numpy()[rows])
        np.testing.assert_allclose(w[f"b_{name}"].numpy(), (cell.bias_ih.numpy() + cell.bias_hh.numpy())[rows])


def test_step_returns_every_intermediate_consistent_with_forward():
    cell = nn.LSTMCell(4, 3, dtype="float64")
    x, h, c = _inputs(cell, seed=1)
    step = cell.step(x, h, c)
    assert isinstance(step, gates.LSTMStep)
    h_new, c_new = cell(x, (h, c))
    np.testing.assert_array_equal(step.stm.numpy(), h_new.numpy())
    np.testing.assert_array_equal(step.ltm.numpy(), c_new.numpy())
    np.testing.assert_allclose(step.learn_output.numpy(), step.N_t.numpy() * step.i_t.numpy())
    np.testing.assert_allclose(step.forget_output.numpy(), c.numpy() * step.f_t.numpy())
    np.testing.assert_allclose(step.U_t.numpy(), np.tanh(c_new.numpy()))
    for value in step:
        assert value.shape == (3, 3)


def test_gradients_flow_from_gate_weights_back_into_the_parameters():
    cell = nn.LSTMCell(2, 2, dtype="float64")
    x, h, c = _inputs(cell, batch=2, seed=2)

    def run(x, h, c, *params):  # gradcheck perturbs the cell's own Parameters in place
        h_new, c_new = cell(x, (h, c))
        return lk.concat([h_new.reshape(-1), c_new.reshape(-1)])

    assert lk.gradcheck(run, [x, h, c, *cell.parameters()])


def test_article_cell_passes_gradcheck_through_its_use_gate():
    cell = nn.LSTMCell(2, 2, variant="article", dtype="float64")
    x, h, c = _inputs(cell, batch=2, seed=6)
    assert lk.gradcheck(lambda x, h, c, *p: cell(x, (h, c))[0], [x, h, c, *cell.parameters()])


def test_article_variant_has_its_own_use_gate_weights_and_differs_from_standard():
    lk.rng.manual_seed(5)
    article = nn.LSTMCell(4, 3, variant="article", dtype="float64")
    assert article.variant == "article"
    assert article.weight_u.shape == (3, 3) and article.bias_u.shape == (3,)
    weights = article.gate_weights()
    assert weights["W_u"] is article.weight_u and weights["b_u"] is article.bias_u
    standard = nn.LSTMCell(4, 3, dtype="float64")
    standard.load_state_dict({k: v for k, v in article.state_dict().items() if not k.endswith("_u")})
    x, h, c = _inputs(article, seed=3)
    step = article.step(x, h, c)
    expected_u = np.tanh(step.forget_output.numpy() @ article.weight_u.numpy().T + article.bias_u.numpy())
    np.testing.assert_allclose(step.U_t.numpy(), expected_u, rtol=1e-12)
    np.testing.assert_allclose(step.ltm.numpy(), standard(x, (h, c))[1].numpy(), rtol=1e-12)
    assert not np.allclose(step.stm.numpy(), standard(x, (h, c))[0].numpy())


def test_missing_state_means_zeros_and_unbatched_input_works():
    cell = nn.LSTMCell(4, 3, dtype="float64")
    x = lk.tensor(np.random.default_rng(4).standard_normal((2, 4)))
    zeros = lk.zeros(2, 3, dtype="float64")
    np.testing.assert_array_equal(cell(x)[0].numpy(), cell(x, (zeros, zeros))[0].numpy())
    h, c = cell(x[0])
    assert h.shape == (3,) and c.shape == (3,)
    np.testing.assert_allclose(h.numpy(), cell(x)[0].numpy()[0], rtol=1e-12)


def test_cell_without_bias_has_no_bias_parameters_and_zero_gate_biases():
    cell = nn.LSTMCell(2, 3, bias=False)
    assert [name for name, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    np.testing.assert_array_equal(cell.gate_weights()["b_f"].numpy(), np.zeros(3, dtype="float32"))


def test_forget_bias_shifts_the_effective_forget_bias():
    lk.rng.manual_seed(9)
    plain = nn.LSTMCell(2, 3)
    lk.rng.manual_seed(9)
    shifted = nn.LSTMCell(2, 3, forget_bias=1.0)
    delta = shifted.gate_weights()["b_f"].numpy() - plain.gate_weights()["b_f"].numpy()
    np.testing.assert_allclose(delta, np.ones(3), rtol=1e-6)
    np.testing.assert_array_equal(shifted.gate_weights()["b_i"].numpy(), plain.gate_weights()["b_i"].numpy())


def test_bad_arguments_and_shapes_are_explained():
    with pytest.raises(ValueError, match="variant must be 'standard' or 'article'"):
        nn.LSTMCell(2, 3, variant="peephole")
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        nn.LSTMCell(2, 0)
    cell = nn.LSTMCell(2, 3)
    with pytest.raises(ValueError, match="input_size=2"):
        cell(lk.zeros(4, 5))
    with pytest.raises(ValueError, match="h and c of shape \\(4, 3\\)"):
        cell(lk.zeros(4, 2), (lk.zeros(4, 2), lk.zeros(4, 2)))
