"""Tensor methods that share a name with torch's behave like torch: forward values and
every gradient against torch 2.13 in float64 to 1e-10 (broadcasting, 0-d, empty, tuple
and negative axes, ties), plus the rules around them (in place, .data, dtypes, devices)."""

from __future__ import annotations

import numpy as np
import pytest
from torch_parity import check_case

import lstmkit as lk

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the cross-checks need it")

pytestmark = pytest.mark.torch

CASES = [
    # shape: torch's transpose swaps two dims; permute reorders; .T / t() / mT
    ("transpose 2-D", lambda m, F, a: a.transpose(0, 1), [(2, 3)], "any"),
    ("transpose negative dims 3-D", lambda m, F, a: a.transpose(-1, 0), [(2, 3, 4)], "any"),
    ("transpose same dim", lambda m, F, a: a.transpose(1, 1), [(2, 3)], "any"),
    ("transpose function", lambda m, F, a: m.transpose(a, 1, 2), [(2, 3, 4)], "any"),
    ("permute", lambda m, F, a: a.permute(2, 0, 1), [(2, 3, 4)], "any"),
    ("permute negative", lambda m, F, a: a.permute(-1, 0, 1), [(2, 3, 4)], "any"),
    ("T", lambda m, F, a: a.T, [(2, 3)], "any"),
    ("mT", lambda m, F, a: a.mT, [(2, 3, 4)], "any"),
    ("t 2-D", lambda m, F, a: a.t(), [(2, 3)], "any"),
    ("t 1-D", lambda m, F, a: a.t(), [(3,)], "any"),
    ("view", lambda m, F, a: a.view(3, -1), [(2, 3, 2)], "any"),
    ("view flat", lambda m, F, a: a.view(-1), [(2, 3)], "any"),
    ("reshape tuple", lambda m, F, a: a.reshape((4, 3)), [(2, 6)], "any"),
    ("unsqueeze 0", lambda m, F, a: a.unsqueeze(0), [(2, 3)], "any"),
    ("unsqueeze -1", lambda m, F, a: a.unsqueeze(-1), [(2, 3)], "any"),
    ("unsqueeze 0-d", lambda m, F, a: a.unsqueeze(0), [()], "any"),
    ("squeeze all", lambda m, F, a: a.squeeze(), [(1, 3, 1)], "any"),
    ("squeeze dim", lambda m, F, a: a.squeeze(-1), [(1, 3, 1)], "any"),
    ("squeeze dim not 1", lambda m, F, a: a.squeeze(1), [(1, 3, 1)], "any"),
    ("squeeze tuple", lambda m, F, a: a.squeeze((0, 2)), [(1, 3, 1)], "any"),
    ("flatten", lambda m, F, a: a.flatten(), [(2, 3, 4)], "any"),
    ("flatten start end", lambda m, F, a: a.flatten(0, 1), [(2, 3, 4)], "any"),
    ("flatten 0-d", lambda m, F, a: a.flatten(), [()], "any"),
    ("narrow", lambda m, F, a: a.narrow(1, 1, 2), [(3, 4)], "any"),
    ("narrow negative start", lambda m, F, a: a.narrow(0, -2, 1), [(3, 4)], "any"),
    ("expand", lambda m, F, a: a.expand(2, -1, 4), [(3, 1)], "any"),
    ("expand_as", lambda m, F, a, b: a.expand_as(b) * b, [(1, 3), (2, 3)], "any"),
    ("contiguous of transpose", lambda m, F, a: a.t().contiguous() * 2, [(2, 3)], "any"),
    ("clone", lambda m, F, a: a.clone() * a, [(2, 3)], "any"),
    ("getitem slices", lambda m, F, a: a[1:, ::2], [(3, 4)], "any"),
    ("getitem repeated rows", lambda m, F, a: a[[0, 2, 0]], [(3, 2)], "any"),
    ("getitem empty", lambda m, F, a: a[2:2], [(3, 2)], "any"),
    ("cat dim", lambda m, F, a, b: m.cat([a, b], dim=1), [(2, 3), (2, 1)], "any"),
    ("cat negative dim", lambda m, F, a, b: m.cat((a, b), -1), [(2, 3), (2, 1)], "any"),
    ("cat with empty", lambda m, F, a, b: m.cat([a, b]), [(0, 3), (2, 3)], "any"),
    ("stack dim -1", lambda m, F, a, b: m.stack([a, b], dim=-1), [(2, 3), (2, 3)], "any"),
    ("split dim", lambda m, F, a: a.split(2, dim=1)[1] * 3, [(2, 5)], "any"),
    ("split sections", lambda m, F, a: m.split(a, [1, 3], dim=1)[1], [(2, 4)], "any"),
    ("chunk", lambda m, F, a: a.chunk(3, 0)[-1], [(5, 2)], "any"),
    # arithmetic and broadcasting
    ("add broadcast", lambda m, F, a, b: a + b, [(3, 1, 4), (2, 4)], "any"),
    ("sub 0-d", lambda m, F, a, b: a - b, [(), (2, 3)], "any"),
    ("mul broadcast", lambda m, F, a, b: a * b, [(2, 3), (2, 1)], "any"),
    ("div broadcast", lambda m, F, a, b: a / b, [(2, 3), (3,)], "positive"),
    ("add alpha", lambda m, F, a, b: a.add(b, alpha=-0.5), [(2, 3), (3,)], "any"),
    ("pow scalar", lambda m, F, a: a**3, [(2, 3)], "any"),
    ("pow tensor exponent", lambda m, F, a, b: a**b, [(2, 3), (3,)], "positive"),
    ("pow 0 ** 0 tensor exponent", lambda m, F, a, b: (a * 0) ** (b * 0), [(3,), (3,)], "any"),
    ("pow 0 base exponent above 1", lambda m, F, a, b: (a * 0) ** (b + 1), [(3,), (3,)], "positive"),
    ("matmul batched broadcast", lambda m, F, a, b: a @ b, [(2, 3, 4), (4, 5)], "any"),
    ("matmul vectors", lambda m, F, a, b: m.matmul(a, b), [(4,), (4,)], "any"),
    ("mm", lambda m, F, a, b: a.mm(b), [(2, 3), (3, 2)], "any"),
    ("neg", lambda m, F, a: a.neg(), [(2,)], "any"),
    # elementwise
    ("abs with zeros", lambda m, F, a: a.abs(), [(3, 4)], "zeros"),
    ("abs function", lambda m, F, a: m.abs(a), [(3,)], "any"),
    ("sqrt", lambda m, F, a: a.sqrt(), [(2, 3)], "positive"),
    ("exp log", lambda m, F, a: a.exp() + a.log(), [(2, 3)], "positive"),
    ("tanh", lambda m, F, a: m.tanh(a), [(2, 3)], "wide"),
    ("sigmoid wide", lambda m, F, a: a.sigmoid(), [(4, 5)], "wide"),
    ("sigmoid function", lambda m, F, a: m.sigmoid(a), [(4,)], "any"),
    ("relu at zeros", lambda m, F, a: a.relu(), [(3, 4)], "zeros"),
    ("clamp both", lambda m, F, a: a.clamp(-0.5, 0.5), [(3, 4)], "any"),
    ("clamp at the bounds", lambda m, F, a: a.clamp(min=-1, max=1), [(3, 4)], "ties"),
    ("clamp min only", lambda m, F, a: a.clamp(min=0), [(3, 4)], "any"),
    ("clamp max keyword function", lambda m, F, a: m.clamp(a, max=0.1), [(3, 4)], "any"),
    ("maximum ties broadcast", lambda m, F, a, b: m.maximum(a, b), [(3, 4), (4,)], "ties"),
    ("minimum ties", lambda m, F, a, b: a.minimum(b), [(3, 4), (3, 4)], "ties"),
    ("max of two tensors", lambda m, F, a, b: m.max(a, b), [(3, 4), (3, 4)], "ties"),
    ("min of two tensors", lambda m, F, a, b: a.min(b), [(3, 4), (1, 4)], "ties"),
    # comparisons: boolean tensors
    ("eq ne", lambda m, F, a, b: (a == b, a != b, a == 0), [(3, 4), (4,)], "ties"),
    ("lt ge", lambda m, F, a, b: (a < b, a >= b), [(3, 4), (3, 4)], "ties"),
    # reductions
    ("sum all", lambda m, F, a: a.sum(), [(2, 3)], "any"),
    ("sum dim", lambda m, F, a: a.sum(1), [(2, 3, 4)], "any"),
    ("sum negative keepdim", lambda m, F, a: a.sum(-1, keepdim=True), [(2, 3)], "any"),
    ("sum tuple", lambda m, F, a: a.sum((0, 2)), [(2, 3, 4)], "any"),
    ("sum tuple negative keepdim", lambda m, F, a: a.sum(dim=(-1, 0), keepdim=True), [(2, 3, 4)], "any"),
    ("sum dim () means all", lambda m, F, a: a.sum(dim=()), [(2, 3)], "any"),
    ("sum 0-d dim 0", lambda m, F, a: a.sum(0), [()], "any"),
    ("sum 0-d dim -1 keepdim", lambda m, F, a: a.sum(-1, keepdim=True), [()], "any"),
    ("sum empty dim 0", lambda m, F, a: a.sum(0), [(0, 3)], "any"),
    ("sum empty dim 1", lambda m, F, a: a.sum(1), [(0, 3)], "any"),
    ("sum empty all", lambda m, F, a: a.sum(), [(0, 3)], "any"),
    ("sum axis alias", lambda m, F, a: a.sum(axis=1), [(2, 3)], "any"),
    ("mean", lambda m, F, a: a.mean(), [(2, 3)], "any"),
    ("mean tuple keepdim", lambda m, F, a: a.mean((0, -1), keepdim=True), [(2, 3, 4)], "any"),
    ("mean 0-d dim 0", lambda m, F, a: a.mean(0), [()], "any"),
    ("mean empty dim 1", lambda m, F, a: a.mean(1), [(0, 3)], "any"),
    ("max all ties", lambda m, F, a: a.max(), [(3, 4)], "ties"),
    ("max dim ties", lambda m, F, a: a.max(1), [(3, 4)], "ties"),
    ("max dim keyword keepdim", lambda m, F, a: a.max(dim=-1, keepdim=True), [(2, 3, 4)], "ties"),
    ("max 0-d dim 0", lambda m, F, a: a.max(0), [()], "any"),
    ("max empty rows", lambda m, F, a: a.max(1), [(0, 3)], "any"),
    ("max function dim", lambda m, F, a: m.max(a, 0), [(3, 4)], "ties"),
    ("min all ties", lambda m, F, a: a.min(), [(3, 4)], "ties"),
    ("min dim ties", lambda m, F, a: a.min(0), [(3, 4)], "ties"),
    ("amax tuple ties", lambda m, F, a: a.amax((0, 2)), [(2, 3, 4)], "ties"),
    ("amax negative keepdim", lambda m, F, a: a.amax(-1, keepdim=True), [(3, 4)], "ties"),
    ("amin all ties", lambda m, F, a: a.amin(), [(3, 4)], "ties"),
    ("argmax all ties", lambda m, F, a: a.argmax(), [(3, 4)], "ties"),
    ("argmax dim ties", lambda m, F, a: a.argmax(1), [(3, 4)], "ties"),
    ("argmax negative keepdim", lambda m, F, a: a.argmax(-1, keepdim=True), [(2, 3, 4)], "ties"),
    ("argmin dim ties", lambda m, F, a: m.argmin(a, 0), [(3, 4)], "ties"),
    ("argmax 0-d", lambda m, F, a: (a.argmax(), a.argmax(0)), [()], "any"),
    ("var all", lambda m, F, a: a.var(), [(3, 4)], "any"),
    ("var dim", lambda m, F, a: a.var(1), [(3, 4)], "any"),
    ("var unbiased False", lambda m, F, a: a.var(1, unbiased=False), [(3, 4)], "any"),
    ("var tuple keepdim", lambda m, F, a: a.var((0, 2), keepdim=True), [(2, 3, 4)], "any"),
    ("var correction 0", lambda m, F, a: a.var(dim=-1, correction=0), [(3, 4)], "any"),
    ("var correction 2", lambda m, F, a: a.var(0, correction=2), [(5, 2)], "any"),
    ("std", lambda m, F, a: a.std(), [(3, 4)], "any"),
    ("std dim unbiased False", lambda m, F, a: m.std(a, 0, unbiased=False), [(3, 4)], "any"),
    ("softmax method", lambda m, F, a: a.softmax(0), [(3, 4)], "any"),
    ("log_softmax method", lambda m, F, a: a.log_softmax(-1), [(3, 4)], "wide"),
    ("where", lambda m, F, a, b: m.where(a > 0, a, b), [(3, 4), (4,)], "any"),
    ("to float64 no-op keeps graph", lambda m, F, a: a.to(m.float64) * 2, [(3,)], "any"),
    ("double", lambda m, F, a: a.double() * a, [(3,)], "any"),
    ("type dtype", lambda m, F, a: a.type(m.float64) + 1, [(3,)], "any"),
    ("iadd on a graph node", lambda m, F, a: _iadd(a * 2, a), [(3,)], "any"),
]


