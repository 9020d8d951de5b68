"""Every error a user can hit says what was expected, what was found and what to do."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk
from lstmkit import backend


def test_shape_mismatch_names_op_and_both_shapes():
    a, b = lk.tensor(np.ones((2, 3))), lk.tensor(np.ones(4))
    for op, expr in [("add", lambda: a + b), ("sub", lambda: a - b), ("mul", lambda: a * b), ("div", lambda: a / b)]:
        with pytest.raises(lk.ShapeError, match=rf"{op}: shapes \(2, 3\) and \(4,\)"):
            expr()


def test_matmul_mismatch_explains_inner_dimensions():
    with pytest.raises(lk.ShapeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\).*3 columns.*4 rows"):
        lk.tensor(np.ones((2, 3))) @ lk.tensor(np.ones((4, 5)))


def test_reshape_concat_stack_split_axis_errors_are_clear():
    x = lk.tensor(np.ones((2, 3)))
    with pytest.raises(lk.ShapeError, match="reshape: cannot reshape"):
        x.reshape(4, 2)
    with pytest.raises(lk.ShapeError, match="concat: shapes"):
        lk.concat([x, lk.tensor(np.ones((3, 3)))], axis=1)
    with pytest.raises(lk.ShapeError, match="stack: all tensors must have one shape"):
        lk.stack([x, lk.tensor(np.ones((3, 2)))])
    with pytest.raises(lk.ShapeError, match="split: sections"):
        x.split([1, 1], axis=1)
    with pytest.raises(lk.ShapeError, match="sum: axis 2 is out of range"):
        x.sum(axis=2)


def test_backward_on_non_scalar_without_gradient_says_how_to_fix():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\), not a single value.*\.sum\(\)"):
        (x * 2).backward()


def test_backward_on_tensor_without_grad_says_how_to_fix():
    with pytest.raises(RuntimeError, match="does not require grad.*requires_grad=True"):
        lk.tensor([1.0]).sum().backward()


def test_backward_twice_through_freed_graph_says_retain_graph():
    x = lk.tensor([1.0], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(lk.GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_backward_with_wrong_gradient_shape():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\)"):
        (x * 2).backward(np.ones(3))


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors.*dtype int"):
        lk.tensor([1, 2], requires_grad=True)


class _StandInGpuArray(np.ndarray):
    """An array type of its own, as a CuPy array is (ops compare array types before devices)."""


def test_mixing_cpu_and_gpu_tensors_is_refused(monkeypatch):
    a = lk.tensor([1.0])
    b = lk.tensor([2.0])
    b._data = b._data.view(_StandInGpuArray)
    monkeypatch.setattr(type(b), "device", property(lambda self: "cuda" if self is b else "cpu"))
    with pytest.raises(lk.DeviceError, match=r"add: all inputs must be on one device.*\.to\("):
        a + b


def test_cuda_request_without_usable_gpu_explains_why(monkeypatch):
    monkeypatch.setattr(backend, "_import_cupy", lambda: (None, "CuPy is not installed. Install the GPU extra"))
    with pytest.raises(lk.DeviceError, match="device='cuda' was asked for, but CuPy is not installed"):
        lk.tensor([1.0], device="cuda")
    assert backend.resolve_device("auto") == "cpu"


def test_unknown_device_name_lists_choices(monkeypatch):
    with pytest.raises(lk.DeviceError, match="'cpu', 'cuda'"):
        lk.tensor([1.0], device="tpu")
    monkeypatch.setenv("LSTMKIT_DEVICE", "gpu0")
    with pytest.raises(lk.DeviceError, match="LSTMKIT_DEVICE must be one of"):
        backend.resolve_device()


def test_environment_variable_sets_default_device(monkeypatch):
    monkeypatch.setenv("LSTMKIT_DEVICE", "cpu")
    assert lk.tensor([1.0]).device == "cpu"
    monkeypatch.setenv("LSTMKIT_DEVICE", "auto")
    assert backend.resolve_device() == ("cuda" if backend.cuda_available() else "cpu")


def test_cross_entropy_rejects_bad_targets():
    logits = lk.tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match="integer class indices"):
        lk.functional.cross_entropy(logits, np.array([True, False]))
    with pytest.raises(lk.ShapeError, match=r"probability targets must have the input's shape \(2, 3\)"):
        lk.functional.cross_entropy(logits, np.zeros(2))
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\]"):
        lk.functional.cross_entropy(logits, [0, 3])
    with pytest.raises(lk.ShapeError, match=r"targets must have shape \(2,\)"):
        lk.functional.cross_entropy(logits, [0, 1, 2])


def test_mse_loss_refuses_silent_broadcasting():
    with pytest.raises(lk.ShapeError, match="mse_loss: input has shape"):
        lk.functional.mse_loss(lk.tensor(np.zeros((4, 1))), np.zeros(4))


def test_numpy_on_a_tensor_explains_the_broken_gradient():
    x = lk.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="cut it out of the gradient graph"):
        np.tanh(np.asarray(x))


def test_item_on_many_values_says_to_use_numpy():
    with pytest.raises(ValueError, match=r"\.numpy\(\)"):
        lk.tensor([1.0, 2.0]).item()


def test_backward_returning_wrong_number_of_gradients_says_one_per_input():
    class Forgetful(lk.Function):
        def forward(self, a, b):
            return a * b

        def backward(self, grad):
            return grad  # forgot the second input

    a = lk.tensor([1.0], requires_grad=True)
    b = lk.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Forgetful.backward returned 1 gradient\(s\) for 2 input\(s\)"):
        Forgetful.apply(a, b).sum().backward()


def test_reducing_a_0d_tensor_along_an_axis_other_than_0_or_minus_1_says_use_none():
    with pytest.raises(lk.ShapeError, match="0-d tensor.*axis=None"):
        lk.tensor(1.0).sum(axis=1)
    with pytest.raises(IndexError, match="0-d tensor"):  # torch raises IndexError here too
        lk.tensor(1.0).max(dim=2)


def test_gradcheck_fails_on_a_nan_gradient():
    class NanSlope(lk.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            return (grad * float("nan"),)

    x = lk.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(lk.GradcheckError):
        lk.gradcheck(lambda t: NanSlope.apply(t), [x])


def test_stack_and_concat_axis_errors_are_named():
    with pytest.raises(lk.ShapeError, match="stack: axis 5 is out of range"):
        lk.stack([lk.tensor([1.0]), lk.tensor([2.0])], axis=5)
    with pytest.raises(lk.ShapeError, match="concat: 0-d tensors"):
        lk.concat([lk.tensor(1.0), lk.tensor(2.0)])
