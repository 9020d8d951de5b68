"""``Function``: one differentiable operation, forward and backward side by side.

An op subclasses :class:`Function` and writes two methods on plain arrays:

* ``forward(self, *arrays, **params) -> array`` (or a tuple of arrays), saving on
  ``self`` whatever backward will need;
* ``backward(self, *output_grads) -> input_grads``, one gradient (or ``None``) per
  input, each of that input's shape.

``Op.apply(*tensors, **params)`` runs forward, wraps the result in Tensors and, when
gradients are being recorded, makes the Function instance the node of the graph
that links the outputs to their inputs.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from typing import Any

from .. import backend

#: numbers each Function as it joins the graph: a node's number is above those of the nodes
#: that made its inputs, so backward can visit the graph newest first (see engine.py)
_sequence = itertools.count()
_sequence_lock = threading.Lock()
#: the number of the latest in-place change of any tensor (-1: none yet); see mark_changed_in_place
latest_change = -1


def mark_changed_in_place(tensor: Any) -> None:
    """Record that ``tensor``'s values were just changed in place.

    The change takes the next sequence number, so it is ordered with the nodes: a node
    numbered below ``tensor._changed_at`` read the old values. Backward asks only when
    ``latest_change`` is above a node's number, that is, when anything at all changed
    in place after the node was made.
    """
    global latest_change
    tensor._changed_at = latest_change = next(_sequence)


def number_later_nodes_above(sequence: int) -> None:
    """Make every node linked from now on number above ``sequence`` (a node or a tensor
    unpickled from another process may carry a number this process has not reached yet)."""
    global _sequence
    with _sequence_lock:
        upcoming = next(_sequence)
        _sequence = itertools.count(max(upcoming, sequence + 1))


class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _grad_mode.enabled


class no_grad(contextlib.ContextDecorator):
    """Stop recording operations for backward (a context manager and a decorator).

    >>> with no_grad():
    ...     y = model(x)        # no graph is built, no memory is kept for backward
    """

    def __enter__(self) -> None:
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = False

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._previous


class enable_grad(contextlib.ContextDecorator):  # noqa: N801  (torch's name)
    """Record operations again inside a ``no_grad()`` block (a context manager and a decorator)."""

    def __enter__(self) -> None:
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = True

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._previous


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801  (torch's name)
    """Turn recording on or off: as a call (``set_grad_enabled(False)``) or a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._previous


