"""The shortcuts the readable path takes for speed give exactly what the long way gives."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
import lstmkit.functional as F
from lstmkit import nn


def _leaves(*shapes, seed=0):
    gen = np.random.default_rng(seed)
    return [lk.tensor(gen.standard_normal(shape), requires_grad=True) for shape in shapes]


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 5, 3), (3,)])
def test_linear_is_one_node_with_the_values_and_gradients_of_matmul_transpose_and_add(x_shape):
    x, w, b = _leaves(x_shape, (4, 3), (4,))
    fused = F.linear(x, w, b)
    assert fused.grad_fn.name == "linear" and fused.grad_fn.inputs == (x, w, b)
    seed = np.random.default_rng(1).standard_normal(fused.shape)
    fused.backward(seed)
    fused_grads = [t.grad.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    composed = x @ w.T + b
    composed.backward(seed)
    np.testing.assert_array_equal(fused.numpy(), composed.numpy())
    for got, t in zip(fused_grads, (x, w, b), strict=True):
        np.testing.assert_allclose(got, t.grad, rtol=1e-13, atol=1e-14)


def test_linear_without_bias_and_with_a_frozen_weight():
    x, w = _leaves((3, 2), (5, 2), seed=2)
    frozen = lk.tensor(w.numpy())
    y = F.linear(x, frozen)
    assert y.grad_fn.inputs == (x, frozen)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.ones((3, 5)) @ w.numpy(), rtol=1e-13)
    assert frozen.grad is None
    assert lk.gradcheck(lambda x, w: F.linear(x, w), [x, w])


def test_linear_explains_shapes_that_do_not_line_up():
    x, w = _leaves((3, 2), (5, 4))
    with pytest.raises(lk.ShapeError, match=r"linear: input of shape \(3, 2\) and weight of shape \(5, 4\)"):
        F.linear(x, w)


def test_split_is_one_node_and_pieces_left_unused_get_zero_gradients():
    (x,) = _leaves((7, 3), seed=3)
    pieces = x.split(3)
    assert [p.shape for p in pieces] == [(3, 3), (3, 3), (1, 3)]
    assert len({id(p.grad_fn) for p in pieces}) == 1
    (pieces[1] * 2).sum().backward()
    expected = np.zeros((7, 3))
    expected[3:6] = 2
    np.testing.assert_array_equal(x.grad, expected)
    assert lk.gradcheck(lambda x: x.split([2, 5])[1] * x.split([2, 5])[0].sum(), [x])


def test_reduction_gradients_are_arrays_of_their_own():
    (x,) = _leaves((2, 3), seed=4)
    y = x.sum(dim=1)
    (g,) = y.grad_fn.backward(np.ones(2))
    g += 1  # writable, not a broadcast view
    np.testing.assert_array_equal(g, np.full((2, 3), 2.0))


@pytest.mark.parametrize("variant", ["standard", "article"])
def test_lstm_cell_gate_weights_cut_from_the_joined_parameters_train_as_the_blocks_did(variant):
    """gate_weights cuts [weight_hh | weight_ih] with one split; its gradients are the blocks' gradients."""
    lk.rng.manual_seed(7)
    cell = nn.LSTMCell(3, 4, variant=variant, dtype="float64")
    x = lk.tensor(np.random.default_rng(5).standard_normal((6, 2, 3)))
    h = c = lk.zeros(2, 4, dtype="float64")
    for t in range(x.shape[0]):
        h, c = cell(x[t], (h, c))
    (h.sum() + c.sum()).backward()
    got = {name: p.grad.copy() for name, p in cell.named_parameters()}
    cell.zero_grad()
    H = 4
    h = c = lk.zeros(2, 4, dtype="float64")
    for t in range(x.shape[0]):  # the long way: one concat and one slice per block, as the gates read them
        weights = {}
        bias = cell.bias_ih + cell.bias_hh
        for name, block in (("i", 0), ("f", 1), ("n", 2), ("v", 3)):
            rows = slice(block * H, (block + 1) * H)
            weights[f"W_{name}"] = lk.concat([cell.weight_hh[rows], cell.weight_ih[rows]], axis=1)
            weights[f"b_{name}"] = bias[rows]
        if variant == "article":
            weights.update(W_u=cell.weight_u, b_u=cell.bias_u)
        step = lk.gates.lstm_step(x[t], h, c, weights, variant=variant)
        h, c = step.stm, step.ltm
    (h.sum() + c.sum()).backward()
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(got[name], p.grad, rtol=1e-12, atol=1e-14, err_msg=name)


def _unrolled_loss(cell, x):
    h = c = lk.zeros(x.shape[1], cell.hidden_size, dtype=x.dtype)
    for t in range(x.shape[0]):
        h, c = cell(x[t], (h, c))
    return (h * h).sum() + c.sum()


def _grads(cell):
    return {name: None if p.grad is None else p.grad.copy() for name, p in cell.named_parameters()}


def _fresh_cell_grads(cell, *inputs):
    """The gradients a cell with ``cell``'s values gets from each input's loss, one new cell per
    call (so no gate blocks are shared between calls)."""
    grads = []
    for x in inputs:
        twin = nn.LSTMCell(cell.input_size, cell.hidden_size, variant=cell.variant, dtype=x.dtype)
        twin.load_state_dict(cell.state_dict())
        _unrolled_loss(twin, x).backward()
        grads.append(_grads(twin))
    return grads


