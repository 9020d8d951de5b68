"""The four gates of an LSTM cell, in the words of the course.

One step of an LSTM reads three things and writes two:

=========================  ======================  ==========================
course (article)           symbol                  standard LSTM / PyTorch
=========================  ======================  ==========================
Event                      E_t                     input x_t
Short Term Memory          STM_t                   hidden state h_t
Long Term Memory           LTM_t                   cell state c_t
learn matrix (tanh)        N_t                     candidate g_t
ignore factor (sigmoid)    i_t                     input gate i_t
forget factor (sigmoid)    f_t                     forget gate f_t
use factor (sigmoid)       V_t                     output gate o_t
=========================  ======================  ==========================

Every gate first joins the previous Short Term Memory and the Event into one
vector ``[STM_{t-1}, E_t]`` (STM first), multiplies it by its weight matrix and
adds its bias (:func:`lstm_step` makes the join once and hands it to all three gates
that read it). With ``hidden`` memory units and ``event`` input features, every
weight matrix ``W_n, W_i, W_f, W_v`` is ``(hidden, hidden + event)``, every bias
``(hidden,)``; the article's extra ``W_u`` is ``(hidden, hidden)``. Tensors may carry
a leading batch dimension: ``stm_prev (batch, hidden)``, ``event (batch, event)``.

* learn gate:    N_t = tanh(W_n [STM, E] + b_n),  i_t = σ(W_i [STM, E] + b_i),
                 output N_t ⊙ i_t
* forget gate:   f_t = σ(W_f [STM, E] + b_f),     output LTM_{t-1} ⊙ f_t
* remember gate: LTM_t = forget output + learn output
* use gate:      see :func:`use_gate` (two variants)
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from . import functional as F
from .autograd.ops import ShapeError
from .autograd.tensor import Tensor, concat

Variant = Literal["article", "standard"]
VARIANTS = ("article", "standard")
#: the weights lstm_step reads, by variant
STEP_WEIGHTS = {
    "standard": ("W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v"),
    "article": ("W_n", "b_n", "W_i", "b_i", "W_f", "b_f", "W_v", "b_v", "W_u", "b_u"),
}
_STEP_WEIGHT_SETS = {variant: frozenset(names) for variant, names in STEP_WEIGHTS.items()}


class LearnGate(NamedTuple):
    output: Tensor  #: N_t ⊙ i_t, what this step adds to the Long Term Memory
    N_t: Tensor  #: the learn matrix: new information proposed from STM and Event
    i_t: Tensor  #: the ignore factor: how much of each proposal to keep (0..1)


class ForgetGate(NamedTuple):
    output: Tensor  #: LTM_{t-1} ⊙ f_t, the part of the old memory that is kept
    f_t: Tensor  #: the forget factor (0 = forget entirely, 1 = keep entirely)


class UseGate(NamedTuple):
    output: Tensor  #: STM_t, the new Short Term Memory (and the step's output)
    U_t: Tensor  #: the memory side (tanh), what could be said
    V_t: Tensor  #: the use factor (sigmoid), how much of it to say


class LSTMStep(NamedTuple):
    stm: Tensor  #: STM_t
    ltm: Tensor  #: LTM_t
    N_t: Tensor
    i_t: Tensor
    learn_output: Tensor
    f_t: Tensor
    forget_output: Tensor
    U_t: Tensor
    V_t: Tensor


def join_stm_event(stm_prev: Tensor, event: Tensor, gate: str = "gate") -> Tensor:
    """[STM_{t-1}, E_t]: (batch, hidden) and (batch, event) -> (batch, hidden + event)."""
    if stm_prev.shape[:-1] != event.shape[:-1]:
        raise ShapeError(
            f"{gate}: stm_prev has shape {stm_prev.shape} and event has shape {event.shape}; "
            "they must agree on all leading (batch) dimensions and differ only in the last, "
            "e.g. (batch, hidden) and (batch, event)."
        )
    return concat([stm_prev, event], axis=-1)


def _affine(gate: str, name: str, combined: Tensor, W: Tensor, b: Tensor, hidden: int) -> Tensor:
    """W [STM, E] + b for a batch: combined (batch, features) -> (batch, hidden)."""
    features = combined.shape[-1]
    if W.shape != (hidden, features):
        raise ShapeError(
            f"{gate}: W_{name} has shape {W.shape} but [STM, E] has {features} features and "
            f"STM has {hidden} units; W_{name} must be (hidden, hidden + event) = "
            f"({hidden}, {features})."
        )
    if b.shape != (hidden,):
        raise ShapeError(f"{gate}: b_{name} has shape {b.shape}; it must be (hidden,) = ({hidden},).")
    return F.linear(combined, W, b)  # combined @ W.T + b, one node on the tape


def _joined(stm_prev: Tensor, event: Tensor, combined: Tensor | None, gate: str) -> Tensor:
    """``combined`` when the caller already joined [STM_{t-1}, E_t] (as lstm_step does), else the join."""
    if combined is None:
        return join_stm_event(stm_prev, event, gate)
    expected = (*stm_prev.shape[:-1], stm_prev.shape[-1] + event.shape[-1])
    if combined.shape != expected:
        raise ShapeError(
            f"{gate}: combined has shape {combined.shape}, but [STM, E] of stm_prev {stm_prev.shape} and "
            f"event {event.shape} is {expected}; pass join_stm_event(stm_prev, event), or leave combined out."
        )
    return combined


def learn_gate(stm_prev: Tensor, event: Tensor, W_n: Tensor, b_n: Tensor, W_i: Tensor, b_i: Tensor,
               *, combined: Tensor | None = None) -> LearnGate:
    """What to learn from this Event: N_t ⊙ i_t.

    stm_prev (batch, hidden), event (batch, event) -> output, N_t, i_t (batch, hidden).
    ``combined``: [STM_{t-1}, E_t] when already joined (:func:`lstm_step` joins once for all gates).
    """
    combined = _joined(stm_prev, event, combined, "learn_gate")
    hidden = stm_prev.shape[-1]
    N_t = _affine("learn_gate", "n", combined, W_n, b_n, hidden).tanh()
    i_t = _affine("learn_gate", "i", combined, W_i, b_i, hidden).sigmoid()
    return LearnGate(N_t * i_t, N_t, i_t)


def forget_gate(stm_prev: Tensor, event: Tensor, ltm_prev: Tensor, W_f: Tensor, b_f: Tensor,
                *, combined: Tensor | None = None) -> ForgetGate:
    """What to keep of the old Long Term Memory: LTM_{t-1} ⊙ f_t.

    stm_prev, ltm_prev (batch, hidden), event (batch, event) -> output, f_t (batch, hidden).
    ``combined``: [STM_{t-1}, E_t] when already joined, as for :func:`learn_gate`.
    """
    combined = _joined(stm_prev, event, combined, "forget_gate")
    hidden = stm_prev.shape[-1]
    if ltm_prev.shape != stm_prev.shape:
        raise ShapeError(
            f"forget_gate: ltm_prev has shape {ltm_prev.shape} but stm_prev has {stm_prev.shape}; "
            "the two memories always have the same shape (batch, hidden)."
        )
    f_t = _affine("forget_gate", "f", combined, W_f, b_f, hidden).sigmoid()
    return ForgetGate(ltm_prev * f_t, f_t)


def remember_gate(forget_output: Tensor, learn_output: Tensor) -> Tensor:
    """The new Long Term Memory: LTM_t = forget output + learn output, (batch, hidden)."""
    if forget_output.shape != learn_output.shape:
        raise ShapeError(
            f"remember_gate: forget_output has shape {forget_output.shape} but learn_output has "
            f"{learn_output.shape}; both are (batch, hidden)."
        )
    return forget_output + learn_output


def use_gate(
    stm_prev: Tensor,
    event: Tensor,
    W_v: Tensor,
    b_v: Tensor,
    *,
    variant: Variant = "article",
    forget_output: Tensor | None = None,
    W_u: Tensor | None = None,
    b_u: Tensor | None = None,
    ltm: Tensor | None = None,
    combined: Tensor | None = None,
) -> UseGate:
    """The new Short Term Memory, STM_t = U_t ⊙ V_t, in one of two variants.

    Both share the use factor V_t = σ(W_v [STM_{t-1}, E_t] + b_v). They differ in U_t:

    * ``variant="article"`` (the lesson's diagram): U_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u).
      It reads the forget gate's output (pass ``forget_output``), has its own weights
      ``W_u (hidden, hidden)`` and ``b_u (hidden,)``, and so never sees what the learn
      gate added in this step.
    * ``variant="standard"`` (Hochreiter & Schmidhuber with Gers' forget gate; PyTorch
      and cuDNN): U_t = tanh(LTM_t). It reads the *new* Long Term Memory (pass ``ltm``)
      and has no weights of its own, so this step's learning reaches STM_t at once.

    Shapes: stm_prev (batch, hidden), event (batch, event) -> output, U_t, V_t (batch, hidden).
    ``combined``: [STM_{t-1}, E_t] when already joined, as for :func:`learn_gate`.
    """
    if variant not in VARIANTS:
        raise ValueError(f"use_gate: variant must be 'article' or 'standard', got {variant!r}.")
    combined = _joined(stm_prev, event, combined, "use_gate")
    hidden = stm_prev.shape[-1]
    V_t = _affine("use_gate", "v", combined, W_v, b_v, hidden).sigmoid()
    if variant == "article":
        if forget_output is None or W_u is None or b_u is None:
            raise TypeError(
                "use_gate(variant='article') needs forget_output (LTM_{t-1} ⊙ f_t), W_u and b_u; "
                "for the PyTorch form pass variant='standard' and ltm=LTM_t instead."
            )
        if W_u.shape != (hidden, hidden):
            raise ShapeError(f"use_gate: W_u has shape {W_u.shape}; it must be (hidden, hidden) = ({hidden}, {hidden}).")
        if b_u.shape != (hidden,):
            raise ShapeError(f"use_gate: b_u has shape {b_u.shape}; it must be (hidden,) = ({hidden},).")
        U_t = F.linear(forget_output, W_u, b_u).tanh()  # tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u)
    else:
        if ltm is None:
            raise TypeError(
                "use_gate(variant='standard') needs ltm, the new Long Term Memory LTM_t "
                "(the remember gate's output)."
            )
        if ltm.shape != stm_prev.shape:
            raise ShapeError(f"use_gate: ltm has shape {ltm.shape} but stm_prev has {stm_prev.shape}; both are (batch, hidden).")
        U_t = ltm.tanh()
    return UseGate(U_t * V_t, U_t, V_t)


def lstm_step(
    event: Tensor,
    stm_prev: Tensor,
    ltm_prev: Tensor,
    weights: dict[str, Tensor],
    variant: Variant = "standard",
) -> LSTMStep:
    """One LSTM step composed from the four gates.

    ``weights`` holds W_n, b_n, W_i, b_i, W_f, b_f, W_v, b_v (and W_u, b_u for the
    article variant). event (batch, event), stm_prev, ltm_prev (batch, hidden) ->
    STM_t, LTM_t and every intermediate, each (batch, hidden).
    """
    known = variant if variant in STEP_WEIGHTS else "standard"  # an unknown variant: use_gate says so
    if not weights.keys() >= _STEP_WEIGHT_SETS[known]:
        needed = STEP_WEIGHTS[known]
        missing = [name for name in needed if name not in weights]
        raise KeyError(
            f"lstm_step(variant={variant!r}): weights is missing {missing}; it needs {list(needed)} "
            "(nn.LSTMCell.gate_weights() returns such a dict)."
        )
    w = weights
    combined = join_stm_event(stm_prev, event, "lstm_step")  # the three gates read the same [STM, E]
    learn = learn_gate(stm_prev, event, w["W_n"], w["b_n"], w["W_i"], w["b_i"], combined=combined)
    forget = forget_gate(stm_prev, event, ltm_prev, w["W_f"], w["b_f"], combined=combined)
    ltm = remember_gate(forget.output, learn.output)
    if variant == "article":
        use = use_gate(stm_prev, event, w["W_v"], w["b_v"], variant="article",
                       forget_output=forget.output, W_u=w["W_u"], b_u=w["b_u"], combined=combined)
    else:
        use = use_gate(stm_prev, event, w["W_v"], w["b_v"], variant=variant, ltm=ltm, combined=combined)
    return LSTMStep(use.output, ltm, learn.N_t, learn.i_t, learn.output, forget.f_t, forget.output, use.U_t, use.V_t)
