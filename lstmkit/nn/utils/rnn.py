"""Packed and padded sequences, as in ``torch.nn.utils.rnn``.

A batch of sequences of different lengths can be kept two ways:

* padded: one tensor (T, B, *) (or (B, T, *) with ``batch_first``), zeros past each
  sequence's end, plus the lengths;
* packed (:class:`PackedSequence`): the sequences sorted longest first, then their
  steps interleaved by time: ``data`` (sum of lengths, *) holds step 0 of every
  sequence, then step 1 of those that have one, ...; ``batch_sizes[t]`` says how many
  sequences have a step t.

``nn.LSTM``, ``nn.GRU`` and ``nn.RNN`` take a PackedSequence and return one: each
sequence stops at its own length, so h_n holds each sequence's state after its own
last step (and, for the reverse direction, after reading it from its own last step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ... import backend
from ...autograd.tensor import Tensor, concat
from ..gather import swap_first_axes, take_rows

numpy = backend.array_module("cpu")  # lengths and batch sizes are host metadata


class PackedSequence(NamedTuple):
    """Sequences packed by time step (see the module docstring).

    data (sum(lengths), *); batch_sizes (T,) int64 NumPy array on the host;
    sorted_indices (B,): the original batch position of each packed column (None when
    the batch came sorted); unsorted_indices (B,): its inverse.
    """

    data: Tensor
    batch_sizes: Any
    sorted_indices: Any | None = None
    unsorted_indices: Any | None = None

    def lengths(self) -> Any:
        """(B,) the length of each packed column, longest first (host int64)."""
        columns = numpy.arange(int(self.batch_sizes[0]))
        return (self.batch_sizes[None, :] > columns[:, None]).sum(axis=1).astype(numpy.int64)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same packing with ``data.to(...)``."""
        return self._replace(data=self.data.to(*args, **kwargs))


def _host_lengths(lengths: Any, batch: int) -> Any:
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    elif hasattr(lengths, "detach") and hasattr(lengths, "cpu"):  # a torch tensor
        lengths = lengths.detach().cpu().numpy()
    elif backend.is_array(lengths):
        lengths = backend.to_numpy(lengths)
    array = numpy.asarray(lengths)
    if array.ndim != 1 or array.shape[0] != batch or (array.size and array.dtype.kind not in "iu"):
        raise ValueError(
            f"pack_padded_sequence: lengths must be {batch} integers (one per sequence in the "
            f"batch), but got {array.tolist()!r}."
        )
    return array.astype(numpy.int64)


def _batch_sizes(sorted_lengths: Any) -> Any:
    steps = numpy.arange(int(sorted_lengths[0]))
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1).astype(numpy.int64)


