"""The registry: every exercise of the course, declared once.

>>> from lstmkit.course.exercises import EXERCISES, get_exercise
>>> get_exercise("learn_gate").signature
('stm_prev', 'event', 'W_n', 'b_n', 'W_i', 'b_i')

``EXERCISES`` maps each exercise's name to its :class:`~lstmkit.course.spec.Exercise`,
in course order. ``by_notebook()`` groups them by exercise notebook
(``"06_lstm_cell"`` holds ``lstm_cell`` and ``unroll``).
"""

from __future__ import annotations

from . import array_references as ar
from . import inputs
from . import references as ref
from .references import identity, sigmoid, tanh
from .spec import ErrorHint, Exercise, Hint

# ------------------------------------------------------------------ shared hints

GATE_FORBIDDEN = ("lstmkit.gates", "lstmkit.nn", "lstmkit.course", "torch")

ORDER_HINT = (
    "Your result matches joining [E_t, STM_{t-1}] (Event first). The course joins "
    "[STM_{t-1}, E_t]: the first `hidden` columns of every weight matrix read the Short "
    "Term Memory, the rest read the Event. Use lk.concat([stm_prev, event], axis=-1)."
)

GATE_ERROR_HINTS = (
    ErrorHint(
        "matmul",
        "Each W is (hidden, hidden + event) and the joined input [STM_{t-1}, E_t] is "
        "(batch, hidden + event), one row per example. Multiply as x @ W.T (not W @ x, "
        "not x @ W), then add the bias b of shape (hidden,).",
    ),
    ErrorHint(
        "cannot be broadcast",
        "Shapes that cannot be broadcast usually mean an elementwise product `*` where "
        "a matrix product `@` belongs: weights meet the joined input through x @ W.T; "
        "`*` (⊙) is only for combining two (batch, hidden) results.",
    ),
    ErrorHint(
        "concat",
        "Join the two memories' inputs along the feature axis: "
        "lk.concat([stm_prev, event], axis=-1) gives (batch, hidden + event).",
    ),
    ErrorHint(
        "NameError",
        "A name is not defined. Run the notebook's first cell (import lstmkit as lk) "
        "and check the spelling of every name you use.",
    ),
    ErrorHint(
        "has no attribute",
        "lstmkit Tensors offer x.tanh(), x.sigmoid(), x.T, x @ W, x * y, x + y; joining "
        "is lk.concat([a, b], axis=-1). NumPy functions do not work on Tensors.",
    ),
)


def _bias_hint(name: str) -> str:
    return f"Your result matches leaving out the bias {name}. Every gate adds its bias after the matrix product: x @ W.T + b."


# ------------------------------------------------------------------ 01 autograd

_ACT_FORBIDDEN = ("lstmkit.autograd", "lstmkit.functional", "lstmkit.course", "torch", "scipy")
_ACT_ERROR_HINTS = (
    ErrorHint(
        "NotImplementedError",
        "forward and backward both need an answer: forward returns the output array, "
        "backward returns grad times the local slope.",
    ),
    ErrorHint("NameError", "A name is not defined. Run the first cell (import numpy as np) and check spellings."),
)

SIGMOID = Exercise(
    name="Sigmoid",
    lesson=1,
    notebook="01_autograd",
    title="The sigmoid as an autograd Function",
    kind="function_class",
    signature=("x",),
    outputs=("output",),
    differentiable=("x",),
    cases=inputs.activation_cases(),
    reference=ar.Sigmoid,
    points=2,
    hints=(
        Hint("Your forward gives σ(-x): check the sign inside the exponential, σ(x) = 1 / (1 + e^(-x)).",
             ar.sigmoid_variant(forward="sign")),
        Hint("Your forward gives tanh(x); the sigmoid squashes to (0, 1), not (-1, 1).",
             ar.sigmoid_variant(forward="tanh")),
        Hint("Your backward returns grad * σ(x): the slope of the sigmoid is σ(x) * (1 - σ(x)).",
             ar.sigmoid_variant(backward="no_one_minus")),
        Hint("Your backward returns the local slope σ(x)(1 - σ(x)) alone: multiply it by the incoming "
             "gradient `grad` (the chain rule).", ar.sigmoid_variant(backward="no_upstream")),
        Hint("Your backward computes x * (1 - x) from the input: the formula σ(x)(1 - σ(x)) needs the "
             "forward's output. Save it in forward (self.out = ...) and use it in backward.",
             ar.sigmoid_variant(backward="uses_input")),
    ),
    error_hints=_ACT_ERROR_HINTS,
    forbidden=_ACT_FORBIDDEN,
    gradcheck_input=inputs.small_x,
)

