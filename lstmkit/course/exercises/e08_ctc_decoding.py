"""Exercise notebook 08: reading a line from per-column scores (greedy CTC decoding, on plain arrays)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from ..model import ErrorHint, Spec
from .shared import Rng, choice_mistakes, make_exercise, reference_of, reference_of


def _scores_of_path(rng: Rng, path: list[int], classes: int) -> numpy.ndarray:
    """(T, C) log-probabilities whose best symbol in column t is ``path[t]``."""
    logits = rng.standard_normal((len(path), classes))
    logits[numpy.arange(len(path)), path] += 4.0
    top = logits.max(axis=1, keepdims=True)
    return logits - top - numpy.log(numpy.exp(logits - top).sum(axis=1, keepdims=True))


def _case(path: list[int], classes: int, blank: int) -> Callable[[Rng], dict[str, Any]]:
    return lambda rng: {"log_probs": _scores_of_path(rng, path, classes), "blank": blank}


INPUTS = (
    # runs of labels, a repeat separated by a blank, blanks at both ends
    ("a path with runs, blanks between repeats, blanks at the ends (blank 0)",
     _case([0, 3, 3, 0, 3, 1, 1, 0, 2, 0, 0, 2, 2, 0], 5, 0)),
    ("blank is the last class", _case([1, 1, 4, 0, 4, 4, 2, 4, 2, 3, 3], 5, 4)),
    ("no blanks at all", _case([2, 2, 1, 3, 3, 3, 1], 4, 0)),
    ("only blanks (an empty line)", _case([0, 0, 0, 0], 3, 0)),
    ("one column", _case([2], 3, 0)),
    ("a label repeated across blanks many times", _case([1, 0, 1, 1, 0, 0, 1, 2, 0, 2], 3, 0)),
    ("one column, one symbol (the blank): shape (1, 1)", lambda rng: {"log_probs": numpy.zeros((1, 1)), "blank": 0}),
    ("extreme scores (-1e4 everywhere but the best symbol)", lambda rng: {
        "log_probs": numpy.where(_scores_of_path(rng, [2, 2, 0, 2, 1, 1], 4) > -1.0, 0.0, -1e4), "blank": 0}),
)


def greedy_decode_variant(order: str = "collapse_first", collapse: str = "runs", drop_blank: bool = True,
                          axis: int = 1) -> Callable[[Any, int], list[int]]:
    """Greedy CTC decoding with its choices spelled out (the defaults give the correct answer).

    order: "collapse_first" (merge runs, then drop blanks) or "drop_first" (drop blanks, then
    merge runs); collapse: "runs" (merge equal neighbours), "none", "across_blanks" (compare
    with the last label kept, so a blank no longer separates repeats), "all" (keep each
    label once); drop_blank: remove blanks; axis: the axis the best symbol is taken over.
    """

    def merge(symbols: list[int], blank: int) -> list[int]:
        if collapse == "none":
            return list(symbols)
        out: list[int] = []
        for s in symbols:
            if collapse == "runs" and out and s == out[-1]:
                continue
            if collapse == "across_blanks" and s != blank and s in [k for k in out if k != blank][-1:]:
                continue
            if collapse == "all" and s in out:
                continue
            out.append(s)
        return out

    def decode(log_probs, blank):
        path = [int(k) for k in numpy.asarray(log_probs).argmax(axis=axis)]
        blank = int(blank)
        if order == "drop_first":
            kept = [s for s in path if s != blank] if drop_blank else path
            return merge(kept, blank)
        merged = merge(path, blank)
        return [s for s in merged if s != blank] if drop_blank else merged

    return decode


greedy_decode = reference_of(greedy_decode_variant, "Reference: best symbol per column, merge runs of one symbol, "
                             "then drop blanks; (T, C) log-probabilities, blank -> list of labels.")

#: each choice of the reference, the other ways a learner may make it, and what the course says
CHOICES = {
    "order": {"drop_first": "You drop the blanks before merging repeats, so a label written twice with a blank "
                            "between them (1 - 1) becomes one. Merge runs first, then drop the blanks: the blank is "
                            "what lets CTC write a double letter."},
    "collapse": {"none": "You keep every column's label: repeats of one symbol in neighbouring columns must be "
                         "merged into one (1 1 1 is a single 1).",
                 "across_blanks": "You merge a label with the last label kept even when a blank lies between "
                                  "them; only neighbouring columns merge (1 - 1 reads 1 1).",
                 "all": "You keep each label only once in the whole line; only runs of neighbouring columns "
                        "merge, so 1 2 1 stays 1 2 1."},
    "drop_blank": {False: "Your result still holds the blank; after merging runs, remove every blank."},
    "axis": {0: "You take the best symbol over time (axis 0); log_probs is (T, C): take argmax over the classes, "
                "axis=1, one symbol per column."},
}


GREEDY_DECODE = make_exercise(
    8, Spec("greedy_decode", "08_ctc_decoding", "Greedy CTC decoding", "array_function",
            ("log_probs", "blank"), ("labels",), (), 3,
            ("lstmkit.ctc", "lstmkit.functional", "lstmkit.course", "torch", "ctc_greedy_decode"),
),
    INPUTS, greedy_decode,
    rtol=0.0, atol=0.0,
    derive_mistakes=choice_mistakes(greedy_decode_variant, CHOICES),
    error_hints=(
        ErrorHint("unhashable", "log_probs is a (T, C) array: take numpy.argmax(log_probs, axis=1) for the path, "
                  "then compare the integers one by one."),
    ),
)

# ------------------------------------------------------------------ the CTC forward recursion, in probability space


def _probs(rng: Rng, steps: int, classes: int) -> numpy.ndarray:
    """(T, C) probabilities, each row a softmax of random scores."""
    scores = rng.standard_normal((steps, classes)) * 1.5
    e = numpy.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _forward_case(steps: int, classes: int, labels: list[int], blank: int = 0) -> Callable[[Rng], dict[str, Any]]:
    return lambda rng: {"probs": _probs(rng, steps, classes), "labels": list(labels), "blank": blank}


FORWARD_INPUTS = (
    ("5 steps, labels 1 2", _forward_case(5, 3, [1, 2])),
    ("a repeated label (1 1 needs a blank between): 5 steps", _forward_case(5, 3, [1, 1])),
    ("just enough steps for 1 1 2 (a blank between the 1s)", _forward_case(4, 3, [1, 1, 2])),
    ("too few steps for 2 2 (no alignment: probability 0)", _forward_case(2, 3, [2, 2])),
    ("zero labels (every column a blank)", _forward_case(4, 3, [])),
    ("one column and only the blank: probs of shape (1, 1)", _forward_case(1, 1, [])),
    ("blank is the last class, labels 0 1 0", _forward_case(6, 3, [0, 1, 0], blank=2)),
)


#: each choice of the forward recursion, the other ways a learner may make it, and what the course says
FORWARD_CHOICES = {
    "skip": {"always": "You let a path skip the blank between two equal labels: 1 1 needs the blank between "
                       "them, or it would read 1. Skip only between different labels.",
             "never": "Your paths never skip a blank: between two different labels the blank is optional, so "
                      "alpha[s] also takes alpha[s - 2] when labels[s] differs from labels[s - 2]."},
    "start": {"blank": "Your paths can only start with a blank; they may also start with the first label "
                       "(alpha[1] at t = 0 is probs[0, first label])."},
    "end": {"blank": "You count only paths that end on the final blank; a path may also end on the last label.",
            "label": "You count only paths that end on the last label; a path may also end on the blank after it."},
    "combine": {"max": "You keep the best single path (a maximum); the CTC probability sums over every path."},
    "blanks": {False: "Your extended sequence has no blanks: put a blank before, between and after the labels "
                      "(- 1 - 2 -), 2L + 1 states."},
}


def ctc_probability_variant(skip: str = "distinct", start: str = "both", end: str = "both", combine: str = "sum",
                            blanks: bool = True) -> Callable[[Any, list[int], int], float]:
    """The CTC forward recursion with its choices spelled out (the defaults give the correct answer).

    skip: over a blank between two different labels ("distinct"), "always", "never"; start:
    "both" (a blank or the first label), "blank"; end: "both" (the last label or the blank
    after it), "blank", "label"; combine: "sum" of paths, "max" (the best single path);
    blanks: whether the extended sequence has a blank around every label.
    """

    def probability(probs, labels, blank):
        probs, blank = numpy.asarray(probs, dtype=float), int(blank)
        states = [blank] if blanks else []
        for label in labels:
            states += [int(label), blank] if blanks else [int(label)]
        if not states:
            return 0.0
        add = numpy.maximum if combine == "max" else numpy.add
        alpha = numpy.zeros(len(states))
        alpha[0] = probs[0, states[0]]
        if len(states) > 1 and start == "both":
            alpha[1] = probs[0, states[1]]
        for t in range(1, probs.shape[0]):
            previous, alpha = alpha, numpy.zeros(len(states))
            for s, symbol in enumerate(states):
                total = previous[s]
                if s >= 1:
                    total = add(total, previous[s - 1])
                can_skip = s >= 2 and symbol != blank and {"distinct": symbol != states[s - 2], "always": True,
                                                             "never": False}[skip]
                if can_skip:
                    total = add(total, previous[s - 2])
                alpha[s] = total * probs[t, symbol]
        if end == "blank" or len(states) == 1:
            return float(alpha[-1])
        return float(alpha[-2] if end == "label" else add(alpha[-1], alpha[-2]))

    return probability


ctc_probability = reference_of(ctc_probability_variant, "Reference: the probability of ``labels`` under CTC, "
                               "summed over every alignment by the forward recursion; probs (T, C), labels (list), "
                               "blank -> a number.")



CTC_PROBABILITY = make_exercise(
    8, Spec("ctc_probability", "08_ctc_decoding", "The CTC forward recursion", "array_function",
            ("probs", "labels", "blank"), ("probability",), (), 2,
            ("lstmkit.ctc", "lstmkit.functional", "lstmkit.course", "torch", "ctc_loss")),
    FORWARD_INPUTS, ctc_probability, rtol=1e-9, atol=1e-12, derive_mistakes=choice_mistakes(ctc_probability_variant, FORWARD_CHOICES),
)

EXERCISES = (GREEDY_DECODE, CTC_PROBABILITY)
