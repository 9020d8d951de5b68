"""Run one case on lstmkit and on torch from the same float64 inputs, and compare
every output and every input gradient (shared by the tensor and functional parity tests).

A case is ``(name, fn, shapes, kind)`` where ``fn(m, F, *inputs)`` is written once for
both libraries: ``m`` is ``lstmkit`` or ``torch`` and ``F`` their functional module.
Kinds: "any" N(0, 1); "positive" U[0.5, 2]; "ties" small integers (many equal values);
"wide" N(0, 30²) (the tails of sigmoid-like functions); "zeros" values in {-1, 0, 1}.
"""

from __future__ import annotations

import numpy as np

import lstmkit as lk

TOL = 1e-10


def draw(shape: tuple, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if kind == "ties":
        return rng.integers(-2, 3, size=shape).astype("float64")
    if kind == "wide":
        return rng.standard_normal(shape) * 30
    if kind == "zeros":
        return rng.integers(-1, 2, size=shape).astype("float64")
    return rng.standard_normal(shape)


def outputs_of(result) -> list:
    return list(result) if isinstance(result, tuple | list) else [result]


def run_both(torch, fn, shapes, kind, seed=0):
    """(lstmkit outputs, torch outputs, lstmkit grads, torch grads), all as NumPy arrays."""
    rng = np.random.default_rng(seed)
    arrays = [draw(shape, kind, rng) for shape in shapes]
    ours_in = [lk.tensor(a.copy(), dtype="float64", requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True) for a in arrays]
    ours = outputs_of(fn(lk, lk.functional, *ours_in))
    theirs = outputs_of(fn(torch, torch.nn.functional, *theirs_in))
    assert len(ours) == len(theirs), f"{len(ours)} outputs against torch's {len(theirs)}"

    ours_total, theirs_total = None, None
    for o, t in zip(ours, theirs, strict=True):
        if not (isinstance(o, lk.Tensor) and o.requires_grad and t.requires_grad):
            continue
        cotangent = rng.standard_normal(tuple(t.shape))
        term_o = (o * lk.tensor(cotangent, dtype="float64")).sum()
        term_t = (t * torch.tensor(cotangent, dtype=torch.float64)).sum()
        ours_total = term_o if ours_total is None else ours_total + term_o
        theirs_total = term_t if theirs_total is None else theirs_total + term_t
    if ours_total is not None:
        ours_total.backward()
        theirs_total.backward()
    ours_grads = [np.zeros(a.shape) if x.grad is None else np.asarray(x.grad) for a, x in zip(arrays, ours_in, strict=True)]
    theirs_grads = [np.zeros(a.shape) if x.grad is None else x.grad.numpy() for a, x in zip(arrays, theirs_in, strict=True)]
    values = [o.numpy() if isinstance(o, lk.Tensor) else np.asarray(o) for o in ours]
    their_values = [t.detach().numpy() if hasattr(t, "detach") else np.asarray(t) for t in theirs]
    return values, their_values, ours_grads, theirs_grads


def assert_same(name, ours, theirs):
    for k, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        assert o.shape == t.shape, f"{name} [{k}]: shape {o.shape}, torch {t.shape}"
        if t.dtype.kind in "biu":
            assert o.dtype.kind == t.dtype.kind, f"{name} [{k}]: dtype {o.dtype}, torch {t.dtype}"
            np.testing.assert_array_equal(o, t, err_msg=f"{name} [{k}]")
        else:
            assert o.dtype == t.dtype, f"{name} [{k}]: dtype {o.dtype}, torch {t.dtype}"
            np.testing.assert_allclose(o, t, rtol=TOL, atol=TOL, equal_nan=True, err_msg=f"{name} [{k}]")


def check_case(torch, name, fn, shapes, kind):
    values, their_values, grads, their_grads = run_both(torch, fn, shapes, kind)
    assert_same(f"{name} (values)", values, their_values)
    assert_same(f"{name} (gradients)", grads, their_grads)
