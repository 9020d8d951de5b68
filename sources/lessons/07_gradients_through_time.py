# %% [markdown]
# # Lesson 7 · Gradients through time: vanishing, exploding, clipping
#
# *Time to run all cells, short or full runs alike: about 5 s on a quiet 2-core CPU,
# under 20 s on a busy one. This lesson computes with tiny arrays on the CPU (a GPU
# time was not measured).*
#
# To learn that the cast in the first frames names the film, a network must adjust
# the weights that *read those first frames* based on an error measured at the *last*
# frame. The only messenger is the gradient, and it has to travel backwards through
# every step in between. This lesson measures how much of it arrives.
#
# Two failure modes are possible, and the article mentions both, loosely. Precisely:
#
# * **vanishing gradients**: the gradient reaching step `t` shrinks roughly
#   geometrically with the lag `T − t`, so errors at the end of a sequence barely
#   influence how early steps are read. The network then cannot learn long-range
#   dependencies; its weights are not "too small", they are simply never told what the
#   distant past should have done.
# * **exploding gradients**: the gradient *grows* geometrically with the lag, so a
#   single update can be enormous and throw the weights into a region where the
#   network is useless (saturated units, or `inf` and `nan`). This is an instability of
#   optimisation, not overfitting.
#
# The LSTM's additive memory path makes vanishing much *slower* (it does not abolish
# it: every step still multiplies by a forget factor). Exploding gradients can happen
# to LSTMs too, and the standard remedy is **gradient clipping**, which you will write
# in the exercise.

# %%
import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk
import lstmkit.functional as F
from lstmkit import data, models, optim, rng

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Measuring what arrives
#
# Take the film task from lesson 6 with clips of 100 frames (the cue in the first 3), a
# classifier on top of a recurrent layer, and a batch of clips. Make the **input**
# require gradients: after `loss.backward()`, `x.grad[:, t]` says how strongly the loss
# reacts to frame `t`, that is, how much learning signal reaches the part of the network
# that reads frame `t`. Plot its size against the lag `T − 1 − t`, for:
#
# * a plain tanh RNN, `h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)`;
# * an LSTM with the forget bias at 1 (`lstmkit`'s default for its models);
# * an LSTM with the forget bias at 3, so that `f_t ≈ σ(3) ≈ 0.95` from the start.
#
# All are freshly initialised: this is what gradient descent sees on its very first step.

# %%
task = data.MovieTask(seq_len=100)
clips, labels = task.sample(64, rng=0)


def gradient_by_lag(cell, forget_bias=1.0, recurrent_scale=1.0, seed=0):
    """Mean norm of d loss / d x_t over the batch, indexed by the lag T-1-t."""
    rng.manual_seed(seed)
    model = models.SequenceClassifier(task.input_size, 32, task.n_classes, cell=cell, forget_bias=forget_bias)
    model.rnn.weight_hh_l0.data[...] *= recurrent_scale
    x = lk.tensor(clips, requires_grad=True)
    F.cross_entropy(model(x), labels).backward()
    per_step = np.sqrt((x.grad.astype("float64") ** 2).sum(axis=2)).mean(axis=0)   # (T,)
    return per_step[::-1]                                                            # by lag


profiles = {
    "RNN (tanh)": gradient_by_lag("rnn"),
    "LSTM, forget bias 1": gradient_by_lag("lstm", forget_bias=1.0),
    "LSTM, forget bias 3": gradient_by_lag("lstm", forget_bias=3.0),
}
plt.figure(figsize=(7, 3.6))
for name, profile in profiles.items():
    plt.semilogy(np.maximum(profile / profile[0], 1e-30), label=name)
plt.axvspan(task.seq_len - task.cue_frames, task.seq_len - 1, color="gold", alpha=0.3, label="the cue frames")
plt.xlabel("lag T − 1 − t (steps between frame t and the answer)")
plt.ylabel("|d loss / d x_t|, relative to the last frame")
plt.ylim(1e-30, 10)
plt.grid(alpha=0.3)
plt.legend(fontsize=8)
plt.show()