def _iadd(node, other):
    node += other
    return node


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), CASES, ids=[c[0] for c in CASES])
def test_tensor_method_matches_torch_in_values_and_gradients(name, fn, shapes, kind):
    check_case(torch, name, fn, shapes, kind)


# ---------------------------------------------------------------------- errors torch also raises


def test_transpose_with_a_permutation_points_to_permute():
    x = lk.zeros(2, 3, 4)
    with pytest.raises(TypeError):
        x.transpose(1, 0, 2)
    assert x.permute(1, 0, 2).shape == (3, 2, 4)
    assert x.transpose(0, 1).shape == (3, 2, 4)


def test_max_of_an_empty_tensor_raises_like_torch():
    empty = lk.zeros(0, 3)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        empty.max()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero size"):
        empty.max(0)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim 0"):
        empty.argmax(0)
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0"):
        empty.amax(0)
    for call in (lambda t: t.max(), lambda t: t.max(0), lambda t: t.argmax(0)):  # torch raises too
        with pytest.raises((RuntimeError, IndexError)):
            call(torch.zeros(0, 3))


def test_t_of_a_3d_tensor_and_bad_narrow_are_refused():
    with pytest.raises(lk.ShapeError, match=r"t\(\) expects a tensor with <= 2 dimensions"):
        lk.zeros(2, 2, 2).t()
    with pytest.raises(IndexError, match="narrow: start 2 and length 3"):
        lk.zeros(2, 4).narrow(1, 2, 3)
    with pytest.raises(lk.ShapeError, match="permute"):
        lk.zeros(2, 3).permute(0)


