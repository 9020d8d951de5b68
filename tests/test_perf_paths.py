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