# %% tags=["nbval-ignore-output"]
for name, profile in profiles.items():
    relative = profile / profile[0]
    print(f"{name:22s} lag 10: {relative[10]:.1e}   lag 50: {relative[50]:.1e}   cue (lag 97): {relative[97]:.1e}")

# %%
rnn, lstm1, lstm3 = (profiles[k] / profiles[k][0] for k in profiles)
assert rnn[50] < 1e-6 < lstm1[50] and lstm1[97] < lstm3[97]
assert lstm3[97] > 0.1
print("at lag 50 the RNN's gradient is below a millionth of the last frame's; the LSTMs' are not")

# %% [markdown]
# Read the plot on its log scale: a straight line going down is **geometric decay**.
#
# * The RNN's gradient falls by roughly three orders of magnitude every 10 steps: by
#   the cue frames it is around 10⁻²⁵ of the last frame's, far below float32 precision.
#   Whatever the cue says, the RNN's weights receive essentially no instruction to
#   remember it. Each backward step multiplies by `W_hhᵀ · diag(tanh'(·))`, and with
#   small weights and derivatives `≤ 1` that product shrinks fast.
# * The LSTM with forget bias 1 also decays, since its forget factors start near
#   `σ(1) ≈ 0.73` (lessons 3 and 4: along the memory, the gradient is multiplied by `f_t`
#   per step), but far more slowly.
# * With forget bias 3 the factors start near 0.95, and most of the gradient reaches
#   the cue, nearly 100 steps back. Training then pushes the forget factors of the
#   units that hold the cue even closer to 1.
#
# This is the honest version of "LSTMs solve the vanishing gradient problem": they
# give the gradient a path whose decay *the network controls* through `f_t`, instead of
# one fixed by the weights and the squashing function.
#
# ## Exploding gradients
#
# The same measurement with larger recurrent weights: multiply `W_hh` by 2, 4 and 8.
# Each backward step now multiplies by a matrix that can *stretch* vectors, and when it
# does so consistently the gradient grows geometrically with the lag:

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
grown = {}
for ax, cell in zip(axes, ("rnn", "lstm"), strict=True):
    for scale in (1, 2, 4, 8):
        profile = gradient_by_lag(cell, recurrent_scale=scale)
        grown[cell, scale] = profile[97] / profile[0]
        ax.semilogy(np.maximum(profile / profile[0], 1e-30), label=f"W_hh × {scale}")
    ax.set_title("RNN (tanh)" if cell == "rnn" else "LSTM, forget bias 1")
    ax.set_xlabel("lag T − 1 − t")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
axes[0].set_ylabel("relative |d loss / d x_t|")
plt.show()

# %%
assert grown["rnn", 8] > 1e6 and grown["lstm", 8] > 1e2
print("with W_hh × 8, the gradient at the cue is over a million times the last frame's (RNN):",
      grown["rnn", 8] > 1e6)

# %% [markdown]
# Large recurrent weights make the gradient *explode* for both cells (less wildly for
# the LSTM). Such weights arise during training, not only from a bad start: the loss
# surface of a recurrent network has steep "cliffs" where this happens (Pascanu et al.,
# 2013). What does one step of plain gradient descent do at such a point? Take an RNN
# with `W_hh × 4` on the adding problem and compare one SGD step (learning rate 0.1)
# as computed with one taken after **clipping** the gradient to norm 1:

# %%
adding = data.AddingTask(seq_len=50)
x_add, y_add = adding.sample(64, rng=0)


def one_sgd_step(max_norm):
    rng.manual_seed(0)
    model = models.SequenceRegressor(2, 32, 1, cell="rnn")
    model.rnn.weight_hh_l0.data[...] *= 4
    params = list(model.parameters())
    F.mse_loss(model(lk.tensor(x_add)), y_add).backward()
    norm_before = optim.clip_grad_norm_(params, max_norm).item()  # the norm before clipping
    optim.SGD(params, lr=0.1).step()
    with lk.no_grad():
        hidden = model.rnn(lk.tensor(x_add))[0].numpy()
    return {
        "gradient norm": norm_before,
        "largest |weight| after the step": max(float(np.abs(p.data).max()) for p in params),
        "saturated hidden units (|h| > 0.999)": float((np.abs(hidden) > 0.999).mean()),
    }


