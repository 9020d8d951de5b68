"""Connectionist Temporal Classification: the loss and two decoders.

A network that reads a text line emits, for every column ``t``, log-probabilities over
the characters plus one extra symbol, the *blank*. A labelling is read off a path of
per-column symbols by collapsing repeats and then dropping blanks
(``--11-2-22--`` -> ``1 1 2 2``... only where a blank separates the repeats:
``11-1`` -> ``1 1``). CTC's loss is ``-log`` of the total probability of every path
that collapses to the target; the forward-backward recursion sums them in log space
over the *extended* target ``blank, l1, blank, l2, ..., blank`` (length 2S + 1).

- :func:`ctc_loss` has torch's signature and meaning (``torch.nn.functional.ctc_loss``):
  ``log_probs`` (T, N, C) (or (T, C) unbatched), targets padded (N, S) or concatenated
  1-D, ``input_lengths`` and ``target_lengths`` (N,), ``blank``, ``reduction``
  ("mean" divides each loss by its target length, then averages), ``zero_infinity``.
  Its backward is hand-written. It returns the exact derivative with respect to
  ``log_probs``; torch's backward adds ``exp(log_probs)`` times the incoming slope
  (it assumes ``log_probs`` came from ``log_softmax``, whose backward removes that
  term), so gradients with respect to the logits before ``log_softmax`` agree with
  torch's.
- :func:`ctc_greedy_decode`: best symbol per column, collapsed.
- :func:`ctc_beam_search`: prefix beam search, which sums over the paths of a prefix.

Every array operation uses the array module of ``log_probs`` (NumPy or CuPy), so the
same recursion runs on the CPU and on a GPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import backend
from .autograd.function import Function
from .autograd.tensor import Tensor

__all__ = ["ctc_beam_search", "ctc_greedy_decode", "ctc_loss"]

REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- log-space helpers


def _logsumexp(*terms: Any) -> Any:
    """Elementwise log(sum(exp(term))) of equal-shape arrays; -inf where every term is -inf."""
    xp = backend.xp_of(terms[0])
    top = terms[0]
    for term in terms[1:]:
        top = xp.maximum(top, term)
    empty = top == -xp.inf
    shift = xp.where(empty, 0, top)
    total = sum(xp.exp(term - shift) for term in terms)
    return xp.where(empty, -xp.inf, shift + xp.log(xp.where(empty, 1, total)))


def _shift_right(array: Any, by: int) -> Any:
    """``array`` moved ``by`` places along the last axis, -inf filling the start."""
    xp = backend.xp_of(array)
    out = xp.full_like(array, -xp.inf)
    out[..., by:] = array[..., : array.shape[-1] - by]
    return out


def _shift_left(array: Any, by: int) -> Any:
    """``array`` moved ``by`` places back along the last axis, -inf filling the end."""
    xp = backend.xp_of(array)
    out = xp.full_like(array, -xp.inf)
    out[..., : array.shape[-1] - by] = array[..., by:]
    return out


# --------------------------------------------------------------------------- the recursion


def ctc_alpha_beta(log_probs: Any, extended: Any, skip: Any, valid: Any,
                   input_lengths: np.ndarray, target_lengths: np.ndarray) -> tuple[Any, Any, Any]:
    """Forward and backward variables of CTC in log space, for a batch.

    ``log_probs`` (T, N, C); ``extended`` (N, L) extended labels (L = 2 S_max + 1);
    ``skip`` (N, L) True where position s may be reached from s - 2; ``valid`` (N, L)
    True for s < 2 S_n + 1. Host ``input_lengths`` and ``target_lengths`` (N,).
    Returns ``log_alpha`` and ``log_beta`` (T, N, L), each including the emission of
    its own column, and the negative log-likelihoods (N,).
    """
    xp = backend.xp_of(log_probs)
    steps, batch, _ = log_probs.shape
    width = extended.shape[1]
    rows = xp.arange(batch)[:, None]
    emit = log_probs[:, rows, extended]  # (T, N, L): log y_t(l'_s)
    minus_inf = xp.asarray(-np.inf, dtype=log_probs.dtype)
    lengths = xp.asarray(input_lengths)
    ends = xp.asarray(2 * target_lengths)  # index of the final blank

    alpha = xp.full((steps, batch, width), -np.inf, dtype=log_probs.dtype)
    start = xp.full((batch, width), -np.inf, dtype=log_probs.dtype)
    start[:, 0] = 0.0
    if width > 1:
        start[:, 1] = xp.where(xp.asarray(target_lengths) > 0, 0.0, -np.inf)
    previous = None
    for t in range(steps):
        if previous is None:
            current = start + emit[0]
        else:
            moved = _logsumexp(previous, _shift_right(previous, 1),
                               xp.where(skip, _shift_right(previous, 2), minus_inf))
            current = moved + emit[t]
        current = xp.where(valid, current, minus_inf)
        alpha[t] = current
        previous = current

    beta = xp.full((steps, batch, width), -np.inf, dtype=log_probs.dtype)
    positions = xp.arange(width)[None, :]
    final = (positions == ends[:, None]) | ((positions == ends[:, None] - 1) & (ends[:, None] > 0))
    skip_next = _shift_left(xp.where(skip, 0.0, -np.inf).astype(log_probs.dtype), 2) == 0.0
    following = None
    for t in range(steps - 1, -1, -1):
        last = (lengths == t + 1)[:, None]
        inside = (lengths > t)[:, None]
        if following is None:
            moved = xp.full((batch, width), -np.inf, dtype=log_probs.dtype)
        else:
            moved = _logsumexp(following, _shift_left(following, 1),
                               xp.where(skip_next, _shift_left(following, 2), minus_inf))
        current = xp.where(last, xp.where(final, 0.0, minus_inf), moved) + emit[t]
        current = xp.where(valid & inside, current, minus_inf)
        beta[t] = current
        following = current

    last_step = xp.maximum(lengths - 1, 0)
    at_end = alpha[last_step, xp.arange(batch)]  # (N, L)
    ends_index = ends[:, None]
    tail = xp.take_along_axis(at_end, ends_index, axis=1)[:, 0]
    before = xp.take_along_axis(at_end, xp.maximum(ends_index - 1, 0), axis=1)[:, 0]
    before = xp.where(ends > 0, before, minus_inf)
    log_likelihood = _logsumexp(tail, before)
    log_likelihood = xp.where(lengths > 0, log_likelihood,
                              xp.where(ends == 0, 0.0, minus_inf))  # T = 0: only the empty labelling
    return alpha, beta, -log_likelihood


class CTCLoss(Function):
    """Per-sample CTC negative log-likelihoods (N,) of ``log_probs`` (T, N, C)."""

    @property
    def name(self) -> str:
        return "ctc_loss"

    def forward(self, log_probs, *, extended, skip, valid, input_lengths, target_lengths, zero_infinity):
        xp = backend.xp_of(log_probs)
        extended = xp.asarray(extended)
        skip, valid = xp.asarray(skip), xp.asarray(valid)
        self.input_lengths = input_lengths
        alpha, beta, nll = ctc_alpha_beta(log_probs, extended, skip, valid, input_lengths, target_lengths)
        self.saved = (log_probs, extended, valid, alpha, beta, nll, zero_infinity)
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0.0, nll).astype(log_probs.dtype)
        return nll

    def backward(self, grad):
        log_probs, extended, valid, alpha, beta, nll, zero_infinity = self.saved
        xp = backend.xp_of(log_probs)
        steps, batch, classes = log_probs.shape
        rows = xp.arange(batch)[:, None]
        emit = log_probs[:, rows, extended]  # (T, N, L)
        finite = xp.isfinite(nll)
        shift = xp.where(finite, nll, 0.0)  # impossible samples: nan as torch, or 0 with zero_infinity
        # occupancy of extended position s at column t: alpha beta / (y p), a probability in [0, 1]
        log_occupancy = alpha + beta - emit + shift[None, :, None]
        reachable = alpha + beta > -xp.inf
        occupancy = xp.exp(xp.where(reachable, log_occupancy, -xp.inf))
        one_hot = (extended[:, :, None] == xp.arange(classes)[None, None, :]) & valid[:, :, None]
        per_class = xp.einsum("tns,nsc->tnc", occupancy, one_hot.astype(log_probs.dtype))
        slope = -per_class * grad[None, :, None]
        if zero_infinity:
            slope = xp.where(finite[None, :, None], slope, 0.0)
        else:
            slope = xp.where(finite[None, :, None], slope, xp.nan)
            lengths = xp.asarray(self.input_lengths)
            inside = xp.arange(steps)[:, None] < lengths[None, :]
            slope = xp.where(inside[:, :, None] | finite[None, :, None], slope, 0.0)
        return (slope.astype(log_probs.dtype, copy=False),)


# --------------------------------------------------------------------------- argument handling


def _host_ints(name: str, value: Any) -> np.ndarray:
    """An integer array on the host from a list, array, Tensor or number."""
    if isinstance(value, Tensor):
        value = value.data
    if backend.is_array(value):
        value = backend.to_numpy(value)
    array = np.asarray(value)
    if array.dtype.kind not in "iub" and array.size:
        if array.dtype.kind == "f" and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise TypeError(f"ctc_loss: {name} must hold integers, but got dtype {array.dtype}; "
                            f"pass e.g. numpy.array([...], dtype=int).")
    return array.astype(np.int64)


def _split_targets(targets: np.ndarray, target_lengths: np.ndarray, batch: int) -> list[np.ndarray]:
    """One 1-D label array per sample from padded (N, S) or concatenated targets."""
    if targets.ndim == 2:
        if targets.shape[0] != batch:
            raise ValueError(f"ctc_loss: padded targets must be (N, S) with N = {batch}, but got shape "
                             f"{targets.shape}; one row of labels per sequence of the batch.")
        if target_lengths.size and target_lengths.max() > targets.shape[1]:
            raise ValueError(f"ctc_loss: a target length ({int(target_lengths.max())}) exceeds the padded "
                             f"targets' width S = {targets.shape[1]}; pad the targets to the longest one.")
        return [targets[n, : target_lengths[n]] for n in range(batch)]
    if targets.ndim == 1:
        if targets.size != int(target_lengths.sum()):
            raise ValueError(f"ctc_loss: concatenated targets have {targets.size} labels but target_lengths "
                             f"sum to {int(target_lengths.sum())}; they must agree.")
        bounds = np.concatenate([[0], np.cumsum(target_lengths)])
        return [targets[bounds[n]: bounds[n + 1]] for n in range(batch)]
    raise ValueError(f"ctc_loss: targets must be (N, S) padded or 1-D concatenated, but got {targets.ndim} "
                     "dimensions.")


def _extended_labels(labels: list[np.ndarray], blank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extended labels (N, 2 S_max + 1), may-skip mask and valid mask (host arrays)."""
    width = 2 * max((len(row) for row in labels), default=0) + 1
    extended = np.full((len(labels), width), blank, dtype=np.int64)
    valid = np.zeros((len(labels), width), dtype=bool)
    for n, row in enumerate(labels):
        extended[n, 1: 2 * len(row): 2] = row
        valid[n, : 2 * len(row) + 1] = True
    skip = np.zeros_like(valid)
    skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    return extended, skip & valid, valid


