# %% [markdown]
# # Lesson 4 · The remember gate: the new Long Term Memory
#
# *Time to run all cells: under 20 s on a CPU (measured on a busy 2-core machine, short
# or full runs alike). This lesson computes with tiny arrays on the CPU (a GPU time
# was not measured).*
#
# The forget gate decided what survives of the old memory; the learn gate decided what
# is new and worth keeping. The remember gate writes the **new Long Term Memory** by
# adding the two:
#
# $$LTM_t = \underbrace{LTM_{t-1} \odot f_t}_{\text{forget gate}} + \underbrace{N_t \odot i_t}_{\text{learn gate}}$$
#
# That is the whole gate. The article describes it as combining the memory that was
# not forgotten with the Short Term Memory and the Event; to be precise, the STM and
# the Event reach it only *through* the learn and forget gates. The remember gate has
# no weights of its own and no squashing function: it is a plain sum. That plainness
# is the most important design decision in the LSTM, and this lesson shows why.

# %%
import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk
from lstmkit import gates

np.set_printoptions(precision=4, suppress=True)
def T(a):
    return lk.tensor(a, dtype="float64")



# %% [markdown]
# ## A walk-through with numbers
#
# The same cell, frame and memories as in lessons 2 and 3, so the two outputs are the
# ones you have already computed:

# %%
stm_prev, event, ltm_prev = T([[0.5, -0.2]]), T([[1.0, 0.0]]), T([[2.0, -1.5]])
W_n, b_n = T([[0.8, 0.0, 1.2, -0.4], [0.0, 0.5, -0.3, 1.5]]), T([0.0, 0.1])
W_i, b_i = T([[0.2, 0.1, 2.0, 0.5], [-0.3, 0.4, -1.0, 2.0]]), T([-0.5, 0.0])
W_f, b_f = T([[0.3, 0.0, 2.0, 0.0], [0.0, 0.3, -2.5, 0.5]]), T([0.5, 0.5])

learn = gates.learn_gate(stm_prev, event, W_n, b_n, W_i, b_i)
forget = gates.forget_gate(stm_prev, event, ltm_prev, W_f, b_f)
ltm = gates.remember_gate(forget.output, learn.output)
print("LTM_{t-1}           ", ltm_prev.numpy())
print("forget gate output  ", forget.output.numpy())
print("learn gate output + ", learn.output.numpy())
print("LTM_t             = ", ltm.numpy())

# %% [markdown]
# Unit 0 kept most of its old value and added a strong new proposal, growing from
# 2.0 to about 2.63. Unit 1 forgot most of its old value *and* ignored most of its
# proposal, so it moved from −1.5 to about −0.24: this one frame nearly wiped it.
#
# ## The film, frame by frame
#
# Now let a hand-built cell watch a short clip. Each frame (Event) has two features,
# "Ben Affleck is on screen" and "Gal Gadot is on screen", each 0 or 1. The cell has
# two memory units and its weights are set by hand so that:
#
# * unit 0 proposes `N = tanh(3 · Affleck)` and unit 1 `N = tanh(3 · Gadot)`;
# * each unit's ignore factor opens only when its actor is on screen
#   (`i = σ(6 · actor − 3)`: 0.95 with the actor, 0.05 without);
# * the forget factor is `σ(4) ≈ 0.98` on every frame: keep almost everything.
#
# The STM weights are all 0 here, so the STM plays no part and stays 0; the full cell
# (lesson 6) feeds it back.

# %%
W_n, b_n = T([[0, 0, 3, 0], [0, 0, 0, 3]]), T([0.0, 0.0])
W_i, b_i = T([[0, 0, 6, 0], [0, 0, 0, 6]]), T([-3.0, -3.0])
W_f, b_f = T(np.zeros((2, 4))), T([4.0, 4.0])

#                Affleck  Gadot
clip = np.array([[1, 0], [0, 0], [0, 0], [0, 0], [0, 1], [0, 0],
                 [0, 0], [1, 1], [0, 0], [0, 0], [0, 0], [0, 0]], dtype=float)
stm, ltm = T(np.zeros((1, 2))), T(np.zeros((1, 2)))
history = []
for frame in clip:
    event = T(frame.reshape(1, 2))
    learn = gates.learn_gate(stm, event, W_n, b_n, W_i, b_i)
    forget = gates.forget_gate(stm, event, ltm, W_f, b_f)
    ltm = gates.remember_gate(forget.output, learn.output)
    history.append(ltm.numpy()[0])
