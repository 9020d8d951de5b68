# %% [markdown]
# # Lesson 2 · The learn gate: what to take from this Event
#
# *Time to run all cells: under 20 s on a CPU (measured on a busy 2-core machine, short
# or full runs alike). This lesson computes with tiny arrays on the CPU (a GPU time
# was not measured).*
#
# Back at the film. A new frame arrives (the **Event** `E_t`) and the cell already
# holds a working opinion from the previous frames (the **Short Term Memory**
# `STM_{t-1}`). The learn gate answers: *given what I currently think, what is new and
# worth learning in this frame?* It does that in two parts, computed side by side
# from the same input:
#
# * the **learn matrix** `N_t` proposes new information, a value between −1 and 1
#   for each memory unit;
# * the **ignore factor** `i_t` decides, for each unit, which fraction of the
#   proposal to let through, between 0 (ignore it) and 1 (keep all of it).
#
# The gate's output is their elementwise product `N_t ⊙ i_t`. In the next two lessons
# this output is added to the Long Term Memory; the learn gate is half of the
# article's **saving mechanism** (the other half, deciding what to keep of the old
# memory, is lesson 3).

# %%
import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk
from lstmkit import gates

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The equations
#
# Both parts read the same vector: the previous Short Term Memory and the Event
# **joined** into one, `[STM_{t-1}, E_t]` (STM first, then the Event). With `H`
# memory units and `D` event features, that vector has `H + D` entries, and each part
# has its own weight matrix of shape `(H, H + D)` and its own bias of shape `(H,)`:
#
# $$N_t = \tanh\big(W_n\,[STM_{t-1}, E_t] + b_n\big)$$
# $$i_t = \sigma\big(W_i\,[STM_{t-1}, E_t] + b_i\big)$$
# $$\text{learn gate output} = N_t \odot i_t$$
#
# `⊙` is the elementwise product: unit `k` of the output is `N_t[k] · i_t[k]`. The
# choice of squashing functions is the point of the design. `tanh` lets the proposal
# be positive or negative (add evidence for something or against it); `σ` makes the
# ignore factor a fraction. Because `|N_t| < 1` and `0 < i_t < 1`, every unit of the
# output lies strictly between −1 and 1: one step can only move the memory a bounded
# amount.

# %% [markdown]
# ## A walk-through with numbers
#
# Two memory units and two event features, small enough to follow by hand. Think of
# the event features as "Ben Affleck is on screen" and "Gal Gadot is on screen", and
# of the two memory units as the cell's own (learned, unnamed) summaries. The weights
# here are picked by hand for readability; a trained network learns its own.

# %%
stm_prev = np.array([[0.5, -0.2]])          # (batch=1, H=2): the working opinion so far
event = np.array([[1.0, 0.0]])              # (batch=1, D=2): Ben Affleck on screen

W_n = np.array([[0.8, 0.0, 1.2, -0.4],      # (H, H + D): columns STM_0, STM_1, E_0, E_1
                [0.0, 0.5, -0.3, 1.5]])
b_n = np.array([0.0, 0.1])
W_i = np.array([[0.2, 0.1, 2.0, 0.5],
                [-0.3, 0.4, -1.0, 2.0]])
b_i = np.array([-0.5, 0.0])

joined = np.concatenate([stm_prev, event], axis=1)    # [STM_{t-1}, E_t], shape (1, 4)
n_pre = joined @ W_n.T + b_n
i_pre = joined @ W_i.T + b_i
N_t = np.tanh(n_pre)
i_t = 1 / (1 + np.exp(-i_pre))
print("[STM, E]        ", joined)
print("W_n [STM, E] + b", n_pre, " -> N_t =", N_t)
print("W_i [STM, E] + b", i_pre, " -> i_t =", i_t)
print("N_t ⊙ i_t       ", N_t * i_t)

# %% [markdown]
# Read it unit by unit. Unit 0 gets a strong positive proposal (`N_t ≈ 0.92`) and an
# ignore factor of about 0.83, so most of it is kept (0.76). Unit 1 gets a negative
# proposal (`≈ −0.29`), but its ignore factor is about 0.23, so only −0.07 of it gets
# through: most of that proposal is ignored.
#
# `lstmkit.gates.learn_gate` computes the same thing on tensors (and records the graph,
# so gradients can flow through it). It returns a named tuple with the output and
# both parts:

# %%
def T(a):
    return lk.tensor(a, dtype="float64")


learn = gates.learn_gate(T(stm_prev), T(event), T(W_n), T(b_n), T(W_i), T(b_i))
print("output:", learn.output.numpy(), "| N_t:", learn.N_t.numpy(), "| i_t:", learn.i_t.numpy())
print("matches the hand computation:", np.allclose(learn.output.numpy(), N_t * i_t))

# %% [markdown]
# ## Shapes, with a batch
#
# In practice many sequences are processed at once, one per row: `stm_prev` is
# `(batch, H)`, `event` is `(batch, D)`, and the output is `(batch, H)`. The weights
# do not change with the batch size. Joining puts `STM` first, so the first `H`
# columns of `W_n` and `W_i` read the memory and the last `D` read the Event;
# joining `[E, STM]` instead is a classic slip that gives wrong numbers with the
# right shapes. A shape mistake, on the other hand, gets a message that says what
# was expected:

# %%
rng = np.random.default_rng(0)
batch, H, D = 5, 2, 2
out = gates.learn_gate(T(rng.normal(size=(batch, H))), T(rng.normal(size=(batch, D))),
                       T(W_n), T(b_n), T(W_i), T(b_i))
print("output shape:", out.output.shape)

try:
    gates.learn_gate(T(stm_prev), T(event), T(W_n.T), T(b_n), T(W_i), T(b_i))
except lk.ShapeError as error:
    print("ShapeError:", error)

# %% [markdown]
# ## How the two parts combine
#
# For one unit with the STM held fixed, sweep the Event from −3 to 3 and watch the
# parts. The proposal `N_t` follows the Event's sign; the ignore factor opens (goes
# to 1) for one direction of the Event and closes for the other. Their product is large
# only where **both** agree: the gate learns a strong signal only when the proposal is
# strong *and* the ignore factor lets it in.

# %%
events = np.linspace(-3, 3, 121).reshape(-1, 1)
stm = np.full_like(events, 0.5)
one_unit = dict(W_n=T([[0.5, 1.0]]), b_n=T([0.0]), W_i=T([[-0.5, 1.5]]), b_i=T([0.0]))
sweep = gates.learn_gate(T(stm), T(events), **one_unit)

plt.figure(figsize=(7, 3.2))
plt.plot(events, sweep.N_t.numpy(), label="N_t (tanh): the proposal")
plt.plot(events, sweep.i_t.numpy(), label="i_t (σ): the fraction let in")
plt.plot(events, sweep.output.numpy(), linewidth=2.5, label="N_t ⊙ i_t: what is learned")
plt.axhline(0, color="gray", linewidth=0.5)
plt.xlabel("Event E_t (STM_{t-1} = 0.5)")
plt.grid(alpha=0.3)
plt.legend()
plt.show()
print(f"output range over the sweep: {sweep.output.numpy().min():.3f} to {sweep.output.numpy().max():.3f}")

# %% [markdown]
# ## What is ignored also stops learning
#
# The ignore factor gates gradients too. By the product rule,
# `d(N_t ⊙ i_t) / d N_t = i_t`: when the ignore factor is near 0, almost no gradient
# reaches `W_n`, so the proposal's weights barely learn from this example. Push `b_i`
# far down and up and compare the gradient that reaches `W_n`:

# %%
for b in (-6.0, 0.0, 6.0):
    W = T(W_n).requires_grad_()
    result = gates.learn_gate(T(stm_prev), T(event), W, T(b_n), T(W_i), T(np.full(2, b)))
    result.output.sum().backward()
    print(f"b_i = {b:+.0f}: mean i_t = {result.i_t.numpy().mean():.4f}, "
          f"|d output / d W_n| = {np.abs(W.grad).sum():.4f}")

# %% [markdown]
# ## Explore it
#
# Move the sliders: the Event, the previous STM and the learn gate's weights for a
# cell with a single unit. The numbers on the right are exactly what
# `lstmkit.gates.learn_gate` returns, and the drawing shows each wire thicker the
# larger its value (blue positive, red negative). Things to try:
#
# * set `b_i` to −3: whatever the Event, almost nothing is learned;
# * set the Event to 0 and both Event weights to anything: only the STM and the biases
#   matter now;
# * find settings where `N_t` is large but the output is near 0.

# %% tags=["nbval-ignore-output"]
from lstmkit.widgets import learn_gate_explorer

explorer = learn_gate_explorer()
explorer

# %% [markdown]
# The explorer can be driven from code too, which is handy for checking an idea
# precisely. Its `values` are the numbers it shows:

# %%
explorer.set(event=2.0, stm_prev=0.0, W_n_event=1.0, b_n=0.0, W_i_event=1.0, b_i=-3.0)
print({name: round(value, 4) for name, value in explorer.values.items()})
explorer.set(b_i=3.0)
print({name: round(value, 4) for name, value in explorer.values.items()})

# %% [markdown]
# ## Your turn
#
# Open [**exercises/02_learn_gate.ipynb**](../exercises/02_learn_gate.ipynb) and write `learn_gate(stm_prev, event, W_n,
# b_n, W_i, b_i)` from tensor operations (`lk.concat`, `@`, `.T`, `.tanh()`,
# `.sigmoid()`, `*`), returning the gate's output `N_t ⊙ i_t`. The `check` cell
# compares your values and the gradients with respect to every input with the
# reference, on batches of different sizes, and names the likely slip when they
# differ (`[E, STM]` joined the wrong way round, a sigmoid where the tanh belongs, a
# missing bias). The library's `lstmkit.gates` is off limits inside your answer: the
# point is to build it.
#
# Next: [**03_forget_gate.ipynb**](03_forget_gate.ipynb), the other half of the memory update.