def test_size_dim_numel_and_len_follow_torch():
    x, t = lk.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) and x.size(-1) == t.size(-1)
    assert x.dim() == t.dim() and x.numel() == t.numel() and len(x) == len(t)
    assert lk.numel(x) == torch.numel(t)
    with pytest.raises(IndexError):
        x.size(3)
    with pytest.raises(TypeError, match="len"):
        len(lk.tensor(1.0))


def test_max_dim_returns_a_named_tuple_that_unpacks_like_torch():
    x = lk.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    values, indices = x.max(1)
    result = x.max(dim=1)
    assert result.values is result[0] and result.indices is result[1]
    np.testing.assert_array_equal(values.numpy(), [3.0, 2.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])  # the first of tied values, as torch
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert x.max().shape == ()


def test_equality_is_elementwise_but_hashing_is_by_identity():
    a, b = lk.tensor([1.0, 2.0]), lk.tensor([1.0, 2.0])
    assert (a == b).dtype == bool and bool((a == b).all())
    assert a != None and not (a == None)  # noqa: E711  (torch's answer for None)
    table = {a: "a", b: "b"}  # distinct keys although their values are equal
    assert table[a] == "a" and table[b] == "b" and len({a, b, a}) == 2
    assert a.equal(b) and not a.equal(lk.tensor([1.0, 2.5]))


