"""``Linear``, ``Embedding`` and ``Dropout`` with PyTorch's arguments, shapes and init."""

from __future__ import annotations

import math
from typing import Any

from .. import backend, rng
from .. import functional as F
from ..autograd.tensor import Tensor
from .arguments import check_size, resolve, resolve_dtype
from .init import normal_parameter, uniform_parameter
from .module import Module


class Linear(Module):
    """y = x Wᵀ + b: (*, in_features) -> (*, out_features).

    Parameters (PyTorch's names): ``weight (out_features, in_features)``,
    ``bias (out_features,)``, both U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True,
        device: str | None = None, dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = check_size("Linear", "in_features", in_features)
        self.out_features = check_size("Linear", "out_features", out_features)
        device, dtype = resolve(device), resolve_dtype(dtype)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = uniform_parameter((out_features, in_features), bound, dtype, device)
        self.bias = uniform_parameter((out_features,), bound, dtype, device) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """x (*, in_features) -> (*, out_features)."""
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected input with last dimension in_features={self.in_features}, "
                f"but got shape {x.shape}. Reshape the input or build Linear({x.shape[-1] if x.ndim else '?'}, "
                f"{self.out_features})."
            )
        rows = x if x.ndim == 2 else x.reshape(-1, self.in_features)  # one 2-D GEMM, also backward
        y = F.linear(rows, self.weight, self.bias)  # rows @ weight.T + bias
        return y if x.ndim == 2 else y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: integer ids (*) -> vectors (*, embedding_dim).

    ``weight (num_embeddings, embedding_dim)`` starts N(0, 1). Rows used several times
    in a batch receive the sum of their gradients.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, *, device: str | None = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.num_embeddings = check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_size("Embedding", "embedding_dim", embedding_dim)
        self.weight = normal_parameter((num_embeddings, embedding_dim), 1.0, resolve_dtype(dtype), resolve(device))

    def forward(self, indices: Any) -> Tensor:
        """indices (*) of ints in [0, num_embeddings) -> (*, embedding_dim)."""
        ids = indices.data if isinstance(indices, Tensor) else backend.asarray(indices, self.weight.device)
        if ids.dtype.kind not in "iu":
            raise TypeError(
                f"Embedding: indices must be integers, but got dtype {ids.dtype}. Pass token ids "
                "such as numpy.array([[3, 1, 4]]) (or .astype('int64') them)."
            )
        if backend.device_of(ids) != self.weight.device:
            raise backend.DeviceError(
                f"Embedding: indices are on {backend.device_of(ids)!r} but the weight is on "
                f"{self.weight.device!r}; move one of them (Tensor.to / Module.to)."
            )
        low, high = (ids.min().item(), ids.max().item()) if ids.size else (0, 0)
        if low < 0 or high >= self.num_embeddings:
            raise IndexError(
                f"Embedding: indices must lie in [0, {self.num_embeddings - 1}], but range from "
                f"{low} to {high}. Check the vocabulary size "
                f"(num_embeddings={self.num_embeddings}) against the data."
            )
        return self.weight[ids]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Dropout(Module):
    """Inverted dropout: in training, zero each value with probability ``p`` and scale
    the rest by 1/(1-p); in eval() the input passes unchanged. Any shape -> same shape.

    ``inplace`` is accepted for PyTorch code; the result is always a new Tensor."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], but got {p!r}.")
        self.p, self.inplace = float(p), bool(inplace)

    def forward(self, x: Tensor) -> Tensor:
        """x (any shape) -> same shape."""
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    """Inverted dropout of ``x`` (any shape); the identity when not training or p == 0."""
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    mask = rng.bernoulli(x.shape, 1.0 - p, dtype=x.dtype, device=x.device)
    mask *= 1.0 / (1.0 - p)
    return x * Tensor._from_array(mask)


class Identity(Module):
    """Returns its input unchanged (any arguments to the constructor are ignored, as in torch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class ReLU(Module):
    """max(x, 0) elementwise; any shape."""

    def forward(self, input: Tensor) -> Tensor:
        return input.relu()


class Tanh(Module):
    """tanh elementwise; any shape."""

    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^{-x}) elementwise; any shape."""

    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()