def packed_positions(batch_sizes: Any) -> tuple[Any, Any]:
    """(steps, columns) of every packed row: row r of ``data`` is step steps[r] of column columns[r]."""
    steps = numpy.repeat(numpy.arange(len(batch_sizes)), batch_sizes)
    starts = numpy.repeat(numpy.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    return steps, numpy.arange(int(batch_sizes.sum())) - starts


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch: input (T, B, *) or (B, T, *) with ``batch_first``; lengths (B,) ints.

    With ``enforce_sorted`` the lengths must be non-increasing; otherwise the batch is
    sorted here and ``sorted_indices`` remembers how (stable for equal lengths).
    """
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ValueError(
            "pack_padded_sequence: expected a padded Tensor (T, B, *) (or (B, T, *) with "
            f"batch_first=True), but got {getattr(input, 'shape', type(input).__name__)}."
        )
    padded = swap_first_axes(input) if batch_first else input
    T, B = padded.shape[0], padded.shape[1]
    lengths = _host_lengths(lengths, B)
    if B == 0 or lengths.min() <= 0 or lengths.max() > T:
        raise ValueError(
            f"pack_padded_sequence: every length must lie in [1, {T}] (the padded length), but "
            f"got {lengths.tolist()}. Drop empty sequences before packing."
        )
    if enforce_sorted:
        if (numpy.diff(lengths) > 0).any():
            raise ValueError(
                f"pack_padded_sequence: lengths {lengths.tolist()} must be sorted in decreasing "
                "order when enforce_sorted=True; pass enforce_sorted=False to have them sorted here."
            )
        sorted_indices = unsorted_indices = None
        order = numpy.arange(B)
    else:
        order = numpy.argsort(-lengths, kind="stable")
        sorted_indices, unsorted_indices = order, numpy.argsort(order)
    batch_sizes = _batch_sizes(lengths[order])
    steps, columns = packed_positions(batch_sizes)
    flat = padded.reshape(T * B, *padded.shape[2:])
    data = take_rows(flat, steps * B + order[columns])
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: -> (padded (T, B, *) or (B, T, *), lengths (B,) int64),
    in the original batch order; ``total_length`` pads T further."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, but got {type(sequence).__name__}.")
    data, batch_sizes = sequence.data, numpy.asarray(sequence.batch_sizes)
    steps_count, B = len(batch_sizes), int(batch_sizes[0])
    T = steps_count if total_length is None else int(total_length)
    if T < steps_count:
        raise ValueError(
            f"pad_packed_sequence: total_length={total_length} is shorter than the longest "
            f"sequence ({steps_count} steps); pass total_length >= {steps_count} or None."
        )
    order = numpy.arange(B) if sequence.sorted_indices is None else numpy.asarray(sequence.sorted_indices)
    steps, columns = packed_positions(batch_sizes)
    index = numpy.full(T * B, -1, dtype=numpy.int64)
    index[steps * B + order[columns]] = numpy.arange(len(steps))
    padded = take_rows(data, index)
    if padding_value:
        filler = numpy.zeros((T * B,) + (1,) * (data.ndim - 1), dtype=data.dtype)
        filler[index < 0] = padding_value
        padded = padded + Tensor._from_array(backend.asarray(filler, backend.device_of(data.data)))
    padded = padded.reshape(T, B, *data.shape[1:])
    lengths = numpy.empty(B, dtype=numpy.int64)
    lengths[order] = sequence.lengths()
    lengths_tensor = Tensor._from_array(lengths)
    return (swap_first_axes(padded) if batch_first else padded), lengths_tensor


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors (L_i, *) of different lengths into (T, B, *) (or (B, T, *)), T = max L_i,
    filling with ``padding_value`` on the ``padding_side`` ('right' or 'left')."""
    sequences = list(sequences)
    if not sequences or not all(isinstance(s, Tensor) and s.ndim >= 1 for s in sequences):
        raise ValueError("pad_sequence: expected a non-empty list of Tensors of shape (L_i, *).")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', but got {padding_side!r}.")
    trailing = sequences[0].shape[1:]
    if any(s.shape[1:] != trailing for s in sequences):
        raise ValueError(
            "pad_sequence: every sequence must have the same trailing shape, but got "
            f"{[s.shape for s in sequences]}."
        )
    lengths = numpy.array([s.shape[0] for s in sequences], dtype=numpy.int64)
    T, B = int(lengths.max()), len(sequences)
    starts = numpy.cumsum(lengths) - lengths
    index = numpy.full((T, B), -1, dtype=numpy.int64)
    for b, (start, length) in enumerate(zip(starts, lengths, strict=True)):
        offset = 0 if padding_side == "right" else T - length
        index[offset : offset + length, b] = start + numpy.arange(length)
    padded = take_rows(concat(sequences, axis=0), index.reshape(-1))
    if padding_value:
        filler = numpy.where(index.reshape((T * B,) + (1,) * len(trailing)) < 0, padding_value, 0.0)
        padded = padded + Tensor._from_array(backend.asarray(filler.astype(padded.data.dtype), backend.device_of(padded.data)))
    padded = padded.reshape(T, B, *trailing)
    return swap_first_axes(padded) if batch_first else padded


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack tensors (L_i, *) directly: pad_sequence, then pack_padded_sequence."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence", "pad_sequence"]
