"""lstmkit.functional against torch.nn.functional: every activation and loss, forward
values and every gradient in float64 to 1e-10, in torch's layouts and options."""

from __future__ import annotations

import numpy as np
import pytest
from torch_parity import check_case

import lstmkit as lk
import lstmkit.functional as LF

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the cross-checks need it")

pytestmark = pytest.mark.torch


def _ints(m, values):
    return m.tensor(values)


W3 = [0.5, 2.0, 1.5]

CASES = [
    # activations
    ("sigmoid", lambda m, F, a: F.sigmoid(a), [(3, 4)], "wide"),
    ("logsigmoid", lambda m, F, a: F.logsigmoid(a), [(3, 4)], "wide"),
    ("softplus", lambda m, F, a: F.softplus(a), [(3, 4)], "wide"),
    ("softplus beta threshold", lambda m, F, a: F.softplus(a, beta=2.0, threshold=1.0), [(3, 4)], "any"),
    ("tanh", lambda m, F, a: F.tanh(a), [(3,)], "any"),
    ("relu", lambda m, F, a: F.relu(a), [(3, 4)], "zeros"),
    ("softmax dim 1", lambda m, F, a: F.softmax(a, dim=1), [(3, 4)], "any"),
    ("softmax dim 0 3-D", lambda m, F, a: F.softmax(a, dim=0), [(2, 3, 4)], "any"),
    ("softmax 0-d", lambda m, F, a: F.softmax(a, dim=0), [()], "any"),
    ("softmax implicit 2-D", lambda m, F, a: F.softmax(a, 1), [(2, 5)], "wide"),
    ("log_softmax dim -1", lambda m, F, a: F.log_softmax(a, dim=-1), [(2, 3, 4)], "wide"),
    ("log_softmax 1-D", lambda m, F, a: F.log_softmax(a, dim=0), [(5,)], "any"),
    ("dropout eval", lambda m, F, a: F.dropout(a, p=0.3, training=False), [(3, 4)], "any"),
    ("dropout p=0", lambda m, F, a: F.dropout(a, p=0.0), [(3, 4)], "any"),
    ("linear", lambda m, F, x, w, b: F.linear(x, w, b), [(2, 5, 3), (4, 3), (4,)], "any"),
    ("linear no bias", lambda m, F, x, w: F.linear(x, w), [(2, 3), (4, 3)], "any"),
    # cross_entropy in every layout torch accepts; classes are dimension 1
    ("cross_entropy (N, C)", lambda m, F, a: F.cross_entropy(a, _ints(m, [2, 0, 1, 2])), [(4, 3)], "any"),
    ("cross_entropy (C,) unbatched", lambda m, F, a: F.cross_entropy(a, _ints(m, 1)), [(3,)], "any"),
    ("cross_entropy (N, C, L) with C == L", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [[0, 1, 2], [2, 2, 0]])), [(2, 3, 3)], "any"),
    ("cross_entropy (N, C, d1, d2)", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [[[0, 1], [2, 1], [1, 1]], [[2, 0], [0, 0], [1, 2]]])), [(2, 3, 3, 2)], "any"),
    ("cross_entropy weight", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [2, 0, 1, 2]), weight=m.tensor(W3, dtype=m.float64)), [(4, 3)], "any"),
    ("cross_entropy ignore_index", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [2, -100, 1, -100])), [(4, 3)], "any"),
    ("cross_entropy custom ignore_index weight", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [2, 1, 1, 0]), weight=m.tensor(W3, dtype=m.float64), ignore_index=1), [(4, 3)], "any"),
    ("cross_entropy label_smoothing", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [2, 0, 1, 2]), label_smoothing=0.25), [(4, 3)], "any"),
    ("cross_entropy smoothing weight ignore (N, C, L)", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [[0, -100, 2], [2, 1, 0]]), weight=m.tensor(W3, dtype=m.float64),
        label_smoothing=0.1), [(2, 3, 3)], "any"),
    ("cross_entropy sum", lambda m, F, a: F.cross_entropy(a, _ints(m, [2, 0, 1]), reduction="sum"), [(3, 3)], "any"),
    ("cross_entropy none (N, C, L)", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [[0, 1, 2, 1], [2, 2, 0, -100]]), reduction="none", label_smoothing=0.2), [(2, 3, 4)], "any"),
    ("cross_entropy none weight", lambda m, F, a: F.cross_entropy(
        a, _ints(m, [2, 0]), weight=m.tensor(W3, dtype=m.float64), reduction="none"), [(2, 3)], "any"),
    ("cross_entropy probabilities", lambda m, F, a, b: F.cross_entropy(a, F.softmax(b, dim=1)), [(4, 3), (4, 3)], "any"),
    ("cross_entropy probabilities smoothing weight (N, C, L)", lambda m, F, a, b: F.cross_entropy(
        a, F.softmax(b, dim=1), weight=m.tensor(W3, dtype=m.float64), label_smoothing=0.3), [(2, 3, 4), (2, 3, 4)], "any"),
    ("cross_entropy probabilities none", lambda m, F, a, b: F.cross_entropy(
        a, F.softmax(b, dim=1), reduction="none"), [(2, 3), (2, 3)], "any"),
    ("cross_entropy every target ignored", lambda m, F, a: F.cross_entropy(a, _ints(m, [-100, -100])), [(2, 3)], "any"),
    ("cross_entropy extreme logits", lambda m, F, a: F.cross_entropy(a * 1e3, _ints(m, [0, 1, 2])), [(3, 3)], "any"),
    ("cross_entropy empty batch sum", lambda m, F, a: F.cross_entropy(
        a, m.zeros(0, dtype=m.int64), reduction="sum"), [(0, 3)], "any"),
    # nll_loss on log-probabilities
    ("nll_loss", lambda m, F, a: F.nll_loss(F.log_softmax(a, dim=1), _ints(m, [2, 0, 1])), [(3, 3)], "any"),
    ("nll_loss raw scores weight", lambda m, F, a: F.nll_loss(
        a, _ints(m, [2, 0, 1]), weight=m.tensor(W3, dtype=m.float64)), [(3, 3)], "any"),
    ("nll_loss (N, C, L) ignore none", lambda m, F, a: F.nll_loss(
        a, _ints(m, [[0, 1, -100], [2, 2, 0]]), reduction="none"), [(2, 3, 3)], "any"),
    ("nll_loss (C,)", lambda m, F, a: F.nll_loss(a, _ints(m, 2), reduction="sum"), [(3,)], "any"),
    # binary cross-entropies
    ("binary_cross_entropy", lambda m, F, a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid()), [(3, 4), (3, 4)], "any"),
    ("binary_cross_entropy weight sum", lambda m, F, a, b, w: F.binary_cross_entropy(
        a.sigmoid(), b.sigmoid(), weight=w.detach(), reduction="sum"), [(3, 4), (3, 4), (4,)], "any"),
    ("binary_cross_entropy none hard targets", lambda m, F, a: F.binary_cross_entropy(
        a.sigmoid(), m.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], dtype=m.float64), reduction="none"), [(2, 3)], "any"),
    ("bce_with_logits", lambda m, F, a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid()), [(3, 4), (3, 4)], "wide"),
    ("bce_with_logits pos_weight weight", lambda m, F, a, b, w, pw: F.binary_cross_entropy_with_logits(
        a, b.sigmoid(), weight=w.detach(), pos_weight=pw.detach()), [(3, 4), (3, 4), (3, 1), (4,)], "any"),
    ("bce_with_logits none", lambda m, F, a, b: F.binary_cross_entropy_with_logits(
        a, b.sigmoid(), reduction="none"), [(5,), (5,)], "wide"),
    # regression losses
    ("mse_loss", lambda m, F, a, b: F.mse_loss(a, b), [(3, 4), (3, 4)], "any"),
    ("mse_loss sum", lambda m, F, a, b: F.mse_loss(a, b, reduction="sum"), [(3,), (3,)], "any"),
    ("mse_loss none", lambda m, F, a, b: F.mse_loss(a, b, reduction="none"), [(2, 3), (2, 3)], "any"),
    ("l1_loss", lambda m, F, a, b: F.l1_loss(a, b), [(3, 4), (3, 4)], "any"),
]


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), CASES, ids=[c[0] for c in CASES])
def test_functional_matches_torch_in_values_and_gradients(name, fn, shapes, kind):
    check_case(torch, name, fn, shapes, kind)


