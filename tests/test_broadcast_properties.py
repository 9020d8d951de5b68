"""Property-based: broadcasting gradients always reduce back to each input's shape."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lstmkit as lk

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "where": lambda a, b: lk.where((a * b).data > 0, a, b),
}


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    op = draw(st.sampled_from(sorted(OPS)))
    seed = draw(st.integers(0, 2**16))
    return shapes.input_shapes, op, seed


@settings(max_examples=60, deadline=None)
@given(broadcastable_pair())
def test_broadcast_gradients_have_input_shapes_and_match_numeric(case):
    (shape_a, shape_b), op, seed = case
    rng = np.random.default_rng(seed)
    a = lk.tensor(rng.standard_normal(shape_a), requires_grad=True)
    b = lk.tensor(rng.standard_normal(shape_b), requires_grad=True)
    OPS[op](a, b).sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    a.zero_grad()
    b.zero_grad()
    assert lk.gradcheck(OPS[op], [a, b])


@settings(max_examples=40, deadline=None)
@given(
    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    st.data(),
)
def test_reduction_gradients_over_any_axes(shape, data):
    ndim = len(shape)
    axis = data.draw(
        st.one_of(
            st.none(),
            st.integers(-ndim, ndim - 1) if ndim else st.none(),
            st.lists(st.integers(0, max(ndim - 1, 0)), unique=True, max_size=ndim).map(tuple) if ndim else st.none(),
        )
    )
    keepdims = data.draw(st.booleans())
    x = lk.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    for reduce in (lambda t: t.sum(axis=axis, keepdims=keepdims), lambda t: t.mean(axis=axis, keepdims=keepdims)):
        out = reduce(x)
        expected = np.sum(np.zeros(shape), axis=axis, keepdims=keepdims).shape
        assert out.shape == expected
        assert lk.gradcheck(reduce, [x])
