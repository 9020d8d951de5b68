# %% [markdown]
# # Lesson 3 · The forget gate: what to keep of the Long Term Memory
#
# *Time to run all cells: under 20 s on a CPU (measured on a busy 2-core machine, short
# or full runs alike). This lesson computes with tiny arrays on the CPU (a GPU time
# was not measured).*
#
# The **Long Term Memory** `LTM_{t-1}` is what the cell has carried so far: in the
# film, "Batman has appeared, and so has Wonder Woman", but also, from a scene ago,
# "the car was red". When the scene changes, the car's colour is no longer worth the
# space; the cast list is. The forget gate is the article's **forgetting mechanism**:
# for each unit of the Long Term Memory, it decides which fraction survives this step.
#
# It reads the same joined vector as the learn gate, `[STM_{t-1}, E_t]`, because what
# to forget depends on what is happening now (a new scene) and on what the cell
# currently thinks. It does not read the Long Term Memory itself to decide; it only
# scales it.

# %%
import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk
from lstmkit import gates

np.set_printoptions(precision=4, suppress=True)
def T(a):
    return lk.tensor(a, dtype="float64")



# %% [markdown]
# ## The equations
#
# $$f_t = \sigma\big(W_f\,[STM_{t-1}, E_t] + b_f\big)$$
# $$\text{forget gate output} = LTM_{t-1} \odot f_t$$
#
# `W_f` is `(H, H + D)` and `b_f` is `(H,)`, exactly like the learn gate's weights.
# The **forget factor** `f_t` is a fraction per unit: 1 keeps that unit of the memory
# untouched, 0 erases it. (The name is a little backwards: a large "forget factor"
# means *remembering*. Papers call it the forget gate all the same.)

# %% [markdown]
# ## A walk-through with numbers
#
# Same two-unit cell and same frame as in lesson 2, now with a Long Term Memory to
# edit. Unit 0 holds a large positive value, unit 1 a negative one. The hand-picked
# `W_f` makes the Event push unit 0's forget factor up (keep) and unit 1's down
# (forget):

# %%
stm_prev = np.array([[0.5, -0.2]])
event = np.array([[1.0, 0.0]])
ltm_prev = np.array([[2.0, -1.5]])           # (batch=1, H=2)

W_f = np.array([[0.3, 0.0, 2.0, 0.0],        # (H, H + D): columns STM_0, STM_1, E_0, E_1
                [0.0, 0.3, -2.5, 0.5]])
b_f = np.array([0.5, 0.5])

joined = np.concatenate([stm_prev, event], axis=1)
f_pre = joined @ W_f.T + b_f
f_t = 1 / (1 + np.exp(-f_pre))
print("W_f [STM, E] + b_f:", f_pre)
print("f_t:               ", f_t)
print("LTM_{t-1} ⊙ f_t:   ", ltm_prev * f_t)

forget = gates.forget_gate(T(stm_prev), T(event), T(ltm_prev), T(W_f), T(b_f))
print("lstmkit.gates.forget_gate agrees:", np.allclose(forget.output.numpy(), ltm_prev * f_t))

# %% [markdown]
# Unit 0 keeps about 93% of its value (2.0 becomes 1.87); unit 1 keeps about 11%
# (−1.5 becomes −0.17). Nothing was *added*: the forget gate can only shrink the memory
# towards 0, never grow it or flip its sign. Adding is the learn gate's job, and
# lesson 4 puts the two together.
#
# ## Forgetting compounds
#
# Over many steps the factors multiply. If a unit's forget factor stayed at `f` and
# nothing new were learned, after `k` steps that unit would hold `f^k` of its value.
# The gap between 0.9 and 0.99 looks small, but the memory's **half-life** (the steps
# until half is gone), `ln 0.5 / ln f`, is 6.6 steps against 69:

# %%
steps = np.arange(101)
plt.figure(figsize=(7, 3.2))
for f in (0.5, 0.9, 0.99, 0.999):
    plt.plot(steps, f ** steps, label=f"f = {f}")
    print(f"f = {f:<5}: after 100 steps {f ** 100:.3g} of the memory is left; "
          f"half-life {np.log(0.5) / np.log(f):.1f} steps")
plt.xlabel("steps since the memory was written")
plt.ylabel("fraction left")
plt.grid(alpha=0.3)
plt.legend()
plt.show()

# %% [markdown]
# ## The forget bias
#
# At the start of training the weights are small random numbers, so `f_t ≈ σ(b_f)`.
# With `b_f = 0` that is 0.5: every unit loses half its memory at every step, a
# half-life of one step, and the network cannot even *notice* that remembering would
# pay off, because what it would remember is gone before any loss can reward it. The
# common remedy (recommended by Jozefowicz et al., 2015, after comparing thousands of
# recurrent architectures) is to start the forget bias at 1 or more, so that a fresh
# cell remembers by default and learns *when* to forget:

# %%
for b in (0.0, 1.0, 2.0, 3.0):
    f = 1 / (1 + np.exp(-b))
    print(f"b_f = {b:.0f}: f_t ≈ {f:.3f}, half-life ≈ {np.log(0.5) / np.log(f):5.1f} steps")

# %% [markdown]
# `lstmkit`'s ready-made models start the forget bias at 1 (`forget_bias=1.0`), and
# `nn.LSTMCell` takes the same setting (`forget_bias=`). Lesson 7 shows what it
# does for learning over long time lags.
#
# ## The forget factor is also the gradient's path
#
# The forget gate's output is `LTM_{t-1} ⊙ f_t`, so the derivative of that output with
# respect to the old memory is just `f_t`, unit by unit. Backward confirms it:

# %%
ltm = T(ltm_prev).requires_grad_()
forget = gates.forget_gate(T(stm_prev), T(event), ltm, T(W_f), T(b_f))
forget.output.sum().backward()
print("d output / d LTM_{t-1}:", ltm.grad)
print("f_t:                   ", forget.f_t.numpy())

# %% [markdown]
# This is the property the LSTM was designed around. Along the Long Term Memory, the
# gradient from step `t` back to step `t − k` is multiplied by the forget factors on
# the way (plus smaller contributions through the gates), not by a weight matrix and a
# squashing derivative at every step as in a plain RNN. When the forget factors are
# near 1, the gradient survives many steps. Lesson 7 measures this.
#
# ## Explore it
#
# Sliders for the Event, both memories and the forget gate's weights (one unit).
# Try a large `b_f` (the memory passes untouched), a very negative one (it is wiped),
# and an Event weight that lets one kind of Event wipe the memory while the other
# keeps it: a learned "scene change" detector.

# %% tags=["nbval-ignore-output"]
from lstmkit.widgets import forget_gate_explorer

explorer = forget_gate_explorer()
explorer

# %%
explorer.set(ltm_prev=2.0, stm_prev=0.0, W_f_stm=0.0, W_f_event=-3.0, b_f=2.0, event=0.0)
print("quiet frame: ", {k: round(v, 4) for k, v in explorer.values.items()})
explorer.set(event=2.0)
print("scene change:", {k: round(v, 4) for k, v in explorer.values.items()})

# %% [markdown]
# ## Your turn
#
# Open [**exercises/03_forget_gate.ipynb**](../exercises/03_forget_gate.ipynb) and write
# `forget_gate(stm_prev, event, ltm_prev, W_f, b_f)`, returning the gate's output
# `LTM_{t-1} ⊙ f_t`. The check compares values and gradients, including the gradient
# that flows into `ltm_prev` (which, as shown above, should be `f_t`).
#
# Next: [**04_remember_gate.ipynb**](04_remember_gate.ipynb), where the forget and learn gates meet.
