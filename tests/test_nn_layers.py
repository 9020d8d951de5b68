"""Linear, Embedding, Dropout, RNNCell and RNN: shapes, init, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn, optim


def test_linear_computes_x_w_transpose_plus_b_on_any_leading_shape():
    layer = nn.Linear(4, 3, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    y = layer(lk.tensor(x))
    assert y.shape == (2, 5, 3)
    np.testing.assert_allclose(y.numpy(), x @ layer.weight.numpy().T + layer.bias.numpy(), rtol=1e-12)
    single = layer(lk.tensor(x[0, 0]))
    assert single.shape == (3,)
    np.testing.assert_allclose(single.numpy(), y.numpy()[0, 0], rtol=1e-12)


def test_linear_init_uses_one_over_sqrt_in_features():
    lk.rng.manual_seed(0)
    layer = nn.Linear(16, 200)
    weights = layer.weight.numpy()
    assert weights.shape == (200, 16) and layer.bias.shape == (200,)
    assert 0.24 < np.abs(weights).max() <= 0.25


def test_linear_passes_gradcheck_and_without_bias_has_only_a_weight():
    layer = nn.Linear(3, 2, dtype="float64")
    x = lk.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    assert lk.gradcheck(lambda x, w, b: layer(x), [x, layer.weight, layer.bias])
    assert [name for name, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_linear_explains_a_wrong_input_size():
    with pytest.raises(ValueError, match="in_features=4.*shape \\(2, 3\\)"):
        nn.Linear(4, 3)(lk.zeros(2, 3))


def test_embedding_looks_up_rows_and_sums_gradients_of_repeated_ids():
    lk.rng.manual_seed(1)
    emb = nn.Embedding(5, 3)
    ids = np.array([[1, 2], [2, 2]])
    out = emb(ids)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[1, 0], emb.weight.numpy()[2])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [0, 1, 3, 0, 0])


def test_embedding_init_is_standard_normal_and_ids_may_be_tensors():
    lk.rng.manual_seed(2)
    emb = nn.Embedding(1000, 20)
    values = emb.weight.numpy()
    assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02
    np.testing.assert_array_equal(emb(lk.tensor([3, 4])).numpy(), values[[3, 4]])


def test_embedding_rejects_float_or_out_of_range_ids():
    emb = nn.Embedding(5, 3)
    with pytest.raises(TypeError, match="integers.*float64"):
        emb(np.array([1.0, 2.0]))
    with pytest.raises(IndexError, match="\\[0, 4\\].*from 1 to 7"):
        emb(np.array([1, 7]))


def test_dropout_zeroes_about_p_and_rescales_the_rest_in_training():
    lk.rng.manual_seed(3)
    drop = nn.Dropout(0.25)
    y = drop(lk.ones(200, 100)).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)


def test_dropout_is_the_identity_in_eval_and_passes_gradients_through_the_mask():
    drop = nn.Dropout(0.5)
    x = lk.tensor(np.ones((4, 5), dtype="float32"), requires_grad=True)
    drop.eval()
    assert drop(x) is x
    drop.train()
    y = drop(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())  # d y / d x is the scaled mask, and x is ones


def test_dropout_rejects_a_probability_outside_zero_one():
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        nn.Dropout(1.5)


def test_rnn_cell_follows_the_elman_equation():
    cell = nn.RNNCell(3, 4, dtype="float64")
    gen = np.random.default_rng(4)
    x, h = gen.standard_normal((2, 3)), gen.standard_normal((2, 4))
    expected = np.tanh(x @ cell.weight_ih.numpy().T + cell.bias_ih.numpy()
                       + h @ cell.weight_hh.numpy().T + cell.bias_hh.numpy())
    np.testing.assert_allclose(cell(lk.tensor(x), lk.tensor(h)).numpy(), expected, rtol=1e-12)


def test_rnn_output_is_the_last_layers_state_at_every_step():
    rnn = nn.RNN(3, 4, num_layers=2, batch_first=True, dtype="float64")
    x = lk.tensor(np.random.default_rng(5).standard_normal((2, 6, 3)))
    out, h_n = rnn(x)
    assert out.shape == (2, 6, 4) and h_n.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.numpy()[:, -1], h_n.numpy()[-1])
    assert [n for n, _ in rnn.named_parameters()][:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def test_rnn_relu_variant_and_bad_nonlinearity():
    rnn = nn.RNN(2, 3, nonlinearity="relu")
    out, _ = rnn(lk.tensor(np.random.default_rng(6).standard_normal((4, 1, 2)).astype("float32")))
    assert (out.numpy() >= 0).all()
    with pytest.raises(ValueError, match="'tanh' or 'relu'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")


def test_modules_move_between_float64_and_float32_state_dicts():
    source = nn.Linear(3, 2, dtype="float64")
    target = nn.Linear(3, 2)
    target.load_state_dict(source.state_dict())
    assert target.weight.dtype == np.float32
    np.testing.assert_allclose(target.weight.numpy(), source.weight.numpy(), rtol=1e-6)


def test_exports_include_the_torch_like_api():
    for name in ("Module", "Parameter", "StateDictError", "IncompatibleKeys", "Linear", "Embedding", "Dropout",
                 "RNNCell", "RNN", "LSTMCell", "LSTM", "GRUCell", "GRU", "RNNBase", "Sequential", "ModuleList",
                 "ModuleDict", "NLLLoss", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss"):
        assert hasattr(nn, name)
    for module, name in ((nn.init, "xavier_uniform_"), (nn.utils, "clip_grad_value_"),
                         (nn.utils.rnn, "pack_padded_sequence"), (nn.modules.rnn, "GRU")):
        assert hasattr(module, name)
    assert nn.clip_grad_norm_ is optim.clip_grad_norm_


def test_a_small_model_learns_with_adam():
    lk.rng.manual_seed(7)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(4, 8)
            self.lstm = nn.LSTM(8, 16, batch_first=True)
            self.head = nn.Linear(16, 4)

        def forward(self, ids):
            out, _ = self.lstm(self.emb(ids))
            return self.head(out)

    model = Model()
    opt = optim.Adam(model.parameters(), lr=0.05)
    ids = np.array([[0, 1, 2, 3, 0, 1, 2, 3]])
    targets = np.roll(ids, -1, axis=1)  # predict the next id of a cycle
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = lk.functional.cross_entropy(model(ids).reshape(-1, 4), targets.reshape(-1))
        loss.backward()
        nn.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_module_traversal_helpers_follow_torchs_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.1)))
    assert [name for name, _ in model.named_modules()] == ["", "0", "1", "1.0", "1.1"]
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    assert model.get_submodule("1.0") is model[1][0]
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Linear", "Dropout", "Sequential", "Sequential"]
    assert [p.requires_grad for p in model.requires_grad_(False).parameters()] == [False] * 4
    assert list(model.named_parameters(recurse=False)) == []
    with pytest.raises(AttributeError, match="no sub-module '2'"):
        model.get_submodule("2")


def test_reassigning_a_parameter_keeps_its_place_and_none_removes_it():
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(lk.zeros(3, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]
    layer.bias = None
    assert list(layer.state_dict()) == ["weight"]


def test_layers_take_the_default_dtype_and_dtype_objects():
    assert nn.Linear(2, 3).weight.dtype == np.float32
    assert nn.GRU(2, 3, dtype=lk.float64).weight_ih_l0.dtype == np.float64
    lk.set_default_dtype(lk.float64)
    try:
        assert nn.LSTM(2, 3).weight_ih_l0.dtype == np.float64
        assert nn.Embedding(4, 2).weight.dtype == np.float64
    finally:
        lk.set_default_dtype(lk.float32)
    with pytest.raises(TypeError, match="floating-point dtype"):
        nn.Linear(2, 3, dtype="int32")