def test_the_frames_of_one_forward_share_one_gate_blocks_node():
    lk.rng.manual_seed(3)
    cell = nn.LSTMCell(3, 4, dtype="float64")
    x = lk.tensor(np.random.default_rng(1).standard_normal((5, 2, 3)), requires_grad=True)
    first, second = cell._frame_gate_weights(), cell._frame_gate_weights()
    assert all(first[name] is second[name] for name in first)
    h = c = lk.zeros(2, 4, dtype="float64")
    for t in range(5):
        step = cell.step(x[t], h, c)
        h, c = step.stm, step.ltm
    order = lk.autograd.engine.topological_order(h.grad_fn)
    names = [fn.name for fn in order]
    assert names.count("gateblocks") == 1
    assert names.count("concat") == 5  # lstm_step joins [STM, E] once per frame for its three gates


def test_two_graphs_built_before_either_backward_get_their_own_gradients():
    """As in torch: losses from two forwards of one cell can be backpropagated one after the other."""
    lk.rng.manual_seed(4)
    cell = nn.LSTMCell(3, 4, dtype="float64")
    gen = np.random.default_rng(2)
    x1, x2 = (lk.tensor(gen.standard_normal((4, 2, 3))) for _ in range(2))
    expected_1, expected_2 = _fresh_cell_grads(cell, x1, x2)
    loss1, loss2 = _unrolled_loss(cell, x1), _unrolled_loss(cell, x2)
    loss1.backward()
    after_first = _grads(cell)
    loss2.backward()
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(after_first[name], expected_1[name], rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(p.grad, expected_1[name] + expected_2[name], rtol=1e-12, err_msg=name)
    with pytest.raises(lk.autograd.engine.GraphFreedError):  # the frames' own nodes were still released
        loss1.backward()


@pytest.mark.parametrize("change", ["optimiser step", "write through .data", "copy_", "new array", "load_state_dict"])
def test_changed_parameter_values_give_new_gate_blocks(change):
    lk.rng.manual_seed(5)
    cell = nn.LSTMCell(3, 4, dtype="float64")
    x = lk.tensor(np.random.default_rng(3).standard_normal((3, 2, 3)))
    _unrolled_loss(cell, x).backward()
    before = cell._frame_gate_weights()
    if change == "optimiser step":
        lk.optim.SGD(cell.parameters(), lr=0.1).step()
    elif change == "write through .data":
        cell.weight_hh.data[0, 0] += 1.0
    elif change == "copy_":
        with lk.no_grad():
            cell.bias_ih.copy_(np.zeros(16))
    elif change == "new array":
        cell.weight_ih.data = np.ones((16, 3))
    else:
        state = cell.state_dict()
        state["bias_hh"] = state["bias_hh"] + 1.0
        cell.load_state_dict(state)
    after = cell._frame_gate_weights()
    assert all(after[name] is not before[name] for name in before)
    expected = cell.weight_hh.numpy()[:4]
    np.testing.assert_array_equal(after["W_i"].numpy()[:, :4], expected)
    cell.zero_grad()
    _unrolled_loss(cell, x).backward()
    (expected_grads,) = _fresh_cell_grads(cell, x)
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad, expected_grads[name], rtol=1e-12, err_msg=name)


def test_gate_blocks_follow_grad_mode_and_frozen_parameters():
    cell = nn.LSTMCell(3, 4)
    with lk.no_grad():
        untracked = cell._frame_gate_weights()
    assert untracked["W_n"].grad_fn is None
    tracked = cell._frame_gate_weights()
    assert tracked["W_n"].grad_fn is not None and tracked["W_n"] is not untracked["W_n"]
    for p in cell.parameters():
        p.requires_grad_(False)
    assert cell._frame_gate_weights()["W_n"].grad_fn is None


def test_a_cell_copied_or_pickled_after_use_carries_no_graph():
    import copy  # noqa: PLC0415
    import pickle  # noqa: PLC0415

    cell = nn.LSTMCell(3, 4)
    cell(lk.ones(2, 3))
    for twin in (copy.deepcopy(cell), pickle.loads(pickle.dumps(cell))):
        assert twin.gate_weights()["W_n"].grad_fn.inputs[0] is twin.weight_hh


def test_gates_take_a_join_made_once_and_check_its_shape():
    gen = np.random.default_rng(6)
    stm, event, ltm = (lk.tensor(gen.standard_normal(shape)) for shape in ((2, 4), (2, 3), (2, 4)))
    W, b = lk.tensor(gen.standard_normal((4, 7))), lk.tensor(gen.standard_normal(4))
    joined = lk.gates.join_stm_event(stm, event)
    np.testing.assert_array_equal(lk.gates.learn_gate(stm, event, W, b, W, b, combined=joined).output.numpy(),
                                  lk.gates.learn_gate(stm, event, W, b, W, b).output.numpy())
    np.testing.assert_array_equal(lk.gates.forget_gate(stm, event, ltm, W, b, combined=joined).output.numpy(),
                                  lk.gates.forget_gate(stm, event, ltm, W, b).output.numpy())
    with pytest.raises(lk.ShapeError, match=r"use_gate: combined has shape \(2, 3\).*is \(2, 7\)"):
        lk.gates.use_gate(stm, event, W, b, variant="standard", ltm=ltm, combined=event)


def test_gate_weights_hands_out_blocks_of_its_own_that_cannot_change_the_cell():
    lk.rng.manual_seed(8)
    cell = nn.LSTMCell(3, 4, bias=False, dtype="float64")
    x = lk.tensor(np.random.default_rng(4).standard_normal((2, 3)))
    before = cell(x)[0].numpy()
    mine = cell.gate_weights()
    assert all(mine[name] is not cell.gate_weights()[name] for name in mine)
    mine["W_n"].retain_grad()
    with lk.no_grad():
        mine["b_n"] += 100.0
        mine["W_n"] *= 0.0
    after, _ = cell(x)
    np.testing.assert_array_equal(after.numpy(), before)
    after.sum().backward()
    assert mine["W_n"].grad is None