def test_cross_entropy_reads_classes_from_dimension_1_when_c_equals_l():
    # (N, C, L) with C == L: reading classes from the last axis would give a plausible wrong loss
    gen = np.random.default_rng(5)
    scores = gen.standard_normal((2, 4, 4))
    target = gen.integers(0, 4, (2, 4))
    ours = LF.cross_entropy(lk.tensor(scores), target).item()
    theirs = torch.nn.functional.cross_entropy(torch.from_numpy(scores), torch.from_numpy(target)).item()
    last_axis = torch.nn.functional.cross_entropy(torch.from_numpy(scores).permute(0, 2, 1), torch.from_numpy(target))
    assert ours == pytest.approx(theirs, rel=1e-12) and abs(ours - last_axis.item()) > 1e-3


def test_cross_entropy_errors_say_which_layout_was_read():
    with pytest.raises(lk.ShapeError, match=r"classes in dimension 1.*reshape\(-1, C\)"):
        LF.cross_entropy(lk.zeros(2, 5, 3), np.zeros((2, 5), dtype="int64"))  # (B, T, C) passed as is
    with pytest.raises(ValueError, match="reduction must be one of"):
        LF.cross_entropy(lk.zeros(2, 3), [0, 1], reduction="avg")
    with pytest.raises(lk.ShapeError, match=r"weight has shape \(2,\) but there are 3 classes"):
        LF.cross_entropy(lk.zeros(2, 3), [0, 1], weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        LF.cross_entropy(lk.zeros(2, 3), [0, 1], label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\].*ignore_index=-100"):
        LF.cross_entropy(lk.zeros(2, 3), [0, -1])


def test_softmax_without_dim_on_3d_input_asks_for_one():
    with pytest.raises(TypeError, match="needs dim="):
        LF.softmax(lk.zeros(2, 3, 4))
    np.testing.assert_allclose(LF.softmax(lk.zeros(2, 4)).numpy(), np.full((2, 4), 0.25))


def test_binary_cross_entropy_refuses_values_outside_0_1_and_clamps_logs_like_torch():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*with_logits"):
        LF.binary_cross_entropy(lk.tensor([1.5]), lk.tensor([1.0]))
    p = np.array([0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 1.0])
    ours = LF.binary_cross_entropy(lk.tensor(p), lk.tensor(y), reduction="none").numpy()
    theirs = torch.nn.functional.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(y), reduction="none")
    np.testing.assert_allclose(ours, theirs.numpy())  # log(0) clamped at -100: 100, 100, log 2


def test_dropout_in_training_zeroes_and_rescales_and_follows_the_seed():
    x = lk.ones(1000, dtype="float64")
    lk.manual_seed(1)
    y = LF.dropout(x, p=0.25).numpy()
    assert set(np.unique(y)) <= {0.0, 1.0 / 0.75} and 0.15 < (y == 0).mean() < 0.35
    lk.manual_seed(1)
    np.testing.assert_array_equal(LF.dropout(x, p=0.25).numpy(), y)
    assert (LF.dropout(x, p=1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        LF.dropout(x, p=1.5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_and_bce_with_logits_stay_finite_at_extremes(dtype):
    x = lk.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = LF.softplus(x) + LF.binary_cross_entropy_with_logits(x, lk.ones(5, dtype=dtype), reduction="none")
        y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad).all()