# ---------------------------------------------------------------------- accuracy against torch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_and_logsigmoid_are_as_accurate_as_torch_over_the_whole_range(dtype):
    grid = np.concatenate([-np.logspace(-3, 3, 301), [0.0], np.logspace(-3, 3, 301)]).astype(dtype)
    ours = lk.tensor(grid).sigmoid().numpy()
    theirs = torch.sigmoid(torch.from_numpy(grid)).numpy()
    exact = (1 / (1 + np.exp(-grid.astype(np.longdouble)))).astype("float64")  # 80-bit: no overflow here
    eps = np.finfo(dtype).eps
    # as close to the exact value as torch is, everywhere (relative error, both tails)
    ours_err = np.abs(ours - exact) / np.maximum(exact, np.finfo(dtype).tiny)
    theirs_err = np.abs(theirs - exact) / np.maximum(exact, np.finfo(dtype).tiny)
    assert (ours_err <= np.maximum(4 * eps, 2 * theirs_err)).all()
    if dtype == "float32":
        np.testing.assert_allclose(lk.tensor(np.float32(-20)).sigmoid().item(), 2.0611537e-9, rtol=1e-6)
        assert lk.tensor(np.float32(-17)).sigmoid().item() == pytest.approx(4.1399378e-08, rel=1e-6)
    log_ours = lk.functional.logsigmoid(lk.tensor(grid)).numpy()
    log_theirs = torch.nn.functional.logsigmoid(torch.from_numpy(grid)).numpy()
    np.testing.assert_allclose(log_ours, log_theirs, rtol=8 * eps, atol=8 * eps)
    assert lk.functional.logsigmoid(lk.tensor(np.asarray(-40.0, dtype=dtype))).item() == pytest.approx(-40.0)


