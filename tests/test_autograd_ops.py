"""Every op's backward agrees with finite differences in float64 (gradcheck)."""

from __future__ import annotations

import numpy as np
import pytest
from op_cases import OP_CASES

import lstmkit as lk


def make_inputs(shapes, kind, device="cpu", seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        values = rng.uniform(0.5, 2.0, size=shape) if kind == "positive" else rng.standard_normal(shape)
        arrays.append(lk.tensor(np.asarray(values, dtype="float64"), requires_grad=True, device=device))
    return arrays


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), OP_CASES, ids=[c[0] for c in OP_CASES])
def test_op_gradient_matches_finite_differences(name, fn, shapes, kind):
    assert lk.gradcheck(fn, make_inputs(shapes, kind))


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), OP_CASES, ids=[c[0] for c in OP_CASES])
def test_op_forward_matches_numpy_on_values(name, fn, shapes, kind):
    # the forward result is a Tensor of float64 with a finite value everywhere
    out = fn(*make_inputs(shapes, kind))
    assert isinstance(out, lk.Tensor)
    assert out.dtype == np.float64
    assert np.isfinite(out.numpy()).all()


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(lk.Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, grad):
            return (grad * self.a,)  # should be 2 * a

    x = make_inputs([(3,)], "any")[0]
    with pytest.raises(lk.GradcheckError, match="finite differences"):
        lk.gradcheck(lambda t: WrongSquare.apply(t), [x])
    assert lk.gradcheck(lambda t: WrongSquare.apply(t), [x], raise_exception=False) is False


def test_gradcheck_refuses_float32_inputs():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        lk.gradcheck(lambda t: t * 2, [x])


def test_forward_values_match_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    ta, tb = lk.tensor(a), lk.tensor(b)
    np.testing.assert_allclose((ta @ tb).numpy(), a @ b)
    np.testing.assert_allclose(ta.sigmoid().numpy(), 1 / (1 + np.exp(-a)), rtol=1e-12)
    np.testing.assert_allclose(lk.functional.log_softmax(ta).numpy(), a - np.log(np.exp(a).sum(-1, keepdims=True)))
    np.testing.assert_allclose(ta.max(axis=1).values.numpy(), a.max(axis=1))
    np.testing.assert_allclose(ta[[0, 2]].numpy(), a[[0, 2]])