unclipped, clipped = one_sgd_step(float("inf")), one_sgd_step(1.0)

# %% tags=["nbval-ignore-output"]
for key in unclipped:
    print(f"{key:38s} unclipped {unclipped[key]:10.3g}   clipped to norm 1 {clipped[key]:10.3g}")

# %%
assert unclipped["gradient norm"] > 100
assert unclipped["largest |weight| after the step"] > 10 * clipped["largest |weight| after the step"]
assert unclipped["saturated hidden units (|h| > 0.999)"] > 0.5 > clipped["saturated hidden units (|h| > 0.999)"]
print("one unclipped step saturated most hidden units; the clipped step did not")

# %% [markdown]
# The unclipped step multiplied a gradient with a norm in the thousands by the learning
# rate and moved some weights by tens of units. Afterwards most hidden units sit at
# ±1, where `tanh' ≈ 0`: the network has jumped off the cliff into a flat, saturated
# region, and whatever the loss says next, little gradient gets through.
#
# ## Clipping by the global norm
#
# Gradient clipping (Pascanu et al., 2013) keeps the *direction* of the gradient and
# caps its *length*. Treat all parameter gradients together as one long vector `g`;
# its global norm is `‖g‖ = sqrt(Σ over all gradients of Σ g²)`. If `‖g‖` exceeds a
# threshold `max_norm`, scale **every** gradient by the same factor `max_norm / ‖g‖`:
#
# $$g \leftarrow g \cdot \min\Big(1, \frac{\text{max\_norm}}{\lVert g\rVert}\Big)$$
#
# Using one factor for all gradients matters: clipping each parameter's gradient by its
# own norm would change the direction of the step. `lstmkit.optim.clip_grad_norm_`
# (also `lstmkit.nn.clip_grad_norm_`, like PyTorch's `torch.nn.utils.clip_grad_norm_`)
# works in place and returns the norm *before* clipping (a 0-d tensor, as in PyTorch;
# `.item()` gives the number), which is worth logging:

# %%
rng.manual_seed(0)
model = models.SequenceRegressor(2, 32, 1, cell="rnn")
model.rnn.weight_hh_l0.data[...] *= 4
params = list(model.parameters())
F.mse_loss(model(lk.tensor(x_add)), y_add).backward()
before = np.concatenate([p.grad.ravel() for p in params]).astype("float64")
total = optim.clip_grad_norm_(params, max_norm=1.0).item()
after = np.concatenate([p.grad.ravel() for p in params]).astype("float64")
cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
print(f"returned norm equals the norm before clipping: {np.isclose(total, np.linalg.norm(before))}")
print(f"norm after clipping: {np.linalg.norm(after):.4f}")
print(f"direction unchanged (cosine between before and after): {cosine:.4f}")

# %% [markdown]
# Clipping does nothing to ordinary steps (their norm is below the threshold) and
# turns the rare exploding step into a normal-sized step in the same direction. The
# trainer in `lstmkit.train` clips at norm 1 by default (`clip_norm=1.0`) and records
# each step's norm before clipping in its history as `grad_norm`, so you can see
# when it acted. Clipping treats the symptom of exploding gradients; it does nothing
# for vanishing ones, which is the job of the LSTM's memory.
#
# ## Your turn
#
# Open [**exercises/07_clip_grad_norm.ipynb**](../exercises/07_clip_grad_norm.ipynb) and write
# `clip_grad_norm(grads, max_norm)` on plain arrays: given a list of gradient arrays,
# return the list of clipped arrays and the total norm before clipping. The check
# includes gradients below the threshold (which must come back unchanged), a single
# array, and gradients that are all zero (mind the division).
#
# Next: [**08_train_on_gpu.ipynb**](08_train_on_gpu.ipynb): real training runs, on a GPU when you have one.