def ctc_loss(
    log_probs: Tensor,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """CTC loss, as ``torch.nn.functional.ctc_loss``.

    ``log_probs``: (T, N, C) log-probabilities (``log_softmax`` over C), or (T, C) for one
    sequence. ``targets``: (N, S) padded or 1-D concatenated labels (never ``blank``).
    ``input_lengths``, ``target_lengths``: (N,) integers. ``reduction``: "none" gives (N,),
    "sum" the total, "mean" the batch mean of loss / target length. ``zero_infinity``
    turns impossible alignments' infinite losses (and their gradients) into zeros.
    """
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"ctc_loss: log_probs must be an lstmkit Tensor (T, N, C), but got "
                        f"{type(log_probs).__name__}; wrap it with lk.tensor(...).")
    if reduction not in REDUCTIONS:
        raise ValueError(f"ctc_loss: reduction must be one of {REDUCTIONS}, but got {reduction!r}.")
    unbatched = log_probs.ndim == 2
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), but got shape {tuple(log_probs.shape)}.")
    if log_probs.dtype.kind != "f":
        raise TypeError(f"ctc_loss: log_probs must be floating point, but got {log_probs.dtype}.")
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    steps, batch, classes = log_probs.shape
    input_lengths = _host_ints("input_lengths", input_lengths).reshape(-1)
    target_lengths = _host_ints("target_lengths", target_lengths).reshape(-1)
    targets = _host_ints("targets", targets)
    if unbatched:
        targets = targets.reshape(1, -1) if targets.ndim == 1 else targets
    for name, lengths in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        if lengths.shape != (batch,):
            raise ValueError(f"ctc_loss: {name} must have one entry per sequence ({batch}), but got "
                             f"{lengths.size}.")
        if lengths.size and lengths.min() < 0:
            raise ValueError(f"ctc_loss: {name} must be non-negative, but got {lengths.tolist()}.")
    if input_lengths.size and input_lengths.max() > steps:
        raise ValueError(f"ctc_loss: input_lengths must be at most T = {steps}, but got "
                         f"{int(input_lengths.max())}; log_probs has {steps} columns.")
    if not 0 <= blank < classes:
        raise ValueError(f"ctc_loss: blank must be a class index in [0, {classes}), but got {blank}.")
    labels = _split_targets(targets, target_lengths, batch)
    for n, row in enumerate(labels):
        if row.size and (row.min() < 0 or row.max() >= classes or np.any(row == blank)):
            raise ValueError(f"ctc_loss: targets of sequence {n} must be labels in [0, {classes}) other than "
                             f"blank = {blank}, but got {row.tolist()}.")
    extended, skip, valid = _extended_labels(labels, blank)
    fn_kwargs = dict(extended=extended, skip=skip, valid=valid, input_lengths=input_lengths,
                     target_lengths=target_lengths, zero_infinity=bool(zero_infinity))
    losses = CTCLoss.apply(log_probs, **fn_kwargs)
    if reduction == "none":
        return losses[0] if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    divisor = log_probs._from_array(log_probs.xp.asarray(np.maximum(target_lengths, 1), dtype=log_probs.dtype))
    return (losses / divisor).mean()


