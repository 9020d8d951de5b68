"""Activations and losses stay finite, correct and silent at |x| = 1e4."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import lstmkit as lk
import lstmkit.functional as F

EXTREMES = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])


@pytest.fixture(autouse=True)
def numpy_raises_on_overflow():
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_limits_and_gradient_at_extremes(dtype):
    x = lk.tensor(EXTREMES, dtype=dtype, requires_grad=True)
    y = F.sigmoid(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy()[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert np.isfinite(x.grad).all() and x.grad[0] == 0 and x.grad[-1] == 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tanh_limits_and_gradient_at_extremes(dtype):
    x = lk.tensor(EXTREMES, dtype=dtype, requires_grad=True)
    y = F.tanh(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy()[[0, 2, 4]], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(x.grad[[0, 2, 4]], [0.0, 1.0, 0.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_softmax_and_softmax_at_extremes(dtype):
    x = lk.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype, requires_grad=True)
    y = F.log_softmax(x)
    y.sum().backward()
    values = y.numpy()
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values[0, :2], [0.0, -1e4], rtol=1e-6)
    np.testing.assert_allclose(values[1], np.log([1 / 3] * 3), rtol=1e-5)
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(F.softmax(x).numpy().sum(axis=1), [1.0, 1.0], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_at_extremes(dtype):
    logits = lk.tensor([[1e4, -1e4], [1e4, -1e4]], dtype=dtype, requires_grad=True)
    loss = F.cross_entropy(logits, [0, 1])  # one perfect, one maximally wrong
    loss.backward()
    np.testing.assert_allclose(loss.item(), (0 + 2e4) / 2, rtol=1e-6)
    np.testing.assert_allclose(logits.grad, [[0.0, 0.0], [0.5, -0.5]], atol=1e-7)
