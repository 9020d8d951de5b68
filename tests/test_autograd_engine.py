"""How backward() walks the graph: accumulation, reuse, depth, modes, host copies."""

from __future__ import annotations

import numpy as np
import pytest

import lstmkit as lk


def test_backward_accumulates_through_reused_node():
    x = lk.tensor([2.0, -1.0], requires_grad=True, dtype="float64")
    y = x * x  # y is used twice below
    (y + y * 3).sum().backward()
    np.testing.assert_allclose(x.grad, 4 * 2 * x.numpy())


def test_grad_accumulates_across_backward_calls_until_zeroed():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_leaf_grad_is_not_aliased_between_inputs():
    a = lk.tensor([1.0], requires_grad=True)
    b = lk.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()  # Add hands the same array to both inputs
    a.grad *= 10
    np.testing.assert_allclose(b.grad, [1.0])


def test_chain_of_100_000_ops_backpropagates_without_recursion_error():
    x = lk.tensor(1.0, requires_grad=True, dtype="float64")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_broadcast_gradient_is_summed_to_input_shape():
    a = lk.tensor(np.ones((4, 3)), requires_grad=True)
    b = lk.tensor(np.ones(3), requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad, [4.0, 4.0, 4.0])


def test_backward_with_explicit_gradient_for_non_scalar():
    x = lk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, -2.0])


def test_no_grad_records_nothing_as_context_and_decorator():
    x = lk.tensor([1.0], requires_grad=True)
    with lk.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf

    @lk.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert lk.is_grad_enabled()
    assert (x * 2).requires_grad


def test_retain_graph_allows_a_second_backward():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * x.numpy())


def test_retain_grad_keeps_gradient_of_intermediate():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.numpy())


def test_detach_cuts_the_graph():
    x = lk.tensor([1.0], requires_grad=True)
    y = x.detach() * 2 + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_multi_output_function_receives_zeros_for_unused_output():
    class TwoWays(lk.Function):
        def forward(self, a):
            return a * 2, a * 3

        def backward(self, grad_double, grad_triple):
            return (grad_double * 2 + grad_triple * 3,)

    x = lk.tensor([1.0, 1.0], requires_grad=True)
    double, _ = TwoWays.apply(x)
    double.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_host_copies_item_numpy_and_repr():
    x = lk.tensor([[1.5, 2.5]], requires_grad=True)
    assert x.shape == (1, 2) and x.dtype == np.float32 and x.device == "cpu"
    host = x.numpy()
    host[0, 0] = 100
    assert x.data[0, 0] == 1.5  # numpy() is a copy
    assert x.sum().item() == 4.0
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=sum" in repr(x.sum())


def test_python_floats_become_float32_and_arrays_keep_dtype():
    assert lk.tensor([1.0]).dtype == np.float32
    assert lk.tensor(np.zeros(2)).dtype == np.float64
    assert lk.tensor([1, 2]).dtype.kind == "i"
    assert lk.zeros(2, 3).shape == (2, 3) and lk.ones((4,)).numpy().sum() == 4


def test_tensor_to_cpu_is_identity_and_keeps_graph():
    x = lk.tensor([1.0], requires_grad=True)
    assert x.to("cpu") is x


def test_numpy_ufuncs_defer_to_tensor_operators():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([1.0, 1.0], dtype="float32") + x  # ndarray + Tensor -> Tensor.__radd__
    assert isinstance(y, lk.Tensor) and y.requires_grad
    with pytest.raises(TypeError, match="gradient graph"):
        np.asarray(x)


def test_float32_graph_stays_float32_through_max_and_float64_arrays():
    x = lk.tensor([[1.0, 3.0], [2.0, 0.5]], requires_grad=True)
    (x.max(axis=1).values * np.array([1.0, 2.0])).sum().backward()
    assert x.grad.dtype == np.float32
    assert lk.functional.mse_loss(x, np.zeros((2, 2))).dtype == np.float32


