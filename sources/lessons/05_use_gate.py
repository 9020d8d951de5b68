# %% [markdown]
# # Lesson 5 · The use gate: what the cell says
#
# *Time to run all cells: under 20 s on a CPU (measured on a busy 2-core machine, short
# or full runs alike). This lesson computes with tiny arrays on the CPU (a GPU time
# was not measured).*
#
# The Long Term Memory is the cell's store; the **Short Term Memory** `STM_t` is what
# it *says* at this step. `STM_t` is the cell's output (what a classifier on top reads
# to name the film) and it is fed back as `STM_{t-1}` at the next step, where every
# gate reads it. The use gate makes it from the memory, in two parts:
#
# * `U_t`, what the memory could say, squashed by `tanh` into (−1, 1);
# * the **use factor** `V_t`, a fraction per unit saying how much of it to say now.
#
# $$V_t = \sigma\big(W_v\,[STM_{t-1}, E_t] + b_v\big) \qquad STM_t = U_t \odot V_t$$
#
# Both versions of the LSTM agree on `V_t` (the standard name is the **output gate**
# `o_t`). They differ in `U_t`, and the difference is worth understanding exactly,
# because the article's diagram and every library (PyTorch, cuDNN, Keras) draw it
# differently.

# %%
import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk
from lstmkit import gates

np.set_printoptions(precision=4, suppress=True)
def T(a):
    return lk.tensor(a, dtype="float64")



# %% [markdown]
# ## Two versions of `U_t`
#
# | | the article's use gate | the standard use gate (PyTorch) |
# |---|---|---|
# | `U_t` | `tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u)` | `tanh(LTM_t)` |
# | reads | the forget gate's output: the **old** memory, after forgetting | the **new** memory, after the remember gate |
# | own weights | `W_u (H, H)`, `b_u (H,)` | none |
# | `STM_t` | `U_t ⊙ V_t` | `o_t ⊙ tanh(LTM_t)` (with `o_t = V_t`) |
#
# (The article's prose says the use gate passes "the previous Long Term Memory" through
# `tanh`; its calculation figure applies `W_u` to the forget gate's output
# `LTM_{t-1} ⊙ f_t`. `lstmkit`'s `variant="article"` follows the figure.)
#
# The decisive row is the second one. `LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t`: the
# forget gate's output is `LTM_t` **without the learn gate's contribution**. So in
# the article's cell, what the learn gate takes from the Event at step `t` cannot
# appear in `STM_t`; the Event reaches `STM_t` only through the use factor `V_t`
# and the forget factor `f_t`, and the new information surfaces one step later. In
# the standard cell it appears at once. The cells below show this four ways.

# %% [markdown]
# ## 1. Same inputs, both variants
#
# The cell, frame and memories of lessons 2–4, plus the use gate's weights:

# %%
stm_prev, event, ltm_prev = T([[0.5, -0.2]]), T([[1.0, 0.0]]), T([[2.0, -1.5]])
weights = {
    "W_n": T([[0.8, 0.0, 1.2, -0.4], [0.0, 0.5, -0.3, 1.5]]), "b_n": T([0.0, 0.1]),
    "W_i": T([[0.2, 0.1, 2.0, 0.5], [-0.3, 0.4, -1.0, 2.0]]), "b_i": T([-0.5, 0.0]),
    "W_f": T([[0.3, 0.0, 2.0, 0.0], [0.0, 0.3, -2.5, 0.5]]), "b_f": T([0.5, 0.5]),
    "W_v": T([[0.5, 0.0, 1.0, 0.0], [0.0, 0.5, 0.0, 1.0]]), "b_v": T([0.0, 0.0]),
    "W_u": T([[1.0, 0.0], [0.0, 1.0]]), "b_u": T([0.0, 0.0]),   # article only
}
w = weights
learn = gates.learn_gate(stm_prev, event, w["W_n"], w["b_n"], w["W_i"], w["b_i"])
forget = gates.forget_gate(stm_prev, event, ltm_prev, w["W_f"], w["b_f"])
ltm = gates.remember_gate(forget.output, learn.output)

