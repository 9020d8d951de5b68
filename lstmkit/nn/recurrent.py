"""Shared plumbing of the recurrent layers and cells: checking inputs and states."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor


def as_tensor_like(value: Any, like: Tensor, what: str, layer: str) -> Tensor:
    """``value`` (a Tensor or an array) as a Tensor on ``like``'s device and dtype."""
    if not isinstance(value, Tensor):
        value = like._lift(value)
    device, like_device = value.device, like.device
    if device is not like_device and device != like_device:  # devices are shared objects: `is` first
        raise ValueError(f"{layer}: {what} is on {value.device!r} but the input is on {like.device!r}; move it first.")
    if value.dtype != like.dtype:
        raise TypeError(
            f"{layer}: {what} has dtype {value.dtype} but the input has dtype {like.dtype}; "
            f"convert it with .astype('{like.dtype}')."
        )
    return value


def check_input(layer: str, x: Tensor, input_size: int, dtype: Any, device: str) -> None:
    """A clear error unless x is (..., input_size) with the layer's dtype and device."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: expected the input as an lstmkit Tensor, got {type(x).__name__}; wrap it with lstmkit.tensor(...).")
    if x.ndim == 0 or x.shape[-1] != input_size:
        raise ValueError(
            f"{layer}: expected input with last dimension input_size={input_size}, but got shape "
            f"{x.shape}. Build the layer with input_size={x.shape[-1] if x.ndim else '?'} or reshape the input."
        )
    if x.dtype != dtype:
        raise TypeError(
            f"{layer}: the input has dtype {x.dtype} but the parameters have dtype {dtype}; "
            f"convert the input with x.astype('{dtype}') or build the layer with dtype='{x.dtype}'."
        )
    if x.device is not device and x.device != device:
        raise ValueError(
            f"{layer}: the input is on {x.device!r} but the parameters are on {device!r}; "
            f"move one of them (x.to('{device}') or layer.to('{x.device}'))."
        )