def test_full_reductions_and_scalar_indexing_give_arrays():
    x = lk.tensor([1.0, 2.0])
    assert lk.backend.is_array(x.sum().data) and x.sum().shape == ()
    assert lk.backend.is_array(x[0].data)


def test_integer_cast_ends_the_graph():
    x = lk.tensor([1.5, 2.5], requires_grad=True)
    assert not x.astype("int64").requires_grad


def test_backward_releases_what_ops_saved_but_keeps_the_graph_shape():
    x = lk.tensor(np.ones(3), requires_grad=True)
    loss = (x.exp() * 2).sum()
    loss.backward()
    mul = loss._creator.inputs[0]._creator
    assert mul.freed and not hasattr(mul, "a")  # the saved operands are gone
    assert mul.inputs[0]._creator.name == "exp"  # the structure is still there to draw


def test_apply_on_arrays_says_to_wrap_them():
    with pytest.raises(TypeError, match=r"Exp.apply takes lstmkit Tensors.*lk.tensor"):
        lk.autograd.ops.Exp.apply(np.ones(2))


def test_split_accepts_numpy_integers():
    pieces = lk.split(lk.tensor(np.arange(4.0)), np.int64(2))
    assert [p.shape for p in pieces] == [(2,), (2,)]


def test_a_backward_that_fails_part_way_changes_no_gradient():
    """Leaves receive their gradients only after the whole walk has succeeded."""
    w = lk.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    v = lk.tensor([3.0, 4.0], requires_grad=True, dtype="float64")
    w.grad = np.array([10.0, 10.0])
    hidden = v * 2
    squares = hidden * hidden  # mul saves `hidden` for its gradient
    loss = squares.sum() + (w * 3).sum()  # w's branch is newer, so backward reaches it first
    with lk.no_grad():
        hidden.add_(1.0)  # changed in place after mul saved it: backward must refuse
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    np.testing.assert_array_equal(w.grad, [10.0, 10.0])
    assert v.grad is None


def test_nodes_are_numbered_after_the_nodes_that_made_their_inputs():
    x = lk.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = a.tanh() + a
    order = lk.autograd.engine.topological_order(b.grad_fn)
    assert [fn.name for fn in order] == ["mul", "tanh", "add"]
    assert all(earlier.sequence < later.sequence for earlier, later in zip(order, order[1:], strict=False))


def test_a_graph_and_its_deep_copy_backpropagate_together():
    import copy  # noqa: PLC0415

    x = lk.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    y = x * x
    twin = copy.deepcopy(y)  # its nodes carry the same numbers as the originals
    ((y * 3) + (twin * 3)).sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.numpy())


def test_nodes_made_after_unpickling_a_graph_number_above_it():
    import pickle  # noqa: PLC0415

    from lstmkit.autograd import function  # noqa: PLC0415

    x = lk.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    y = x * x
    y.grad_fn.sequence += 10**9  # as if made by a process that had built far more nodes
    restored = pickle.loads(pickle.dumps(y))
    z = restored.tanh() + restored * 2
    assert z.grad_fn.sequence > restored.grad_fn.sequence
    z.sum().backward()
    leaf = restored.grad_fn.inputs[0]
    expected = 2 * leaf.numpy() * (1 - np.tanh(leaf.numpy() ** 2) ** 2 + 2)
    np.testing.assert_allclose(leaf.grad, expected)
    assert next(function._sequence) > restored.grad_fn.sequence


def test_a_node_pickled_before_its_links_moved_to_slots_still_loads_and_differentiates():
    """Older pickles hold a node's links in one dict, with what the op saved for backward."""
    import copyreg  # noqa: PLC0415

    from lstmkit.autograd import ops  # noqa: PLC0415

    x = lk.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    y = x * x
    fn = y.grad_fn
    old_state = {"inputs": fn.inputs, "needs_input_grad": fn.needs_input_grad, "output_meta": fn.output_meta,
                 "sequence": fn.sequence, "a": fn.a, "b": fn.b}
    old = copyreg.__newobj__(ops.Mul)
    old.__setstate__(old_state)
    assert old.inputs == fn.inputs and old.sequence == fn.sequence and "inputs" not in old.__dict__
    y._creator = old
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
    assert old.freed and old.inputs == (x, x) and not hasattr(old, "a")  # saved values released, links kept