article = gates.use_gate(stm_prev, event, w["W_v"], w["b_v"], variant="article",
                         forget_output=forget.output, W_u=w["W_u"], b_u=w["b_u"])
standard = gates.use_gate(stm_prev, event, w["W_v"], w["b_v"], variant="standard", ltm=ltm)

print("V_t (shared)          ", article.V_t.numpy(), standard.V_t.numpy())
print("article   U_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u) =", article.U_t.numpy(), " STM_t =", article.output.numpy())
print("standard  U_t = tanh(LTM_t)                     =", standard.U_t.numpy(), " STM_t =", standard.output.numpy())


# %% [markdown]
# With `W_u` set to the identity and `b_u = 0`, the article's `U_t` is simply
# `tanh(LTM_{t-1} ⊙ f_t)`: it differs from the standard `tanh(LTM_t)` only by the
# learn gate's output that the standard version includes. Here that difference moves
# unit 0 from 0.95 to 0.99.
#
# ## 2. Change only what is learned
#
# Now keep everything fixed except the learn gate's proposal weights `W_n`, for
# example flip their sign. The learn gate's output changes, so `LTM_t` changes. The
# article's `STM_t` does not move at all; the standard one does:

# %%
def both_stms(weights):
    step_a = gates.lstm_step(event, stm_prev, ltm_prev, weights, variant="article")
    step_s = gates.lstm_step(event, stm_prev, ltm_prev, weights, variant="standard")
    return step_a, step_s

flipped = {**weights, "W_n": weights["W_n"] * -1.0}
for label, ws in (("original W_n", weights), ("flipped  W_n", flipped)):
    a, s = both_stms(ws)
    print(f"{label}: learn output {a.learn_output.numpy()}  LTM_t {a.ltm.numpy()}  "
          f"article STM_t {a.stm.numpy()}  standard STM_t {s.stm.numpy()}")

# %% [markdown]
# ## 3. The gradient says the same
#
# If `STM_t` does not depend on `W_n`, then `d STM_t / d W_n` is zero. In fact, for
# the article's variant `W_n` and `W_i` are not even in the graph that produced
# `STM_t`, so backward never reaches them and their `.grad` stays `None`:

# %%
for variant in ("article", "standard"):
    ws = {name: T(value.numpy()).requires_grad_() for name, value in weights.items()}
    step = gates.lstm_step(event, stm_prev, ltm_prev, ws, variant=variant)
    step.stm.sum().backward()
    reached = {name: (None if ws[name].grad is None else round(float(np.abs(ws[name].grad).sum()), 4))
               for name in ("W_n", "W_i", "W_f", "W_v")}
    print(f"{variant:8s} |d STM_t / d W|: {reached}")

# %% [markdown]
# In the article's cell the learn gate is trained only through *later* steps (its
# output enters `LTM_t`, which the next step's use gate reads). In the standard cell
# it also gets a gradient from this step's output. Either way the network can learn,
# but the standard cell's output is always up to date with its memory.
#
# ## 4. One frame late
#
# The film again, with the hand-built cell of lesson 4 and a use gate that always
# speaks (`V_t ≈ 1`). Ben Affleck appears at frame 2 and Gal Gadot at frame 5; watch
# when each variant's Short Term Memory, what the cell *says*, first shows it:

# %%
film = {
    "W_n": T([[0, 0, 3, 0], [0, 0, 0, 3]]), "b_n": T([0.0, 0.0]),
    "W_i": T([[0, 0, 6, 0], [0, 0, 0, 6]]), "b_i": T([-3.0, -3.0]),
    "W_f": T(np.zeros((2, 4))), "b_f": T([4.0, 4.0]),
    "W_v": T(np.zeros((2, 4))), "b_v": T([5.0, 5.0]),
    "W_u": T(np.eye(2)), "b_u": T([0.0, 0.0]),
}
clip = np.zeros((9, 2))
clip[2, 0] = clip[5, 1] = 1.0                       # Affleck at frame 2, Gadot at frame 5