TANH = Exercise(
    name="Tanh",
    lesson=1,
    notebook="01_autograd",
    title="tanh as an autograd Function",
    kind="function_class",
    signature=("x",),
    outputs=("output",),
    differentiable=("x",),
    cases=inputs.activation_cases(),
    reference=ar.Tanh,
    points=2,
    hints=(
        Hint("Your forward gives the sigmoid; tanh squashes to (-1, 1).", ar.tanh_variant(forward="sigmoid")),
        Hint("Your backward returns grad * (1 - tanh(x)): the slope is 1 - tanh(x)², squared.",
             ar.tanh_variant(backward="not_squared")),
        Hint("Your backward returns the local slope 1 - tanh(x)² alone: multiply it by the incoming "
             "gradient `grad` (the chain rule).", ar.tanh_variant(backward="no_upstream")),
        Hint("Your backward computes 1 - x² from the input: it needs the forward's output, "
             "1 - tanh(x)². Save it in forward (self.out = ...) and use it in backward.",
             ar.tanh_variant(backward="uses_input")),
        Hint("Your backward adds: the slope of tanh is 1 - tanh(x)², with a minus.",
             ar.tanh_variant(backward="plus")),
    ),
    error_hints=_ACT_ERROR_HINTS,
    forbidden=_ACT_FORBIDDEN,
    gradcheck_input=inputs.small_x,
)

# ------------------------------------------------------------------ 02 learn gate

_LEARN_SIGNATURE = ("stm_prev", "event", "W_n", "b_n", "W_i", "b_i")
LV = ref.learn_gate_variant

LEARN_GATE = Exercise(
    name="learn_gate",
    lesson=2,
    notebook="02_learn_gate",
    title="The learn gate",
    kind="function",
    signature=_LEARN_SIGNATURE,
    outputs=("output",),
    differentiable=_LEARN_SIGNATURE,
    cases=inputs.gate_cases(_LEARN_SIGNATURE),
    reference=ref.learn_gate,
    points=3,
    hints=(
        Hint(ORDER_HINT, LV(order="event_first")),
        Hint("Your N_t uses the sigmoid. The learn matrix N_t uses tanh (new information can be "
             "positive or negative); the ignore factor i_t uses the sigmoid.", LV(n_act=sigmoid)),
        Hint("Your i_t uses tanh. The ignore factor i_t is a sigmoid (between 0 and 1: how much of "
             "each proposal to keep).", LV(i_act=tanh)),
        Hint("Your activations (or your weights) are swapped: N_t = tanh(W_n [STM, E] + b_n) and "
             "i_t = σ(W_i [STM, E] + b_i).", LV(n_act=sigmoid, i_act=tanh)),
        Hint(_bias_hint("b_n"), LV(n_bias=False)),
        Hint(_bias_hint("b_i"), LV(i_bias=False)),
        Hint("Your result matches leaving out both biases: x @ W.T + b in each gate.",
             LV(n_bias=False, i_bias=False)),
        Hint("Your result matches N_t + i_t. The learn gate multiplies elementwise: N_t ⊙ i_t.",
             LV(combine="add")),
        Hint("Your result is N_t alone: the ignore factor i_t must scale it (N_t ⊙ i_t).", LV(combine="n_only")),
        Hint("Your result is i_t alone: multiply it with the learn matrix N_t.", LV(combine="i_only")),
        Hint("Your result matches forgetting both activations: N_t = tanh(...), i_t = σ(...).",
             LV(n_act=identity, i_act=identity)),
    ),
    error_hints=GATE_ERROR_HINTS,
    forbidden=GATE_FORBIDDEN,
)