# --------------------------------------------------------------------------- decoding


def _host_log_probs(log_probs: Any) -> np.ndarray:
    """(T, N, C) host array from a Tensor or array of (T, N, C) or (T, C)."""
    if isinstance(log_probs, Tensor):
        log_probs = log_probs.data
    array = backend.to_numpy(log_probs) if backend.is_array(log_probs) else np.asarray(log_probs)
    if array.ndim == 2:
        array = array[:, None, :]
    if array.ndim != 3:
        raise ValueError(f"CTC decoding takes (T, N, C) or (T, C) scores, but got shape {array.shape}.")
    return array


def collapse(path: Sequence[int], blank: int = 0) -> list[int]:
    """A labelling from a path of symbols: merge runs of one symbol, then drop blanks."""
    out: list[int] = []
    previous = None
    for symbol in path:
        symbol = int(symbol)
        if symbol != previous and symbol != blank:
            out.append(symbol)
        previous = symbol
    return out


def ctc_greedy_decode(log_probs: Any, input_lengths: Any = None, blank: int = 0) -> list[list[int]]:
    """Best-path decoding: the likeliest symbol per column, collapsed. (T, N, C) -> N label lists."""
    scores = _host_log_probs(log_probs)
    lengths = _lengths_or_full(input_lengths, scores)
    best = scores.argmax(axis=2)  # (T, N)
    return [collapse(best[: lengths[n], n], blank) for n in range(scores.shape[1])]