def test_a_backward_that_changes_its_incoming_gradient_in_place_reaches_no_leaf():
    """A learner's ReLU may write into ``grad``; leaves handed the same array earlier keep their values."""

    class InPlaceRelu(lk.Function):
        def forward(self, a):
            self.mask = a <= 0
            return np.maximum(a, 0)

        def backward(self, grad):
            grad[self.mask] = 0
            return (grad,)

    a = lk.tensor([1.0, 1.0], requires_grad=True, dtype="float64")
    b = lk.tensor([-1.0, 1.0], requires_grad=True, dtype="float64")
    s = a + InPlaceRelu.apply(b * 1.0)
    s.retain_grad()
    s.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(s.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0])


def test_only_a_change_after_the_node_to_one_of_its_own_inputs_refuses_backward():
    """In-place changes are numbered with the nodes: before the node, or to another tensor, is fine."""
    x = lk.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    early = lk.tensor([3.0, 4.0], dtype="float64")
    with lk.no_grad():
        early.add_(1.0)  # changed before the product saved it
    other = lk.tensor([0.0, 0.0], dtype="float64")
    y = (x * early).sum()
    with lk.no_grad():
        other.add_(5.0)  # changed after the product, but the product never read it
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 5.0])
    z = (x * early).sum()
    early.copy_(lk.tensor([0.0, 0.0], dtype="float64"))  # now one of z's saved inputs changes
    with pytest.raises(RuntimeError, match=r"input 1 of 'mul'.*changed in place"):
        z.backward()


def test_a_tensor_unpickled_with_a_later_change_number_does_not_look_changed_to_new_nodes():
    """Its change may carry a number from another process: nodes made afterwards number above it."""
    import pickle

    source = lk.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    with lk.no_grad():
        source.add_(1.0)
    source._changed_at += 10**9  # as if the change had come late in a long-running process
    x = pickle.loads(pickle.dumps(source))
    assert x._changed_at == source._changed_at and x.requires_grad
    y = (x * x).sum()
    assert y.grad_fn.sequence > x._changed_at
    with lk.no_grad():
        lk.tensor([0.0]).add_(1.0)  # an unrelated change makes backward look at y's inputs
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 6.0])


def test_a_tensor_pickled_before_changes_were_numbered_still_loads():
    """Older pickles carry an in-place change count, ``_version``, instead of a number."""
    import copyreg

    x = lk.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    slots = {name: getattr(x, name) for name in ("_data", "_data_view", "grad", "requires_grad", "_creator",
                                                 "_output_index", "_retains_grad")}
    slots["_version"] = 3
    old = copyreg.__newobj__(lk.Tensor)
    old.__setstate__((None, slots))
    assert old._changed_at == -1
    assert old.shape == (2,)  # older pickles keep no shape either: it is read from the values
    np.testing.assert_array_equal(old.numpy(), [1.0, 2.0])
    (old * old).sum().backward()  # nothing to refuse: no number says it changed after the product
    np.testing.assert_array_equal(old.grad, [2.0, 4.0])


def test_the_shape_follows_the_values_when_they_are_replaced():
    """``shape`` is kept with the values: assigning new values (of another shape) updates it,
    and so do copies and pickles."""
    import copy
    import pickle

    x = lk.tensor([[1.0, 2.0, 3.0]])
    assert x.shape == (1, 3) and isinstance(x.shape, tuple)
    x.data = np.zeros((4, 2))
    assert x.shape == (4, 2) and x.numel() == 8
    for twin in (copy.deepcopy(x), copy.copy(x), pickle.loads(pickle.dumps(x))):
        assert twin.shape == (4, 2)
    assert (x.reshape(2, 4) * 2).shape == (2, 4)