class Function:
    """Base class of every differentiable op (see the module docstring)."""

    # what links the node into the graph lives in slots, what an op saves for backward in its
    # __dict__ (backward releases that by clearing it); slots cost less to write for every op
    __slots__ = ("inputs", "needs_input_grad", "output_meta", "sequence", "__dict__", "__weakref__")
    inputs: tuple
    needs_input_grad: tuple[bool, ...]
    #: True when forward keeps its input arrays for backward (a * b keeps both); then an
    #: in-place change of an input after the op and before backward is an error, as in
    #: torch. Ops that keep only what they computed say False.
    saves_inputs = True
    #: True when backward needs nothing that a backward pass releases (only what forward set
    #: from shapes): the node is then left as it is, and any number of graphs may share it
    saves_nothing = False
    #: set by backward once the saved values are released (a second backward then fails clearly)
    freed = False

    @property
    def name(self) -> str:
        """The op's name as users know it (``Add`` -> ``add``)."""
        return type(self).__name__.lower()

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the op on Tensors; returns a Tensor (or a tuple for multi-output ops)."""
        # each input's array and requires_grad; written out for one to three inputs (nearly
        # every op), where a loop would cost more than many of the ops themselves
        try:
            if len(inputs) == 1:
                (a,) = inputs
                arrays, needs = [a._data], (a.requires_grad,)
            elif len(inputs) == 2:
                a, b = inputs
                arrays, needs = [a._data, b._data], (a.requires_grad, b.requires_grad)
            elif len(inputs) == 3:
                a, b, c = inputs
                arrays, needs = [a._data, b._data, c._data], (a.requires_grad, b.requires_grad, c.requires_grad)
            else:
                arrays, needs = [t._data for t in inputs], tuple([t.requires_grad for t in inputs])
        except AttributeError:
            raise _not_a_tensor(cls, inputs) from None
        kind = type(arrays[0])
        if len(arrays) > 1:  # one array type is one device (numpy: cpu, cupy: cuda); else look closer
            for array in arrays:
                if type(array) is not kind:
                    _check_devices(cls, inputs)
                    break
        fn = cls()
        raw = fn.forward(*arrays, **params)
        record = True in needs and _grad_mode.enabled
        wrap = inputs[0]._from_array  # builds plain Tensors (function.py need not import Tensor)
        if type(raw) is not tuple:  # one output: the common case, kept short
            out = raw if type(raw) is kind or backend.is_array(raw) else _as_array(raw, arrays)
            if not record:
                return wrap(out, False)
            dtype = out.dtype
            tensor = wrap(out, dtype.kind == "f")
            # what _link does, written out: the call alone costs about 2% of a lesson-6 step
            fn.inputs, fn.needs_input_grad, fn.output_meta = inputs, needs, ((out.shape, dtype),)
            fn.sequence = next(_sequence)
            if tensor.requires_grad:
                tensor._creator = fn
            return tensor
        outputs = tuple([out if backend.is_array(out) else _as_array(out, arrays) for out in raw])
        # only floating-point results carry gradients (an integer cast ends the graph)
        wrapped = tuple([wrap(out, record and out.dtype.kind == "f") for out in outputs])
        if record:
            fn._link(inputs, needs, tuple([(out.shape, out.dtype) for out in outputs]))
            for index, tensor in enumerate(wrapped):
                if tensor.requires_grad:  # an integer output (max's indices) is a leaf
                    tensor._creator = fn
                    tensor._output_index = index
        return wrapped

    def __setstate__(self, state: Any) -> None:
        """Unpickled or deep-copied: the node keeps its number; nodes made later number above it.

        ``state`` is (``__dict__``, slots) as pickle saves it, or one dict (an older pickle)."""
        saved, slots = state if isinstance(state, tuple) else (state, None)
        for name, value in {**(saved or {}), **(slots or {})}.items():
            setattr(self, name, value)  # a slot's name goes to its slot, anything else to __dict__
        if hasattr(self, "sequence"):
            number_later_nodes_above(self.sequence)

    def _link(self, inputs: tuple, needs: tuple[bool, ...], output_meta: tuple) -> None:
        """Make this op the graph's node between ``inputs`` and its outputs
        (``output_meta``: each output's shape and dtype). Its number is above every
        in-place change so far, which is how backward tells whether a saved input went stale."""
        self.inputs = inputs
        self.needs_input_grad = needs
        self.output_meta = output_meta
        self.sequence = next(_sequence)


def _as_array(value: Any, arrays: list) -> Any:
    """A NumPy reduction's scalar result as a 0-d array of the inputs' array module."""
    return backend.xp_of(arrays[0]).asarray(value)


def _not_a_tensor(op: type, inputs: tuple) -> TypeError:
    position, value = next((i, v) for i, v in enumerate(inputs) if not hasattr(v, "_data"))
    return TypeError(
        f"{op.__name__}.apply takes lstmkit Tensors, but input {position} is a "
        f"{type(value).__name__}. Wrap arrays and numbers first, e.g. "
        f"{op.__name__}.apply(lk.tensor(x))."
    )


def _check_devices(op: type, inputs: tuple) -> None:
    """All inputs live on one device."""
    first = inputs[0].device
    for other in inputs[1:]:
        device = other.device
        if device is not first and device != first:  # devices are shared objects: `is` is the quick test
            raise backend.DeviceError(
                f"{op.__name__.lower()}: all inputs must be on one device, but found "
                f"{first!r} and {device!r}. Move them with .to({first!r}) "
                f"or .to({device!r}) first."
            )