# ------------------------------------------------------------------ 03 forget gate

_FORGET_SIGNATURE = ("stm_prev", "event", "ltm_prev", "W_f", "b_f")
FV = ref.forget_gate_variant

FORGET_GATE = Exercise(
    name="forget_gate",
    lesson=3,
    notebook="03_forget_gate",
    title="The forget gate",
    kind="function",
    signature=_FORGET_SIGNATURE,
    outputs=("output",),
    differentiable=_FORGET_SIGNATURE,
    cases=inputs.gate_cases(_FORGET_SIGNATURE),
    reference=ref.forget_gate,
    points=2,
    hints=(
        Hint(ORDER_HINT, FV(order="event_first")),
        Hint("Your forget factor uses tanh. f_t is a sigmoid: 0 forgets, 1 keeps; a negative "
             "factor would flip the memory's sign.", FV(act=tanh)),
        Hint(_bias_hint("b_f"), FV(bias=False)),
        Hint("Your result is the forget factor f_t alone. The gate's output is what is kept of the "
             "old memory: LTM_{t-1} ⊙ f_t.", FV(combine="f_only")),
        Hint("Your result matches LTM_{t-1} + f_t. The forget factor scales the memory: LTM_{t-1} ⊙ f_t.",
             FV(combine="add")),
        Hint("Your result multiplies the Short Term Memory: the forget gate scales the Long Term "
             "Memory, ltm_prev ⊙ f_t.", FV(memory="stm")),
    ),
    error_hints=GATE_ERROR_HINTS,
    forbidden=GATE_FORBIDDEN,
)

# ------------------------------------------------------------------ 04 remember gate

_REMEMBER_SIGNATURE = ("stm_prev", "event", "ltm_prev", "W_n", "b_n", "W_i", "b_i", "W_f", "b_f")
RV = ref.remember_gate_variant

REMEMBER_GATE = Exercise(
    name="remember_gate",
    lesson=4,
    notebook="04_remember_gate",
    title="The remember gate",
    kind="function",
    signature=_REMEMBER_SIGNATURE,
    outputs=("ltm",),
    differentiable=_REMEMBER_SIGNATURE,
    cases=inputs.gate_cases(_REMEMBER_SIGNATURE),
    reference=ref.remember_gate,
    points=2,
    hints=(
        Hint(ORDER_HINT, RV(order="event_first")),
        Hint("Your result keeps all of LTM_{t-1}: the old memory passes the forget gate first, "
             "LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t.", RV(forget="none")),
        Hint("Your result multiplies the two gates' outputs. The remember gate adds them: what was "
             "kept plus what was learned.", RV(combine="mul")),
        Hint("Your result is the learn gate's output alone: add what the forget gate kept of LTM_{t-1}.",
             RV(combine="learn_only")),
        Hint("Your result is the forget gate's output alone: add what the learn gate learned, N_t ⊙ i_t.",
             RV(combine="forget_only")),
        Hint("Your forget gate scales the Short Term Memory; it scales the Long Term Memory ltm_prev.",
             RV(forget="stm")),
        Hint("Your learn gate's N_t uses the sigmoid; N_t uses tanh.", RV(learn=LV(n_act=sigmoid))),
        Hint("Your learn gate's i_t uses tanh; the ignore factor is a sigmoid.", RV(learn=LV(i_act=tanh))),
    ),
    error_hints=GATE_ERROR_HINTS,
    forbidden=GATE_FORBIDDEN,
)

# ------------------------------------------------------------------ 05 use gate, two variants

_ARTICLE_SIGNATURE = ("stm_prev", "event", "forget_output", "W_u", "b_u", "W_v", "b_v")
AV = ref.use_gate_article_variant