def _lengths_or_full(input_lengths: Any, scores: np.ndarray) -> np.ndarray:
    if input_lengths is None:
        return np.full(scores.shape[1], scores.shape[0], dtype=np.int64)
    lengths = _host_ints("input_lengths", input_lengths).reshape(-1)
    if lengths.shape != (scores.shape[1],) or (lengths.size and (lengths.min() < 0 or lengths.max() > scores.shape[0])):
        raise ValueError(f"CTC decoding: input_lengths must be {scores.shape[1]} integers in [0, "
                         f"{scores.shape[0]}], but got {lengths.tolist()}.")
    return lengths


def _log_add(a: float, b: float) -> float:
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    top = max(a, b)
    return top + float(np.log1p(np.exp(-abs(a - b))))


def ctc_beam_search(log_probs: Any, beam_width: int = 8, input_lengths: Any = None,
                    blank: int = 0) -> list[tuple[list[int], float]]:
    """Prefix beam search over (T, N, C) log-probabilities: per sequence, (labels, log-probability).

    Each prefix keeps two scores, of its paths ending in a blank and in its last label,
    so that paths collapsing to the same prefix are summed rather than competing.
    """
    if int(beam_width) < 1:
        raise ValueError(f"ctc_beam_search: beam_width must be at least 1, but got {beam_width}.")
    scores = _host_log_probs(log_probs).astype(np.float64)
    lengths = _lengths_or_full(input_lengths, scores)
    results = []
    for n in range(scores.shape[1]):
        beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -np.inf)}  # prefix -> (blank, label)
        for t in range(lengths[n]):
            column = scores[t, n]
            following: dict[tuple[int, ...], list[float]] = {}

            def add(prefix: tuple[int, ...], in_blank: float, in_label: float,
                    following: dict = following) -> None:
                entry = following.setdefault(prefix, [-np.inf, -np.inf])
                entry[0] = _log_add(entry[0], in_blank)
                entry[1] = _log_add(entry[1], in_label)

            for prefix, (p_blank, p_label) in beams.items():
                total = _log_add(p_blank, p_label)
                add(prefix, total + column[blank], -np.inf)
                if prefix:
                    add(prefix, -np.inf, p_label + column[prefix[-1]])  # repeat merges
                for symbol in range(column.size):
                    if symbol == blank:
                        continue
                    if prefix and symbol == prefix[-1]:
                        add(prefix + (symbol,), -np.inf, p_blank + column[symbol])  # only after a blank
                    else:
                        add(prefix + (symbol,), -np.inf, total + column[symbol])
            ranked = sorted(following.items(), key=lambda item: -_log_add(*item[1]))
            beams = {prefix: (pair[0], pair[1]) for prefix, pair in ranked[: int(beam_width)]}
        best, (p_blank, p_label) = max(beams.items(), key=lambda item: _log_add(*item[1]))
        results.append((list(best), _log_add(p_blank, p_label)))
    return results
