"""Reverse-mode backpropagation over the graph of Functions, without recursion.

The graph is walked twice, both times with an explicit stack, so an LSTM unrolled
over thousands of steps (a graph far deeper than Python's recursion limit) is fine:

1. a depth-first walk from the output lists every Function in topological order;
2. the Functions are visited in reverse order; each receives the summed gradient
   of its outputs and hands one gradient to each input. Leaves (tensors made by the
   user) accumulate into ``.grad`` with ``+=``, so a tensor used twice gets both
   contributions, and so do repeated ``backward()`` calls until ``zero_grad()``.
"""

from __future__ import annotations

from typing import Any

from .function import Function, no_grad


class GraphFreedError(RuntimeError):
    """backward() went through a graph whose saved values were already released."""


def topological_order(root_fn: Function) -> list[Function]:
    """Every Function that ``root_fn`` depends on, inputs before outputs."""
    order: list[Function] = []
    visited: set[int] = {id(root_fn)}
    stack: list[tuple[Function, int]] = [(root_fn, 0)]
    while stack:
        fn, next_input = stack[-1]
        if getattr(fn, "freed", False):
            raise GraphFreedError(
                f"backward: the graph through '{fn.name}' was already used by an earlier "
                "backward() and its saved values were freed. Recompute the forward pass, "
                "or call backward(retain_graph=True) the first time if you really need "
                "to backpropagate through the same graph twice."
            )
        inputs = fn.inputs
        while next_input < len(inputs):
            creator = inputs[next_input]._creator
            next_input += 1
            if creator is not None and id(creator) not in visited:
                visited.add(id(creator))
                stack[-1] = (fn, next_input)
                stack.append((creator, 0))
                break
        else:
            stack.pop()
            order.append(fn)
    return order


def run_backward(root: Any, grad: Any, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` (shaped like ``root``) into every leaf's ``.grad``."""
    root_fn = root._creator
    if root_fn is None:  # a leaf: its gradient is the seed itself
        _accumulate_leaf(root, grad)
        return
    order = topological_order(root_fn)
    pending: dict[int, list] = {id(root_fn): [None] * len(root_fn.output_meta)}
    pending[id(root_fn)][root._output_index] = grad
    with no_grad():
        for fn in reversed(order):
            slots = pending.pop(id(fn), None)
            if slots is None:  # no path from root leads through this Function
                continue
            output_grads = [
                g if g is not None else _zeros_like_meta(meta)
                for g, meta in zip(slots, fn.output_meta, strict=True)
            ]
            _check_versions(fn)
            input_grads = fn.backward(*output_grads)
            if not isinstance(input_grads, tuple | list):
                input_grads = (input_grads,)
            if len(input_grads) != len(fn.inputs):
                raise RuntimeError(
                    f"backward: {type(fn).__name__}.backward returned {len(input_grads)} gradient(s) "
                    f"for {len(fn.inputs)} input(s); return one per input of forward, in the same "
                    "order (None for an input that needs no gradient)."
                )
            for tensor, needed, g in zip(fn.inputs, fn.needs_input_grad, input_grads, strict=True):
                if not needed or g is None:
                    continue
                creator = tensor._creator
                if creator is None:
                    _accumulate_leaf(tensor, g)
                    continue
                if tensor._retains_grad:
                    _accumulate_leaf(tensor, g)
                slot = pending.setdefault(id(creator), [None] * len(creator.output_meta))
                index = tensor._output_index
                slot[index] = g if slot[index] is None else slot[index] + g
            if not retain_graph:
                _free(fn)


def _check_versions(fn: Function) -> None:
    """Refuse to differentiate through values that were changed in place after the op saved them."""
    saved = getattr(fn, "input_versions", None)
    if saved is None:
        return
    for position, (tensor, version) in enumerate(zip(fn.inputs, saved, strict=True)):
        if tensor._version != version:
            raise RuntimeError(
                f"backward: input {position} of '{fn.name}' (shape {tensor.shape}) was changed in place "
                f"after '{fn.name}' saved it for the gradient, so the gradient would be wrong (torch "
                "refuses this too). Change it before using it, or make a copy with .clone() first."
            )


def _accumulate_leaf(tensor: Any, grad: Any) -> None:
    if grad.shape != tensor.shape:
        raise RuntimeError(
            f"backward: a gradient of shape {grad.shape} reached a tensor of shape "
            f"{tensor.shape}; this is a bug in the op that produced it."
        )
    if tensor.grad is None:
        tensor.grad = grad.astype(tensor.dtype, copy=True)  # own it: later += is safe
    else:
        tensor.grad += grad


def _zeros_like_meta(meta: tuple) -> Any:
    """Zeros standing in for the gradient of an output nothing depended on."""
    shape, dtype, xp = meta
    return xp.zeros(shape, dtype=dtype)


def _free(fn: Function) -> None:
    """Drop the arrays a Function saved for backward; mark it so that a second backward
    through it fails clearly. Its inputs stay, so the graph can still be drawn."""
    inputs, output_meta = fn.inputs, fn.output_meta
    fn.__dict__.clear()  # input_versions go too: nothing is saved any more
    fn.inputs, fn.output_meta, fn.freed = inputs, output_meta, True
