"""``take_rows``: pick rows of a tensor by index, with zeros where the index is -1.

The one differentiable reshuffle behind packed sequences, time reversal and batch
reordering: every index is used at most once, so backward is a plain assignment.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor


class TakeRows(Function):
    """out[m] = a[index[m]] (zeros where index[m] == -1): a (N, *F), index (M,) -> (M, *F)."""

    def forward(self, a, index):
        xp = backend.xp_of(a)
        index = xp.asarray(index)
        self.valid = xp.nonzero(index >= 0)[0]
        self.source = index[self.valid]
        self.shape = a.shape
        out = xp.zeros((index.shape[0], *a.shape[1:]), dtype=a.dtype)
        out[self.valid] = a[self.source]
        return out

    def backward(self, grad):
        xp = backend.xp_of(grad)
        full = xp.zeros(self.shape, dtype=grad.dtype)
        full[self.source] = grad[self.valid]
        return (full,)


def take_rows(a: Tensor, index: Any) -> Tensor:
    """Rows of ``a`` (N, *F) at ``index`` (M,) ints, each used once; -1 gives a zero row."""
    return TakeRows.apply(a, index=index)


class SwapFirstAxes(Function):
    """(A, B, *F) -> (B, A, *F): time-major <-> batch-major."""

    def forward(self, a):
        return backend.xp_of(a).swapaxes(a, 0, 1)

    def backward(self, grad):
        return (backend.xp_of(grad).swapaxes(grad, 0, 1),)


def swap_first_axes(a: Tensor) -> Tensor:
    """``a`` (A, B, *F) with its first two axes swapped: (B, A, *F)."""
    return SwapFirstAxes.apply(a)


class MoveAxis(Function):
    """``a`` with axis ``source`` moved to position ``destination`` (NumPy's moveaxis)."""

    def forward(self, a, source, destination):
        self.source, self.destination = source, destination
        return backend.xp_of(a).moveaxis(a, source, destination)

    def backward(self, grad):
        return (backend.xp_of(grad).moveaxis(grad, self.destination, self.source),)


def move_axis(a: Tensor, source: int, destination: int) -> Tensor:
    """``a`` with axis ``source`` moved to ``destination`` (e.g. (N, C, L) -> (N, L, C))."""
    return MoveAxis.apply(a, source=source, destination=destination)