def test_pow_gradients_at_zero_base_follow_torch():
    for base, exponent in [(0.0, 0.0), (0.0, 2.0), (0.0, -1.0), (-2.0, 0.5), (-2.0, 2.0)]:
        a = lk.tensor([base], dtype="float64", requires_grad=True)
        b = lk.tensor([exponent], dtype="float64", requires_grad=True)
        at = torch.tensor([base], dtype=torch.float64, requires_grad=True)
        bt = torch.tensor([exponent], dtype=torch.float64, requires_grad=True)
        with np.errstate(all="ignore"):
            (a**b).sum().backward()
        (at**bt).sum().backward()
        np.testing.assert_allclose(a.grad, at.grad.numpy(), equal_nan=True, err_msg=f"{base}**{exponent} d/da")
        np.testing.assert_allclose(b.grad, bt.grad.numpy(), equal_nan=True, err_msg=f"{base}**{exponent} d/db")


# ---------------------------------------------------------------------- in place, .data and .grad


def test_in_place_methods_change_values_and_refuse_a_leaf_that_requires_grad():
    w = lk.tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.zero_(), lambda: w.fill_(3.0),
                   lambda: w.copy_([0.0, 0.0]), lambda: w.uniform_(), lambda: w.normal_(), lambda: w.sub_(1.0),
                   lambda: w.div_(2.0), lambda: w.clamp_(0, 1)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
            change()
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])  # nothing changed
    with lk.no_grad():
        w.add_(lk.tensor([1.0, 1.0]), alpha=-0.5).mul_(2.0)
        w -= 1.0
    np.testing.assert_array_equal(w.numpy(), [0.0, 2.0])
    assert w.requires_grad and w.is_leaf

    wt = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        wt.add_(1.0)  # torch refuses the same


def test_in_place_operator_changes_the_same_tensor_like_torch():
    x = lk.tensor([1.0, 2.0])
    alias = x
    x += 1
    x *= lk.tensor([2.0, 3.0])
    assert x is alias
    np.testing.assert_array_equal(alias.numpy(), [4.0, 9.0])
    with pytest.raises(lk.ShapeError, match=r"\+=: cannot write values of shape \(2, 2\)"):
        x += lk.zeros(2, 2)
    y = lk.tensor([1, 2])
    with pytest.raises(lk.ShapeError, match="dtype"):
        y += 0.5  # torch: "result type Float can't be cast to the desired output type Long"


def test_plain_parameter_update_loop_updates_in_place_under_no_grad():
    params = [lk.tensor([1.0, 2.0], requires_grad=True)]
    (params[0] * params[0]).sum().backward()
    with lk.no_grad():
        for p in params:
            p -= 0.5 * lk.tensor(p.grad)  # rebinding p would silently leave params unchanged
    np.testing.assert_array_equal(params[0].numpy(), [0.0, 0.0])