USE_GATE_ARTICLE = Exercise(
    name="use_gate_article",
    lesson=5,
    notebook="05_use_gate",
    title="The use gate, as the lesson draws it",
    kind="function",
    signature=_ARTICLE_SIGNATURE,
    outputs=("stm",),
    differentiable=_ARTICLE_SIGNATURE,
    cases=inputs.gate_cases(_ARTICLE_SIGNATURE),
    reference=ref.use_gate_article,
    points=3,
    hints=(
        Hint(ORDER_HINT, AV(order="event_first")),
        Hint("Your U_t is computed as forget_output @ W_u: W_u is (hidden, hidden) with one row per "
             "output unit, so use forget_output @ W_u.T.", AV(transpose_u=False)),
        Hint("Your U_t has no weights: that is the standard LSTM's tanh(LTM). In this variant "
             "U_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u).", AV(u_weights=False)),
        Hint(_bias_hint("b_u"), AV(u_bias=False)),
        Hint(_bias_hint("b_v"), AV(v_bias=False)),
        Hint("Your U_t uses the sigmoid; U_t uses tanh (what could be said, in (-1, 1)).", AV(u_act=sigmoid)),
        Hint("Your V_t uses tanh; the use factor V_t is a sigmoid (how much to say, in (0, 1)).", AV(v_act=tanh)),
        Hint("Your activations are swapped: U_t takes tanh, V_t takes the sigmoid.",
             AV(u_act=sigmoid, v_act=tanh)),
    ),
    error_hints=GATE_ERROR_HINTS,
    forbidden=GATE_FORBIDDEN,
)

_STANDARD_SIGNATURE = ("stm_prev", "event", "ltm", "W_v", "b_v")
SV = ref.use_gate_standard_variant

USE_GATE_STANDARD = Exercise(
    name="use_gate_standard",
    lesson=5,
    notebook="05_use_gate",
    title="The use gate, as PyTorch computes it",
    kind="function",
    signature=_STANDARD_SIGNATURE,
    outputs=("stm",),
    differentiable=_STANDARD_SIGNATURE,
    cases=inputs.gate_cases(_STANDARD_SIGNATURE),
    reference=ref.use_gate_standard,
    points=2,
    hints=(
        Hint(ORDER_HINT, SV(order="event_first")),
        Hint("Your result multiplies LTM_t itself: squash it first, STM_t = tanh(LTM_t) ⊙ V_t.",
             SV(u_act=identity)),
        Hint("Your result uses σ(LTM_t): the memory side uses tanh, tanh(LTM_t) ⊙ V_t.", SV(u_act=sigmoid)),
        Hint("Your V_t uses tanh; the use factor (PyTorch's output gate o_t) is a sigmoid.", SV(v_act=tanh)),
        Hint(_bias_hint("b_v"), SV(v_bias=False)),
    ),
    error_hints=GATE_ERROR_HINTS,
    forbidden=GATE_FORBIDDEN,
)

# ------------------------------------------------------------------ 06 cell and unroll

CV = ref.lstm_cell_variant

LSTM_CELL = Exercise(
    name="lstm_cell",
    lesson=6,
    notebook="06_lstm_cell",
    title="One LSTM step",
    kind="function",
    signature=("event", "stm_prev", "ltm_prev", "weights"),
    outputs=("stm", "ltm"),
    differentiable=("event", "stm_prev", "ltm_prev", "weights"),
    cases=inputs.cell_cases(steps=None),
    reference=ref.lstm_cell,
    points=3,
    hints=(
        Hint(ORDER_HINT, CV(order="event_first")),
        Hint("You return (LTM_t, STM_t): return the Short Term Memory first, (stm, ltm).",
             CV(swap_outputs=True)),
        Hint("Your STM_t uses tanh(LTM_{t-1}). The use gate reads the new memory: "
             "STM_t = tanh(LTM_t) ⊙ V_t, with LTM_t from the remember gate of this step.",
             CV(use_memory="old")),
        Hint("Your LTM_t keeps all of LTM_{t-1}: scale it by the forget factor first.", CV(forget=False)),
        Hint("Your STM_t multiplies LTM_t without squashing it: STM_t = tanh(LTM_t) ⊙ V_t.",
             CV(u_act=identity)),
    ),
    error_hints=GATE_ERROR_HINTS
    + (ErrorHint("KeyError", "weights is a dict with keys W_n, b_n, W_i, b_i, W_f, b_f, W_v, b_v."),),
    forbidden=GATE_FORBIDDEN,
)