history = np.array(history)
for t, (frame, memory) in enumerate(zip(clip, history, strict=True)):
    print(f"frame {t:2d}  Affleck={frame[0]:.0f} Gadot={frame[1]:.0f}  ->  LTM_t = {memory}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
frames = np.arange(len(clip))
ax.step(frames, history[:, 0], where="mid", label="LTM unit 0 (Batman evidence)")
ax.step(frames, history[:, 1], where="mid", label="LTM unit 1 (Wonder Woman evidence)")
ax.scatter(frames[clip[:, 0] == 1], np.full(int(clip[:, 0].sum()), -0.15), marker="^", label="Affleck on screen")
ax.scatter(frames[clip[:, 1] == 1], np.full(int(clip[:, 1].sum()), -0.3), marker="v", label="Gadot on screen")
ax.set_xlabel("frame t")
ax.grid(alpha=0.3)
ax.legend(fontsize=8, loc="upper left")
plt.show()

# %% [markdown]
# Each actor's appearance is *saved* (the learn gate opens and adds about 0.95) and then
# *carried* across the frames where nothing happens, fading only slowly (2% per frame).
# By frame 7 both units hold evidence at once, which is the state "both heroes have
# appeared: this is probably *Justice League*". A memory that needed the actor to be on
# screen *now* could never reach that conclusion.
#
# Notice also that frame 7's second appearance pushed unit 0 above 1: the Long Term
# Memory is **not bounded**. Each step can add up to ±1 per unit, so with forget factors
# near 1 it can grow over many steps:

# %%
ltm = T(np.zeros((1, 1)))
for _step in range(10):
    ltm = gates.remember_gate(ltm * 0.999, T([[0.76]]))
print(f"after 10 steps of adding 0.76 and keeping 99.9%: LTM = {ltm.item():.3f}")

# %% [markdown]
# That is why the use gate (lesson 5) passes the memory through `tanh` before
# releasing it as the Short Term Memory.
#
# ## Why a plain sum matters: gradients
#
# Because the new memory is the old one scaled by `f_t` plus something else, the
# derivative of `LTM_t` with respect to `LTM_{t-1}` along this path is `f_t`, with no
# weight matrix and no squashing derivative in it. Chain 50 steps with forget
# factors near 1 and the gradient from the last memory back to the first survives.
# For contrast, chain 50 steps of a plain recurrent update `h_t = tanh(w · h_{t-1} + x_t)`
# with a typical weight `w = 0.9`:

# %%
rng = np.random.default_rng(0)
inputs = rng.normal(size=50)

ltm0 = T([[0.5]]).requires_grad_()
ltm = ltm0
for x in inputs:
    f = T([[4.0]]).sigmoid()                          # forget factor ≈ 0.982
    ltm = gates.remember_gate(ltm * f, T([[0.1 * x]]).tanh())
ltm.sum().backward()

h0 = T([[0.5]]).requires_grad_()
h = h0
for x in inputs:
    h = (h * 0.9 + x).tanh()
h.sum().backward()

print(f"d LTM_50 / d LTM_0 (remember gate, f ≈ 0.982): {ltm0.grad.item():.4f}  (= 0.982^50 = {0.98201379 ** 50:.4f})")
print(f"d h_50 / d h_0     (tanh RNN, w = 0.9):        {h0.grad.item():.2e}")

# %% [markdown]
# Along the memory, the gradient is exactly the product of the forget factors, here
# 0.40 after 50 steps. Through the plain recurrence, each step multiplies it by
# `0.9 · tanh'(·) ≤ 0.9`, and the product is vanishingly small. This is the
# "constant error carousel" of Hochreiter & Schmidhuber (1997): an additive memory
# path along which error signals can travel far back in time. (The original LSTM had
# no forget gate at all, so the factor was exactly 1; the forget gate, added by Gers et
# al. in 2000, lets the network choose when to cut the carousel.) Lesson 7 measures
# the effect on a real task.
#
# ## Explore it
#
# The remember gate explorer shows the learn and forget gates feeding the sum. Try
# to reach a large `LTM_t` from a small `LTM_{t-1}` (open the learn gate), and a
# `LTM_t` of the opposite sign from `LTM_{t-1}` (forget, then learn something negative).

# %% tags=["nbval-ignore-output"]
from lstmkit.widgets import remember_gate_explorer

explorer = remember_gate_explorer()
explorer

# %%
explorer.set(ltm_prev=2.0, event=1.0, stm_prev=0.0,
             W_f_event=0.0, b_f=-3.0,                          # forget almost everything
             W_n_event=-2.0, b_n=0.0, W_i_event=1.0, b_i=3.0)  # learn something negative
values = explorer.values
print({k: round(v, 4) for k, v in values.items()})
print("LTM_t = forget output + learn output:",
      np.isclose(values["ltm_t"], values["forget_output"] + values["learn_output"]))

# %% [markdown]
# ## Your turn
#
# Open [**exercises/04_remember_gate.ipynb**](../exercises/04_remember_gate.ipynb) and write
# `remember_gate(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f)`: one full
# update of the Long Term Memory, computing the learn and forget gates' outputs (reuse
# your functions from the last two exercises) and returning their sum `LTM_t`. The
# sum itself is one line; the check makes sure everything feeding it is right too.
#
# Next: [**05_use_gate.ipynb**](05_use_gate.ipynb), the gate that produces what the cell says, and the
# one place where the article's cell and the standard LSTM differ.