def test_data_idiom_of_torch_updates_the_parameter_and_data_stays_a_numpy_array():
    p = lk.tensor([1.0, 2.0], requires_grad=True)
    pt = torch.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (p * p * p).sum().backward()
        (pt * pt * pt).sum().backward()
        p.data.add_(p.grad, alpha=-0.1)  # torch's idiom, word for word
        pt.data.add_(pt.grad, alpha=-0.1)
        p.grad, pt.grad = None, None
    np.testing.assert_allclose(p.numpy(), pt.detach().numpy(), rtol=1e-6)
    assert isinstance(p.data, np.ndarray) and p.data.shape == (2,)  # what the lessons teach
    assert repr(p.data).startswith("array(")
    assert type(p.data * 2) is np.ndarray and type(np.abs(p.data)) is np.ndarray  # no subclass spreads
    p.data -= 1.0  # the NumPy spelling changes the same memory
    p.data[0] = 5.0
    assert p.numpy()[0] == 5.0
    p.data.uniform_(-0.1, 0.1)
    assert (np.abs(p.numpy()) <= 0.1).all()
    p.data.zero_()
    p.data.copy_(lk.tensor([3.0, 4.0]))
    np.testing.assert_array_equal(p.numpy(), [3.0, 4.0])
    p.data = np.zeros(2)  # rebinding the values is allowed, as in torch
    np.testing.assert_array_equal(p.numpy(), [0.0, 0.0])
    assert type(p._data) is np.ndarray
    assert isinstance(p.grad, type(None))


def test_data_writes_bypass_the_graph_and_grad_stays_a_plain_array():
    w = lk.tensor([2.0], requires_grad=True)
    (w * 3).sum().backward()
    assert type(w.grad) is np.ndarray
    w.data.mul_(10)  # allowed: .data is outside the graph, as torch's
    assert w.item() == 20.0 and w.requires_grad


def test_uniform_and_normal_follow_manual_seed():
    lk.manual_seed(3)
    first = lk.zeros(4).uniform_(-1, 1).numpy(), lk.zeros(3).data.normal_().copy()
    lk.manual_seed(3)
    second = lk.zeros(4).uniform_(-1, 1).numpy(), lk.zeros(3).data.normal_().copy()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


# ---------------------------------------------------------------------- module level, dtypes, devices


def test_dtype_objects_are_accepted_wherever_a_dtype_is():
    assert lk.tensor([1.0], dtype=lk.float64).dtype == lk.float64 == np.float64
    assert lk.zeros(2, dtype=lk.long).dtype == lk.int64
    assert lk.ones(2).to(lk.double).dtype == lk.float64
    assert lk.ones(2).long().dtype == lk.int64 and lk.ones(2).bool().dtype == lk.bool
    assert lk.ones(2).double().float().dtype == lk.float32
    assert lk.tensor([1.0], dtype=torch.float64).dtype == lk.float64  # a torch.dtype reads too
    assert lk.ones(2).type(lk.LongTensor).dtype == lk.int64
    assert lk.ones(2).type("torch.DoubleTensor").dtype == lk.float64
    assert lk.ones(2).type() == "lstmkit.FloatTensor"
    assert isinstance(lk.ones(2).dtype, lk.dtype)
    with pytest.raises(TypeError, match="not a dtype lstmkit knows"):
        lk.zeros(2, dtype="floaty")


def test_default_dtype_sets_what_floats_and_factories_give():
    assert lk.get_default_dtype() == lk.float32
    try:
        lk.set_default_dtype(lk.float64)
        assert lk.tensor([1.5]).dtype == lk.float64 and lk.zeros(2).dtype == lk.float64
        assert lk.randn(2).dtype == lk.float64 and lk.rand(2).dtype == lk.float64
        assert lk.arange(0, 1, 0.5).dtype == lk.float64 and lk.arange(3).dtype == lk.int64
    finally:
        lk.set_default_dtype(lk.float32)
    with pytest.raises(TypeError, match="float32 or float64"):
        lk.set_default_dtype(lk.int64)
    assert lk.tensor([1.5]).dtype == lk.float32