UNROLL = Exercise(
    name="unroll",
    lesson=6,
    notebook="06_lstm_cell",
    title="Unrolling the cell over a sequence",
    kind="function",
    signature=("events", "stm0", "ltm0", "weights"),
    outputs=("stms",),
    differentiable=("events", "stm0", "ltm0", "weights"),
    cases=inputs.cell_cases(steps=4),
    reference=ref.unroll,
    points=2,
    hints=(
        Hint("Your result holds the Long Term Memories: collect STM_t, the first thing lstm_cell returns.",
             ref.unroll_with(ref.lstm_cell, collect="ltm")),
        Hint("Your result holds the memories before each step (it starts with stm0): collect STM_t "
             "after calling lstm_cell.", ref.unroll_with(ref.lstm_cell, collect="previous")),
        Hint("Every step restarts from stm0 and ltm0: pass each step's (STM_t, LTM_t) on to the next.",
             ref.unroll_with(ref.lstm_cell, carry="none")),
        Hint("Your Long Term Memory is not carried from step to step: the next step needs this "
             "step's LTM_t as well as its STM_t.", ref.unroll_with(ref.lstm_cell, carry="stm_only")),
    ),
    error_hints=GATE_ERROR_HINTS
    + (ErrorHint("stack", "Collect the STM_t of every step in a list and join them with "
                 "lk.stack(stms, axis=0): (T, batch, hidden)."),),
    forbidden=GATE_FORBIDDEN,
    uses=("lstm_cell",),
)

# ------------------------------------------------------------------ 07 gradient clipping

CL = ar.clip_grad_norm_variant

CLIP_GRAD_NORM = Exercise(
    name="clip_grad_norm",
    lesson=7,
    notebook="07_clip_grad_norm",
    title="Clipping gradients by their global norm",
    kind="array_function",
    signature=("grads", "max_norm"),
    outputs=("clipped[]", "total_norm"),
    differentiable=(),
    cases=inputs.clip_cases(),
    reference=ar.clip_grad_norm,
    points=3,
    hints=(
        Hint("Your gradients were scaled up although their norm was already within max_norm: the "
             "scale is min(1, max_norm / total_norm); clipping only ever shrinks.", CL(clamp=False)),
        Hint("You clip each gradient by its own norm. Clipping uses one global norm over all "
             "gradients together, so their directions relative to each other stay the same.",
             CL(per_array=True)),
        Hint("Your norm adds absolute values (the L1 norm); the global norm is the square root of "
             "the sum of all squares.", CL(norm="l1")),
        Hint("Your norm is the sum of squares without the square root.", CL(norm="squared")),
        Hint("You report the norm after clipping; total_norm is the norm before clipping (what "
             "training logs to show how large the gradients were).", CL(report="after")),
    ),
    error_hints=(
        ErrorHint("division by zero",
                  "When every gradient is zero the norm is 0: add a small epsilon, "
                  "max_norm / (total_norm + 1e-6), or leave gradients within max_norm untouched."),
        ErrorHint("Tensor", "grads holds plain arrays (like p.grad), not Tensors; use (g * g).sum() and float()."),
    ),
    forbidden=("lstmkit.optim", "lstmkit.nn", "lstmkit.course", "torch", "clip_grad_norm_"),
)

# ------------------------------------------------------------------ registry

EXERCISES: dict[str, Exercise] = {
    exercise.name: exercise
    for exercise in (
        SIGMOID, TANH, LEARN_GATE, FORGET_GATE, REMEMBER_GATE,
        USE_GATE_ARTICLE, USE_GATE_STANDARD, LSTM_CELL, UNROLL, CLIP_GRAD_NORM,
    )
}


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``; a KeyError listing the known names otherwise."""
    try:
        return EXERCISES[name]
    except KeyError:
        raise KeyError(
            f"there is no exercise called {name!r}; the exercises are: {', '.join(EXERCISES)}. "
            "Check the first argument of check(...)."
        ) from None


def by_notebook() -> dict[str, list[Exercise]]:
    """Exercise notebook stem -> its exercises, in course order."""
    grouped: dict[str, list[Exercise]] = {}
    for exercise in EXERCISES.values():
        grouped.setdefault(exercise.notebook, []).append(exercise)
    return grouped
