"""nn against torch 2.13 in float64: every recurrent option alone and combined, packed
sequences, cells, containers, losses, init statistics and state-dict loading.

Forward values and every gradient (input, initial states, all parameters) must agree
to 1e-10.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import nn

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the cross-checks need it")

pytestmark = pytest.mark.torch

TOL = dict(rtol=1e-10, atol=1e-10)
T, B, N_IN, H, P = 5, 3, 4, 6, 3
LENGTHS = [5, 2, 4]  # unsorted, so enforce_sorted=False has to sort


def _copy_weights(ours, theirs):
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})


def _assert_close(ours, theirs, what):
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), **TOL, err_msg=what)


def _build(kind, num_layers, bidirectional, proj_size, batch_first, dropout, bias=True):
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                  dropout=dropout, bias=bias)
    if kind == "LSTM":
        kwargs["proj_size"] = proj_size
    if kind == "RNN_RELU":
        kwargs["nonlinearity"] = "relu"
    name = "RNN" if kind.startswith("RNN") else kind
    with np.errstate(all="ignore"), pytest.warns(UserWarning) if dropout and num_layers == 1 else _nothing():
        ours = getattr(nn, name)(N_IN, H, dtype="float64", **kwargs)
    theirs = getattr(torch.nn, name)(N_IN, H, dtype=torch.float64, **kwargs)
    _copy_weights(ours, theirs)
    return ours.eval(), theirs.eval()


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _states(kind, num_layers, bidirectional, proj_size, gen):
    D = 2 if bidirectional else 1
    h = gen.standard_normal((num_layers * D, B, proj_size or H))
    return (h, gen.standard_normal((num_layers * D, B, H))) if kind == "LSTM" else (h,)


def _run(kind, module, x, states, packed, batch_first, lib):
    """Forward, then a weighted sum of everything returned, for backward."""
    pack = lk.nn.utils.rnn if lib == "lk" else torch.nn.utils.rnn
    inp = pack.pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False) if packed else x
    hx = None if states is None else (tuple(states) if kind == "LSTM" else states[0])
    out, final = module(inp) if hx is None else module(inp, hx)
    if packed:
        out, _ = pack.pad_packed_sequence(out, batch_first=batch_first)
    finals = list(final) if kind == "LSTM" else [final]
    return out, finals


CASES = [
    # kind, num_layers, bidirectional, proj_size, batch_first, packed, dropout (eval), with_state
    *[(kind, 1, False, 0, False, False, 0.0, False) for kind in ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")],
    *[(kind, 2, False, 0, False, False, 0.0, True) for kind in ("LSTM", "GRU", "RNN_TANH")],
    *[(kind, 1, True, 0, False, False, 0.0, True) for kind in ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")],
    *[(kind, 1, False, 0, True, False, 0.0, True) for kind in ("LSTM", "GRU", "RNN_TANH")],
    *[(kind, 1, False, 0, False, True, 0.0, True) for kind in ("LSTM", "GRU", "RNN_TANH")],
    *[(kind, 2, False, 0, False, False, 0.5, True) for kind in ("LSTM", "GRU", "RNN_TANH")],
    ("LSTM", 1, False, P, False, False, 0.0, True),
    # combined
    *[(kind, 2, True, p, bf, pk, 0.3, st)
      for kind, p in (("LSTM", 0), ("LSTM", P), ("GRU", 0), ("RNN_TANH", 0), ("RNN_RELU", 0))
      for bf, pk, st in itertools.product((False, True), (False, True), (False, True))],
]


@pytest.mark.parametrize(("kind", "num_layers", "bidirectional", "proj_size", "batch_first", "packed", "dropout",
                          "with_state"), CASES)
def test_recurrent_layer_matches_torch_in_values_and_every_gradient(
    kind, num_layers, bidirectional, proj_size, batch_first, packed, dropout, with_state
):
    gen = np.random.default_rng(abs(hash((kind, num_layers, bidirectional, proj_size, batch_first, packed))) % 2**32)
    ours, theirs = _build(kind, num_layers, bidirectional, proj_size, batch_first, dropout)
    shape = (B, T, N_IN) if batch_first else (T, B, N_IN)
    x_np = gen.standard_normal(shape)
    states_np = _states(kind, num_layers, bidirectional, proj_size, gen) if with_state else None
    x, xt = lk.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    states = [lk.tensor(s, requires_grad=True) for s in states_np] if with_state else None
    states_t = [torch.tensor(s, requires_grad=True) for s in states_np] if with_state else None
    out, finals = _run(kind, ours, x, states, packed, batch_first, "lk")
    out_t, finals_t = _run(kind, theirs, xt, states_t, packed, batch_first, "torch")
    _assert_close(out.numpy(), out_t, "output")
    for ours_final, their_final in zip(finals, finals_t, strict=True):
        _assert_close(ours_final.numpy(), their_final, "final state")

    weights = [gen.standard_normal(t.shape) for t in [out_t, *finals_t]]
    loss = sum((o * w).sum() for o, w in zip([out, *finals], weights, strict=True))
    loss_t = sum((o * torch.from_numpy(w)).sum() for o, w in zip([out_t, *finals_t], weights, strict=True))
    loss.backward()
    loss_t.backward()
    _assert_close(x.grad, xt.grad, "d input")
    for s, st in zip(states or [], states_t or [], strict=True):
        _assert_close(s.grad, st.grad, "d initial state")
    their_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_params)
    for name, param in ours.named_parameters():
        _assert_close(param.grad, their_params[name].grad, f"d {name}")


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_parameter_names_and_shapes_are_torchs_for_every_option(kind):
    for layers, bidirectional, proj in itertools.product((1, 2), (False, True), (0, 2)):
        if proj and kind != "LSTM":
            continue
        extra = {"proj_size": proj} if kind == "LSTM" else {}
        ours = getattr(nn, kind)(N_IN, H, layers, bias=True, bidirectional=bidirectional, **extra)
        theirs = getattr(torch.nn, kind)(N_IN, H, layers, bidirectional=bidirectional, **extra)
        assert {k: v.shape for k, v in ours.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_positional_arguments_mean_what_they_mean_in_torch():
    lstm = nn.LSTM(3, 4, 2, False, True, 0.25, True, 2)
    assert (lstm.num_layers, lstm.bias, lstm.batch_first, lstm.dropout, lstm.bidirectional, lstm.proj_size) == \
        (2, False, True, 0.25, True, 2)
    rnn = nn.RNN(3, 4, 1, "relu", False, True, 0.0, True)
    assert (rnn.nonlinearity, rnn.bias, rnn.batch_first, rnn.bidirectional) == ("relu", False, True, True)
    gru = nn.GRU(3, 4, 1, True, False, 0.0, True)
    assert gru.bidirectional
    with pytest.raises(TypeError):
        nn.LSTM(3, 4, 1, True, False, 0.0, False, 0, None, None, 1.0)  # forget_bias is keyword-only
    with pytest.raises(TypeError):
        nn.LSTMCell(3, 4, True, None, None, "article")  # so is variant


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_packed_final_states_are_each_sequences_own_last_step(kind):
    """h_n of a packed batch equals running each sequence alone, in both directions."""
    gen = np.random.default_rng(3)
    layer = getattr(nn, kind)(N_IN, H, 2, bidirectional=True, dtype="float64")
    seqs = [lk.tensor(gen.standard_normal((n, N_IN))) for n in LENGTHS]
    packed_out, final = layer(nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False))
    h_n = final[0] if kind == "LSTM" else final
    padded, lengths = nn.utils.rnn.pad_packed_sequence(packed_out)
    assert lengths.tolist() == LENGTHS
    for b, seq in enumerate(seqs):
        alone_out, alone_final = layer(seq)
        alone_h = alone_final[0] if kind == "LSTM" else alone_final
        np.testing.assert_allclose(h_n.numpy()[:, b], alone_h.numpy(), **TOL)
        np.testing.assert_allclose(padded.numpy()[: LENGTHS[b], b], alone_out.numpy(), **TOL)
        assert not padded.numpy()[LENGTHS[b]:, b].any()


def test_dropout_between_layers_acts_in_training_and_not_in_eval():
    gru = nn.GRU(N_IN, H, 2, dropout=0.5, dtype="float64")
    x = lk.tensor(np.random.default_rng(0).standard_normal((T, B, N_IN)))
    eval_out = gru.eval()(x)[0].numpy()
    np.testing.assert_array_equal(gru(x)[0].numpy(), eval_out)
    assert np.abs(gru.train()(x)[0].numpy() - eval_out).max() > 1e-3


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(kind, bias):
    gen = np.random.default_rng(7)
    ours = getattr(nn, kind)(N_IN, H, bias, dtype="float64")
    theirs = getattr(torch.nn, kind)(N_IN, H, bias, dtype=torch.float64)
    _copy_weights(ours, theirs)
    x_np, h_np, c_np = gen.standard_normal((B, N_IN)), gen.standard_normal((B, H)), gen.standard_normal((B, H))
    x, h, c = (lk.tensor(a, requires_grad=True) for a in (x_np, h_np, c_np))
    xt, ht, ct = (torch.tensor(a, requires_grad=True) for a in (x_np, h_np, c_np))
    if kind == "LSTMCell":
        out, out_t = ours(x, hx=(h, c)), theirs(xt, (ht, ct))
        (out[0].sum() + (out[1] * out[1]).sum()).backward()
        (out_t[0].sum() + (out_t[1] * out_t[1]).sum()).backward()
        _assert_close(c.grad, ct.grad, "d c")
    else:
        out, out_t = ours(x, hx=h), theirs(xt, ht)
        (out * out).sum().backward()
        (out_t * out_t).sum().backward()
    _assert_close(x.grad, xt.grad, "d x")
    _assert_close(h.grad, ht.grad, "d h")
    their_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        _assert_close(param.grad, their_params[name].grad, name)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_match_torch(enforce_sorted, batch_first):
    gen = np.random.default_rng(11)
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    x_np = gen.standard_normal((B, T, 2) if batch_first else (T, B, 2))
    x, xt = lk.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    ours = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
    theirs = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, batch_first, enforce_sorted)
    _assert_close(ours.data.numpy(), theirs.data, "packed data")
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()
    for mine, torchs in ((ours.sorted_indices, theirs.sorted_indices), (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (mine is None and torchs is None) or list(mine) == torchs.tolist()
    padded, lens = nn.utils.rnn.pad_packed_sequence(ours, batch_first, padding_value=-2.0, total_length=T + 2)
    padded_t, lens_t = torch.nn.utils.rnn.pad_packed_sequence(theirs, batch_first, padding_value=-2.0,
                                                              total_length=T + 2)
    _assert_close(padded.numpy(), padded_t, "padded")
    assert lens.tolist() == lens_t.tolist()
    weight = gen.standard_normal(padded.shape)
    (padded * weight).sum().backward()
    (padded_t * torch.from_numpy(weight)).sum().backward()
    _assert_close(x.grad, xt.grad, "d padded input")


@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_and_pack_sequence_match_torch(padding_side):
    gen = np.random.default_rng(5)
    arrays = [gen.standard_normal((n, 2)) for n in LENGTHS]
    ours = nn.utils.rnn.pad_sequence([lk.tensor(a) for a in arrays], True, 1.5, padding_side)
    theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(a) for a in arrays], True, 1.5, padding_side)
    _assert_close(ours.numpy(), theirs, "pad_sequence")
    packed = nn.utils.rnn.pack_sequence([lk.tensor(a) for a in arrays], enforce_sorted=False)
    packed_t = torch.nn.utils.rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    _assert_close(packed.data.numpy(), packed_t.data, "pack_sequence")


def test_packing_explains_bad_lengths():
    x = lk.tensor(np.zeros((T, B, 2)))
    with pytest.raises(ValueError, match="sorted in decreasing order"):
        nn.utils.rnn.pack_padded_sequence(x, LENGTHS)
    with pytest.raises(ValueError, match=r"lie in \[1, 5\]"):
        nn.utils.rnn.pack_padded_sequence(x, [5, 0, 1], enforce_sorted=False)
    with pytest.raises(ValueError, match="3 integers"):
        nn.utils.rnn.pack_padded_sequence(x, [5, 2])


# --------------------------------------------------------------------------- losses


def _loss_pair(name, **options):
    return getattr(nn, name)(**options), getattr(torch.nn, name)(**options)


LOSS_CASES = [
    ("CrossEntropyLoss", {}, (4, 5), "index"),
    ("CrossEntropyLoss", {"reduction": "sum"}, (4, 5), "index"),
    ("CrossEntropyLoss", {"reduction": "none"}, (4, 5, 3), "index"),
    ("CrossEntropyLoss", {"ignore_index": 2}, (6, 5), "index"),
    ("CrossEntropyLoss", {"weight": "classes"}, (6, 5), "index"),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, (6, 5, 2), "index"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "weight": "classes", "ignore_index": 1}, (6, 5), "index"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "reduction": "none"}, (6, 5), "index"),
    ("CrossEntropyLoss", {}, (5,), "index"),
    ("CrossEntropyLoss", {"label_smoothing": 0.3}, (4, 5), "probabilities"),
    ("NLLLoss", {}, (4, 5), "index"),
    ("NLLLoss", {"weight": "classes", "reduction": "mean"}, (4, 5, 3), "index"),
    ("NLLLoss", {"ignore_index": 0, "reduction": "none"}, (6, 5), "index"),
    ("MSELoss", {}, (3, 4), "same"),
    ("MSELoss", {"reduction": "sum"}, (3, 4), "same"),
    ("MSELoss", {"reduction": "none"}, (3, 4), "same"),
    ("BCEWithLogitsLoss", {}, (3, 4), "binary"),
    ("BCEWithLogitsLoss", {"reduction": "sum", "pos_weight": "columns"}, (3, 4), "binary"),
    ("BCEWithLogitsLoss", {"weight": "columns", "reduction": "none"}, (3, 4), "binary"),
]


REFERENCES = {"CrossEntropyLoss": "cross_entropy_reference", "NLLLoss": "nll_loss_reference",
              "MSELoss": "mse_loss_reference", "BCEWithLogitsLoss": "binary_cross_entropy_with_logits_reference"}


@pytest.mark.parametrize("path", ["module", "reference"])
@pytest.mark.parametrize(("name", "options", "shape", "target_kind"), LOSS_CASES)
def test_loss_modules_match_torch(name, options, shape, target_kind, path, monkeypatch):
    """Through the module (functional's form when it takes the options) and through nn.losses'
    own reference forms (used where functional lacks an option)."""
    if path == "reference":
        monkeypatch.setattr(nn.losses, "_functional", lambda name, options: None)
    gen = np.random.default_rng(len(shape) * 31 + len(options))
    C = shape[0] if len(shape) == 1 else shape[1]
    ours_opts, their_opts = {}, {}
    for key, value in options.items():
        if value == "classes":
            value = gen.uniform(0.5, 2.0, C)
        elif value == "columns":
            value = gen.uniform(0.5, 2.0, shape[-1])
        ours_opts[key] = lk.tensor(value) if isinstance(value, np.ndarray) else value
        their_opts[key] = torch.from_numpy(value) if isinstance(value, np.ndarray) else value
    ours, theirs = getattr(nn, name)(**ours_opts), getattr(torch.nn, name)(**their_opts)
    x_np = gen.standard_normal(shape) * 3
    if name == "NLLLoss":
        x_np = np.log(np.exp(x_np) / np.exp(x_np).sum(axis=1, keepdims=True))
    if target_kind == "index":
        target_np = gen.integers(0, C, shape[:1] + shape[2:] if len(shape) > 1 else ())
        target, target_t = lk.tensor(target_np), torch.from_numpy(np.asarray(target_np))
    else:
        target_np = {"same": gen.standard_normal(shape), "binary": gen.uniform(0, 1, shape),
                     "probabilities": gen.dirichlet(np.ones(C), shape[0])}[target_kind]
        target, target_t = lk.tensor(target_np), torch.from_numpy(target_np)
    x, xt = lk.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    loss, loss_t = ours(x, target), theirs(xt, target_t)
    _assert_close(loss.numpy(), loss_t, "loss")
    weight = gen.standard_normal(loss_t.shape)
    (loss * weight).sum().backward()
    (loss_t * torch.from_numpy(np.asarray(weight))).sum().backward()
    _assert_close(x.grad, xt.grad, "d input")


def test_losses_explain_bad_arguments():
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="targets (must have|of) shape"):
        nn.CrossEntropyLoss()(lk.tensor(np.zeros((4, 3))), lk.tensor(np.zeros(3, dtype="int64")))


# --------------------------------------------------------------------------- containers and modules


def test_sequential_matches_torch_and_names_children_by_position():
    ours = nn.Sequential(nn.Linear(4, 5, dtype="float64"), nn.Dropout(0.1), nn.Linear(5, 2, dtype="float64"))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Dropout(0.1), torch.nn.Linear(5, 2)).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    _copy_weights(ours, theirs)
    ours.eval()
    theirs.eval()
    x_np = np.random.default_rng(0).standard_normal((3, 4))
    x, xt = lk.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    ours(x).sum().backward()
    theirs(xt).sum().backward()
    _assert_close(x.grad, xt.grad, "d x")
    assert len(ours) == 3 and isinstance(ours[-1], nn.Linear) and len(ours[1:]) == 2
    assert list(ours[1:].state_dict()) == list(theirs[1:].state_dict()) == ["2.weight", "2.bias"]


def test_module_list_and_dict_register_their_modules_like_torch():
    class Model(nn.Module):
        def __init__(self, lib):
            super().__init__()
            self.blocks = lib.ModuleList([lib.Linear(2, 2) for _ in range(2)])
            self.heads = lib.ModuleDict({"tag": lib.Linear(2, 3), "score": lib.Linear(2, 1)})

    class TorchModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(2)])
            self.heads = torch.nn.ModuleDict({"tag": torch.nn.Linear(2, 3), "score": torch.nn.Linear(2, 1)})

    ours = Model(nn)
    assert list(ours.state_dict()) == list(TorchModel().state_dict())
    ours.blocks.append(nn.Linear(2, 2))
    del ours.blocks[0]
    assert [name for name, _ in ours.blocks.named_children()] == ["0", "1"]
    assert "tag" in ours.heads and ours.heads.keys() == ["tag", "score"]
    with pytest.raises(TypeError, match="is not a Module"):
        nn.ModuleList([lambda x: x])
    with pytest.raises(KeyError, match="holds"):
        ours.heads["missing"]


def test_load_state_dict_takes_torch_tensors_and_copies_them():
    theirs = torch.nn.GRU(3, 4, bidirectional=True, dtype=torch.float64)
    ours = nn.GRU(3, 4, bidirectional=True, dtype="float64")
    state = theirs.state_dict()
    ours.load_state_dict(state)
    with torch.no_grad():
        state["weight_ih_l0"].add_(1.0)  # changing the caller's tensor must not reach the model
    np.testing.assert_allclose(ours.weight_ih_l0.numpy() + 1.0, state["weight_ih_l0"].numpy(), **TOL)
    grads = {name: p for name, p in theirs.named_parameters()}
    ours.load_state_dict({"weight_hh_l0": grads["weight_hh_l0"]}, strict=False)  # requires_grad tensors too


def test_load_state_dict_strict_false_returns_torchs_named_tuple():
    ours = nn.LSTM(3, 4)
    theirs = torch.nn.LSTM(3, 4)
    state = {k: v for k, v in theirs.state_dict().items() if k != "bias_hh_l0"}
    state["extra.weight"] = torch.zeros(2)
    result = ours.load_state_dict(state, strict=False)
    expected = theirs.load_state_dict(state, strict=False)
    assert result.missing_keys == expected.missing_keys == ["bias_hh_l0"]
    assert result.unexpected_keys == expected.unexpected_keys == ["extra.weight"]
    missing, unexpected = result
    assert (missing, unexpected) == (["bias_hh_l0"], ["extra.weight"])
    with pytest.raises(nn.StateDictError, match=r"missing keys \['bias_hh_l0'\].*unexpected keys \['extra.weight'\]"):
        ours.load_state_dict(state)


def test_double_float_and_to_dtype_cast_parameters_and_gradients():
    model = nn.Sequential(nn.Linear(2, 3), nn.LSTM(3, 2))
    assert {p.dtype for p in model.parameters()} == {np.dtype("float32")}
    model[0].weight.grad = np.ones((3, 2), dtype="float32")
    assert model.double() is model
    assert {p.dtype for p in model.parameters()} == {np.dtype("float64")}
    assert model[0].weight.grad.dtype == np.float64
    model.float()
    assert {p.dtype for p in model.parameters()} == {np.dtype("float32")}
    model.to("float64")
    model.to(torch.float32)
    assert {p.dtype for p in model.parameters()} == {np.dtype("float32")}
    model.to("cpu", dtype="float64")
    assert {p.dtype for p in model.parameters()} == {np.dtype("float64")}
    with pytest.raises(TypeError, match="floating-point dtype"):
        model.to("int64")


def test_flatten_parameters_is_a_no_op_and_class_paths_exist():
    lstm = nn.modules.rnn.LSTM(2, 3)
    before = {k: v.copy() for k, v in lstm.state_dict().items()}
    assert lstm.flatten_parameters() is None
    assert all(np.array_equal(before[k], v) for k, v in lstm.state_dict().items())
    assert nn.modules.rnn.GRU is nn.GRU and nn.modules.linear.Linear is nn.Linear
    assert nn.modules.loss.CrossEntropyLoss is nn.CrossEntropyLoss
    assert nn.modules.container.Sequential is nn.Sequential and nn.modules.sparse.Embedding is nn.Embedding
    assert nn.utils.clip_grad_norm_ is lk.optim.clip_grad_norm_
    assert nn.utils.clip_grad_value_ is lk.optim.clip_grad_value_


# --------------------------------------------------------------------------- init


def test_init_functions_fill_in_place_with_torchs_distributions():
    lk.manual_seed(0)
    w = nn.Parameter(lk.zeros(400, 300, dtype="float64"))
    fan_in, fan_out = 300, 400
    assert nn.init.uniform_(w, -0.5, 1.5) is w
    assert -0.5 <= w.numpy().min() and w.numpy().max() <= 1.5 and abs(w.numpy().mean() - 0.5) < 0.01
    nn.init.normal_(w, 2.0, 0.5)
    assert abs(w.numpy().mean() - 2.0) < 0.01 and abs(w.numpy().std() - 0.5) < 0.01
    nn.init.constant_(w, 0.25)
    assert (w.numpy() == 0.25).all()
    assert (nn.init.zeros_(w).numpy() == 0).all() and (nn.init.ones_(w).numpy() == 1).all()
    nn.init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * np.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(w.numpy()).max() <= bound and abs(w.numpy().std() - bound / np.sqrt(3)) < 0.02 * bound
    nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - np.sqrt(2.0 / (fan_in + fan_out))) < 0.002
    nn.init.kaiming_uniform_(w, a=np.sqrt(5))  # what torch.nn.Linear uses
    bound = np.sqrt(6.0 / ((1 + 5) * fan_in))
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    nn.init.orthogonal_(w, gain=3.0)
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), 9.0 * np.eye(fan_in), atol=1e-10)
    wide = nn.init.orthogonal_(lk.zeros(3, 7, dtype="float64"))
    np.testing.assert_allclose(wide.numpy() @ wide.numpy().T, np.eye(3), atol=1e-12)


def test_init_gains_and_errors_match_torch():
    for name, param in (("tanh", None), ("relu", None), ("leaky_relu", 0.2), ("sigmoid", None), ("selu", None)):
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(lk.zeros(5))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


# --------------------------------------------------------------------------- a model written the torch way


def _word_model(lib, rnn_type, ntoken=11, ninp=6, nhid=6, nlayers=2, dropout=0.2):
    """The shape of PyTorch's word-level language model example: embedding, dropout, a
    recurrent stack, a decoder whose weight is tied to the embedding, torch-style init."""

    class RNNModel(lib.Module):
        def __init__(self):
            super().__init__()
            self.drop = lib.Dropout(dropout)
            self.encoder = lib.Embedding(ntoken, ninp)
            self.rnn = getattr(lib, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
            self.decoder = lib.Linear(nhid, ntoken)
            self.decoder.weight = self.encoder.weight
            lib.init.uniform_(self.encoder.weight, -0.1, 0.1)
            lib.init.zeros_(self.decoder.bias)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            self.rnn.flatten_parameters()
            return self.decoder(self.drop(output)), hidden

    return RNNModel().double()


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN"])
def test_a_tied_word_model_trains_like_torch(rnn_type):
    ours, theirs = _word_model(nn, rnn_type), _word_model(torch.nn, rnn_type)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # tied weights listed under both names
    _copy_weights(ours, theirs)
    ours.eval()
    theirs.eval()
    gen = np.random.default_rng(9)
    T, batch, lr = 7, 4, 0.5
    shape = (2, batch, 6)
    hidden = (lk.zeros(*shape, dtype="float64"), lk.zeros(*shape, dtype="float64")) if rnn_type == "LSTM" else \
        lk.zeros(*shape, dtype="float64")
    hidden_t = (torch.zeros(shape, dtype=torch.float64),) * 2 if rnn_type == "LSTM" else \
        torch.zeros(shape, dtype=torch.float64)
    criterion, criterion_t = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(3):
        data, targets = gen.integers(0, 11, (T, batch)), gen.integers(0, 11, T * batch)
        hidden = tuple(h.detach() for h in hidden) if rnn_type == "LSTM" else hidden.detach()
        hidden_t = tuple(h.detach() for h in hidden_t) if rnn_type == "LSTM" else hidden_t.detach()
        ours.zero_grad()
        theirs.zero_grad()
        out, hidden = ours(lk.tensor(data), hidden)
        out_t, hidden_t = theirs(torch.from_numpy(data), hidden_t)
        loss = criterion(out.reshape(-1, 11), lk.tensor(targets))
        loss_t = criterion_t(out_t.reshape(-1, 11), torch.from_numpy(targets))
        _assert_close(loss.numpy(), loss_t, "loss")
        loss.backward()
        loss_t.backward()
        their_params = dict(theirs.named_parameters())
        for name, param in ours.named_parameters():
            _assert_close(param.grad, their_params[name].grad, f"d {name}")
            param.data -= lr * param.grad
        with torch.no_grad():
            for param in theirs.parameters():
                param -= lr * param.grad


def test_activation_modules_in_a_sequential_match_torch():
    def build(lib):
        return lib.Sequential(lib.Linear(3, 4), lib.ReLU(), lib.Linear(4, 4), lib.Tanh(), lib.Sigmoid(),
                              lib.Identity(54))
    ours, theirs = build(nn).double(), build(torch.nn).double()
    assert repr(ours).splitlines()[2] == repr(theirs).splitlines()[2] == "  (1): ReLU()"
    _copy_weights(ours, theirs)
    x_np = np.random.default_rng(4).standard_normal((5, 3))
    x, xt = lk.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, out_t = ours(x), theirs(xt)
    _assert_close(out.numpy(), out_t, "output")
    (out * out).sum().backward()
    (out_t * out_t).sum().backward()
    _assert_close(x.grad, xt.grad, "d x")