def test_factories_match_torch_shapes_dtypes_and_values():
    np.testing.assert_array_equal(lk.arange(5).numpy(), torch.arange(5).numpy())
    np.testing.assert_allclose(lk.arange(1, 2, 0.25).numpy(), torch.arange(1, 2, 0.25).numpy())
    assert lk.arange(1, 2, 0.25).dtype == np.float32 and lk.arange(5).dtype == np.int64
    assert lk.randn(2, 3).shape == (2, 3) and lk.rand((4,)).shape == (4,)
    assert lk.zeros((2, 3)).shape == lk.ones([2, 3]).shape == (2, 3)
    assert lk.full((2,), 7.0).tolist() == [7.0, 7.0] and lk.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    values = np.arange(3.0)
    shared = lk.from_numpy(values)
    values[0] = 9.0  # from_numpy shares memory, as torch's
    assert shared.tolist() == [9.0, 1.0, 2.0] and shared.dtype == np.float64
    assert lk.is_tensor(shared) and not lk.is_tensor(values)
    x = lk.tensor([[1.0, 2.0]], dtype=lk.float64)
    assert x.new_zeros(3).dtype == lk.float64 and x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_tensor([1, 2]).dtype == lk.float64 and lk.zeros_like(x).shape == (1, 2)
    lk.manual_seed(0)
    a = lk.randn(3)
    lk.manual_seed(0)
    assert a.tolist() == lk.randn(3).tolist()


def test_device_objects_and_no_grad_work_as_torch_code_uses_them():
    cpu = lk.device("cpu")
    assert cpu == "cpu" and cpu.type == "cpu" and repr(cpu) == "device(type='cpu')"
    assert lk.device("cuda:0").type == "cuda" and lk.device("cuda:0").index == 0
    assert lk.ones(2).to(cpu).device == "cpu" and lk.ones(2).device.type == "cpu"
    assert lk.ones(2).to(torch.device("cpu")).device == "cpu"
    assert lk.tensor([1.0], device=cpu).device == cpu
    with pytest.raises(lk.DeviceError, match="'cpu', 'cuda'"):
        lk.device("tpu")
    x = lk.ones(2, requires_grad=True)
    with lk.no_grad():
        assert not (x * 2).requires_grad
        with lk.enable_grad():
            assert (x * 2).requires_grad
    lk.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        lk.set_grad_enabled(True)


def test_legacy_names_still_construct_tensors():
    v = lk.autograd.Variable(lk.tensor([1.0, 2.0]), requires_grad=True)
    assert isinstance(v, lk.Tensor) and v.requires_grad
    assert lk.LongTensor([1, 2]).dtype == lk.int64 and lk.FloatTensor([1, 2]).dtype == lk.float32
    assert lk.FloatTensor(2, 3).shape == (2, 3) and lk.DoubleTensor(np.ones(2)).dtype == lk.float64


def test_torch_style_functions_at_module_level_call_the_methods():
    x = lk.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert lk.sum(x, 1).tolist() == x.sum(1).tolist()
    assert lk.transpose(x, 0, 1).tolist() == x.T.tolist()
    assert lk.squeeze(lk.unsqueeze(x, 0)).shape == (2, 2)
    assert lk.argmax(x).item() == 2
    with pytest.raises(TypeError, match="expected a Tensor"):
        lk.tanh([1.0])


def test_format_and_number_conversions_of_one_value_tensors():
    loss = lk.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and float(loss) == pytest.approx(0.123456) and int(lk.tensor(3)) == 3
    assert [10, 20, 30][lk.tensor(1)] == 20


def test_changing_a_saved_input_in_place_before_backward_is_refused_like_torch():
    w = lk.tensor([1.0, 2.0], requires_grad=True)
    x = lk.tensor([3.0, 4.0])
    y = (w * x).sum()  # mul saves x for d/dw
    x.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"input 1 of 'mul'.*changed in place.*clone\(\)"):
        y.backward()
    wt, xt = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0])
    yt = (wt * xt).sum()
    xt.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        yt.backward()
    # an op that saved nothing of x is not affected (torch agrees)
    z = (w + x).sum()
    x.add_(1.0)
    z.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_setitem_writes_in_place_and_refuses_a_leaf_that_requires_grad():
    x = lk.zeros(2, 3)
    x[0] = lk.tensor([1.0, 2.0, 3.0])
    x[:, -1] = 9.0
    x[x > 8] = 7.0
    xt = torch.zeros(2, 3)
    xt[0] = torch.tensor([1.0, 2.0, 3.0])
    xt[:, -1] = 9.0
    xt[xt > 8] = 7.0
    np.testing.assert_array_equal(x.numpy(), xt.numpy())
    w = lk.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 1.0
    with lk.no_grad():
        w[0] = 1.0
    assert w.tolist() == [1.0, 0.0]