said = {}
for variant in ("article", "standard"):
    stm, ltm, rows = T(np.zeros((1, 2))), T(np.zeros((1, 2))), []
    for frame in clip:
        step = gates.lstm_step(T(frame.reshape(1, 2)), stm, ltm, film, variant=variant)
        stm, ltm = step.stm, step.ltm
        rows.append(stm.numpy()[0])
    said[variant] = np.array(rows)

for t in range(len(clip)):
    print(f"frame {t}  E_t = {clip[t]}  article STM_t = {said['article'][t]}  standard STM_t = {said['standard'][t]}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
for ax, unit, name in zip(axes, (0, 1), ("unit 0 (Affleck, frame 2)", "unit 1 (Gadot, frame 5)"), strict=True):
    ax.step(range(len(clip)), said["article"][:, unit], where="mid", label="article use gate")
    ax.step(range(len(clip)), said["standard"][:, unit], where="mid", linestyle="--", label="standard use gate")
    ax.set_title(name)
    ax.set_xlabel("frame t")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("STM_t")
axes[0].legend()
plt.show()

# %% [markdown]
# The standard cell says "Affleck" at frame 2, the frame he appears; the article's
# cell says it at frame 3. The lag is always exactly one step, because the article's
# `U_t` reads the memory as it was before this step's learning. For a task that must
# react to the current Event immediately (tagging each word of a sentence, say), the
# article's cell has to route that information through `V_t` alone; for a task that
# answers at the end of a long sequence, one step hardly matters. The article's form
# also costs an extra `H × H` matrix and `H` biases per cell (counting one bias vector
# per gate, as the course does; PyTorch keeps two, `b_ih` and `b_hh`, which add up):

# %%
H, D = 128, 64
shared = 4 * H * (H + D) + 4 * H
print(f"H={H}, D={D}: standard cell {shared} parameters, article cell {shared + H * H + H} (+{H * H + H})")

# %% [markdown]
# ## Explore it
#
# The use gate explorer has a switch between the two variants. With the article's
# variant the learn gate's sliders are hidden: they cannot affect `STM_t`. Switch to
# the standard variant and they appear, because now they can.

# %% tags=["nbval-ignore-output"]
from lstmkit.widgets import use_gate_explorer

explorer = use_gate_explorer(variant="article")
explorer

# %%
explorer.set(event=1.0, stm_prev=0.0, ltm_prev=1.5, W_n_event=1.0, b_n=0.0, W_i_event=1.0, b_i=0.0,
             W_f_event=0.0, b_f=1.0, W_v_event=0.5, b_v=0.0, W_u=1.0, b_u=0.0)
for variant in ("article", "standard"):
    explorer.variant_switch.value = variant
    outputs = []
    for w_n_event in (1.0, -1.0):                      # change only what the learn gate proposes
        explorer.set(W_n_event=w_n_event)
        outputs.append(round(explorer.values["stm_t"], 4))
    print(f"{variant:8s}: STM_t with W_n·E = +1 and -1: {outputs}")
explorer.variant_switch.value = "article"  # back to the variant the explorer above was made with
explorer.set(W_n_event=1.0)

# %% [markdown]
# The whole cell explorer shows every gate at once, with the same switch. Set a strong
# Event and move the learn gate's sliders with each variant selected.

# %% tags=["nbval-ignore-output"]
from lstmkit.widgets import cell_explorer

cell_explorer(variant="standard")

# %% [markdown]
# ## Your turn
#
# Open [**exercises/05_use_gate.ipynb**](../exercises/05_use_gate.ipynb) and write both variants, each returning the
# new Short Term Memory `STM_t`:
#
# * `use_gate_article(stm_prev, event, forget_output, W_u, b_u, W_v, b_v)`, with
#   `U_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u)` (mind the orientation: `W_u` has one row
#   per output unit, like every weight matrix here);
# * `use_gate_standard(stm_prev, event, ltm, W_v, b_v)`, with `U_t = tanh(LTM_t)`.
#
# Notice what each signature receives: the article's variant is handed the forget
# gate's output, the standard one the new memory. That is the whole difference.
#
# Next: [**06_full_cell.ipynb**](06_full_cell.ipynb), where the four gates become one cell that reads a
# whole sequence.
