"""Reverse-mode backpropagation over the graph of Functions, without recursion.

Every Function is numbered as it joins the graph (``Function.sequence``), after the
Functions that made its inputs. Backward keeps the Functions that have gradients
waiting in a heap and always takes the newest one, so each is visited after
everything that depends on it (torch's engine works the same way). There is no
recursion, so an LSTM unrolled over thousands of steps (a graph far deeper than
Python's recursion limit) is fine.

Each Function receives the summed gradient of its outputs and hands one gradient
to each input. Leaves (tensors made by the user) accumulate into ``.grad`` with
``+=``, so a tensor used twice gets both contributions, and so do repeated
``backward()`` calls until ``zero_grad()``. They receive their gradients only once
the whole walk has succeeded: a backward that fails part way changes no ``.grad``.
"""

from __future__ import annotations

import heapq
from typing import Any

from .. import backend
from . import function
from .function import Function, no_grad


class GraphFreedError(RuntimeError):
    """backward() went through a graph whose saved values were already released."""


def topological_order(root_fn: Function) -> list[Function]:
    """Every Function that ``root_fn`` depends on, inputs before outputs (for drawing and tests)."""
    found: dict[int, Function] = {id(root_fn): root_fn}
    stack = [root_fn]
    while stack:
        for tensor in stack.pop().inputs:
            creator = tensor._creator
            if creator is not None and id(creator) not in found:
                found[id(creator)] = creator
                stack.append(creator)
    return sorted(found.values(), key=lambda fn: fn.sequence)


def _refuse_freed(fn: Function) -> None:
    if fn.freed:
        raise GraphFreedError(
            f"backward: the graph through '{fn.name}' was already used by an earlier "
            "backward() and its saved values were freed. Recompute the forward pass, "
            "or call backward(retain_graph=True) the first time if you really need "
            "to backpropagate through the same graph twice."
        )


def run_backward(root: Any, grad: Any, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` (shaped like ``root``) into every leaf's ``.grad``."""
    root_fn = root._creator
    if root_fn is None:  # a leaf: its gradient is the seed itself
        _accumulate_leaf(root, grad)
        return
    _refuse_freed(root_fn)
    # Function -> the summed gradient of each of its outputs so far (None: none arrived)
    pending: dict[Function, list] = {root_fn: [None] * len(root_fn.output_meta)}
    pending[root_fn][root._output_index] = grad
    waiting = [(-root_fn.sequence, id(root_fn), root_fn)]  # a heap, newest first (id: copies share a number)
    leaf_grads: dict[int, list] = {}  # id(tensor) -> [tensor, its summed gradient], applied at the end
    newest, push = heapq.heappop, heapq.heappush
    with no_grad():
        while waiting:
            fn = newest(waiting)[2]
            output_grads = pending.pop(fn)
            if len(output_grads) > 1:  # an output nothing depended on gets zeros
                output_grads = _fill_missing(output_grads, fn.output_meta)
            if fn.saves_inputs and function.latest_change > fn.sequence:  # something changed in place since fn
                _refuse_changed_inputs(fn)
            input_grads = fn.backward(*output_grads)
            if type(input_grads) is not tuple:
                input_grads = tuple(input_grads) if isinstance(input_grads, list) else (input_grads,)
            if len(input_grads) != len(fn.inputs):
                _refuse_gradient_count(fn, input_grads)
            # the lengths were compared just above; zip's strict keyword would cost 1.4% of a lesson-6 step
            for tensor, needed, g in zip(fn.inputs, fn.needs_input_grad, input_grads):  # noqa: B905
                if g is None or not needed:
                    continue
                creator = tensor._creator
                if creator is None or tensor._retains_grad:
                    _gather_leaf_grad(leaf_grads, tensor, g)
                    if creator is None:
                        continue
                index = tensor._output_index
                slots = pending.get(creator)
                if slots is None:  # creator's first gradient: it joins the heap
                    if creator.freed:
                        _refuse_freed(creator)
                    slots = pending[creator] = [None] * len(creator.output_meta)
                    slots[index] = g
                    push(waiting, (-creator.sequence, id(creator), creator))
                elif slots[index] is None:
                    slots[index] = g
                else:
                    slots[index] = slots[index] + g
            if not retain_graph and not fn.saves_nothing:  # drop what fn saved; its links stay, so the graph can still be drawn
                fn.__dict__.clear()
                fn.freed = True
    for tensor, total in leaf_grads.values():
        _accumulate_leaf(tensor, total, owned=True)


def _refuse_gradient_count(fn: Function, input_grads: tuple) -> None:
    raise RuntimeError(
        f"backward: {type(fn).__name__}.backward returned {len(input_grads)} gradient(s) "
        f"for {len(fn.inputs)} input(s); return one per input of forward, in the same "
        "order (None for an input that needs no gradient)."
    )


def _gather_leaf_grad(leaf_grads: dict[int, list], tensor: Any, grad: Any) -> None:
    """Add ``grad`` to what ``tensor`` has received in this backward (checked now, applied at the end)."""
    _check_grad_shape(tensor, grad)
    entry = leaf_grads.get(id(tensor))
    if entry is None:  # a copy of our own: a later backward may still change ``grad`` in place
        leaf_grads[id(tensor)] = [tensor, grad.astype(tensor._data.dtype, copy=True)]
    else:
        entry[1] += grad


def _refuse_changed_inputs(fn: Function) -> None:
    """Refuse to differentiate through values that were changed in place after the op saved them."""
    for position, tensor in enumerate(fn.inputs):
        if tensor._changed_at > fn.sequence:
            raise RuntimeError(
                f"backward: input {position} of '{fn.name}' (shape {tensor.shape}) was changed in place "
                f"after '{fn.name}' saved it for the gradient, so the gradient would be wrong (torch "
                "refuses this too). Change it before using it, or make a copy with .clone() first."
            )


def _check_grad_shape(tensor: Any, grad: Any) -> None:
    if grad.shape != tensor._data.shape:
        raise RuntimeError(
            f"backward: a gradient of shape {grad.shape} reached a tensor of shape "
            f"{tensor.shape}; this is a bug in the op that produced it."
        )


def _accumulate_leaf(tensor: Any, grad: Any, owned: bool = False) -> None:
    """``tensor.grad += grad``; ``owned``: ``grad`` is a copy of our own in the tensor's dtype."""
    _check_grad_shape(tensor, grad)
    if tensor.grad is None:
        tensor.grad = grad if owned else grad.astype(tensor._data.dtype, copy=True)  # own it: later += is safe
    else:
        tensor.grad += grad


def _fill_missing(output_grads: list, output_meta: tuple) -> list:
    """Zeros standing in for the gradients of outputs nothing depended on (at least one arrived,
    and its array module is the one the zeros belong to)."""
    xp = backend.xp_of(next(g for g in output_grads if g is not None))
    return [g if g is not None else xp.zeros(shape, dtype=dtype)
            for g, (shape, dtype) in zip(output_grads, output_meta, strict=True)]
