# %% [markdown]
# # Lesson 6 · The full cell, unrolled over a sequence
#
# *Time to run all cells, measured on a 2-core CPU: 16 s to 25 s in full, of which the
# training cell on the readable path takes 9 s to 15 s (two runs of 400 steps, with a
# progress bar), and 12 s to 16 s with `LSTMKIT_QUICK=1`, on a quiet machine; a busy
# one can take twice as long. It computes on the CPU (a GPU time was not measured).*
#
# You have met all four gates. Put together, one **step** of an LSTM reads the Event
# `E_t` and the two memories from the previous step, and writes the two new memories:
#
# $$(E_t,\ STM_{t-1},\ LTM_{t-1}) \;\longmapsto\; (STM_t,\ LTM_t)$$
#
# | order | gate | computes |
# |---|---|---|
# | 1 | learn | `N_t = tanh(W_n [STM_{t-1}, E_t] + b_n)`, `i_t = σ(W_i [STM_{t-1}, E_t] + b_i)` |
# | 1 | forget | `f_t = σ(W_f [STM_{t-1}, E_t] + b_f)` |
# | 2 | remember | `LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t` |
# | 3 | use (standard) | `V_t = σ(W_v [STM_{t-1}, E_t] + b_v)`, `STM_t = V_t ⊙ tanh(LTM_t)` |
# | 3 | use (article) | the same `V_t`, `STM_t = V_t ⊙ tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u)` |
#
# The learn and forget gates (and the use factor `V_t`) only read the inputs, so they
# could run in parallel; the remember gate needs both; the standard use gate needs the
# remember gate's result. To read a sequence `E_1, …, E_T`, the cell is applied once
# per step, each step's memories feeding the next: this is called **unrolling**.
# From here on the course uses the standard use gate unless it says otherwise (it is
# what PyTorch computes, and lesson 5 showed what the article's variant changes).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk
import lstmkit.functional as F
from lstmkit import data, gates, nn, optim, rng

np.set_printoptions(precision=4, suppress=True)
QUICK = os.environ.get("LSTMKIT_QUICK") == "1"   # shorter training when set (the tests set it)

# %% [markdown]
# ## One step, then many
#
# `gates.lstm_step(event, stm_prev, ltm_prev, weights, variant)` is one step, built
# from the four gate functions of lessons 2–5 and returning every intermediate by
# name. Unrolling it is a loop. The **same weights** are used at every step: the
# network learns one rule for reading a frame, not one rule per frame, which is why it
# can read sequences of any length.

# %%
H, D, T_steps = 3, 2, 6
gen = np.random.default_rng(0)
weights = {f"W_{g}": lk.tensor(gen.normal(0, 0.5, (H, H + D))) for g in "nifv"}
weights.update({f"b_{g}": lk.tensor(np.zeros(H)) for g in "nifv"})
events = lk.tensor(gen.normal(size=(T_steps, 1, D)))          # (T, batch=1, D)

stm, ltm = lk.zeros(1, H, dtype="float64"), lk.zeros(1, H, dtype="float64")
for t in range(T_steps):
    step = gates.lstm_step(events[t], stm, ltm, weights, variant="standard")
    stm, ltm = step.stm, step.ltm
    print(f"t={t}  E_t={events[t].numpy()[0]}  f_t={step.f_t.numpy()[0]}  "
          f"LTM_t={ltm.numpy()[0]}  STM_t={stm.numpy()[0]}")

# %% [markdown]
# ## The unrolled graph
#
# Each step adds the same handful of operations to the graph, so the graph of a
# sequence of `T` steps is `T` copies of the cell's graph, chained through `STM` and
# `LTM`. Backward then runs **through time**, from the last step to the first: this is
# *backpropagation through time*, and the next lesson studies what happens to
# gradients on that long path. Here is the graph of two steps:

# %% tags=["nbval-ignore-output"]
from lstmkit.jupyter import draw_graph


def unrolled_loss(n_steps):
    stm, ltm = lk.zeros(1, H, dtype="float64"), lk.zeros(1, H, dtype="float64")
    for t in range(n_steps):
        step = gates.lstm_step(events[t], stm, ltm, weights_grad, variant="standard")
        stm, ltm = step.stm, step.ltm
    return stm.sum()


weights_grad = {name: lk.tensor(value.numpy(), requires_grad=True) for name, value in weights.items()}
draw_graph(unrolled_loss(2), weights_grad)

# %%
sizes = {n: draw_graph(unrolled_loss(n)).nodes for n in (1, 2, 3, 4)}
growth = [sizes[n + 1] - sizes[n] for n in (1, 2, 3)]
assert growth[0] == growth[1] == growth[2] > 0
print("every extra step adds the same number of nodes to the graph:", growth[0] == growth[1] == growth[2])

# %% [markdown]
# ## `lstmkit.nn.LSTMCell`: the same cell with PyTorch's names
#
# A real model keeps its weights in a `Module`. `nn.LSTMCell(input_size, hidden_size)`
# holds exactly PyTorch's parameters: the four gates' matrices stacked into two,
#
# | parameter | shape | rows, in order |
# |---|---|---|
# | `weight_ih` | `(4H, D)` | i, f, g, o: the Event's columns of `W_i`, `W_f`, `W_n`, `W_v` |
# | `weight_hh` | `(4H, H)` | i, f, g, o: the STM's columns of the same four |
# | `bias_ih`, `bias_hh` | `(4H,)` each | their sum is `b_i`, `b_f`, `b_n`, `b_v` |
#
# Stacking lets one matrix product compute all four gates at once, which is faster;
# splitting the STM and Event columns avoids the join. The mathematics is the same:
# `W [STM, E] = W_hh-part · STM + W_ih-part · E`. `cell.gate_weights()` translates back
# into the course's dictionary (`W_n` is the `g` rows of `[weight_hh | weight_ih]`), and
# `cell.step()` runs `gates.lstm_step` with it. So the cell is your gates, with
# PyTorch's bookkeeping.

# %%
rng.manual_seed(0)
cell = nn.LSTMCell(input_size=D, hidden_size=H)
print(cell)
for name, p in cell.named_parameters():
    print(f"  {name:10s} {p.shape}")
course = cell.gate_weights()
print({name: value.shape for name, value in course.items()})

# %% [markdown]
# ## Four implementations, one answer
#
# The same weights, the same sequence (now a batch of 4), four ways:
#
# 1. the course's gates, unrolled with `gates.lstm_step` and `cell.gate_weights()`;
# 2. `nn.LSTMCell`, called once per step, `h, c = cell(x_t, (h, c))`;
# 3. `nn.LSTM`, the fast path: the whole sequence as one autograd operation with a
#    hand-written backward through time, interchangeable with `torch.nn.LSTM`;
# 4. an independent reference: the standard equations in plain NumPy (and, when
#    PyTorch is installed, `torch.nn.LSTM` as well).
#
# All must give the same outputs and the same final memories, up to float32 round-off:

# %%
x_np = np.random.default_rng(1).normal(size=(7, 4, D)).astype("float32")   # (T, batch, D)
x = lk.tensor(x_np)

# 1. the course's gates
w = cell.gate_weights()
h1, c1 = lk.zeros(4, H), lk.zeros(4, H)
outputs1 = []
for t in range(len(x_np)):
    step = gates.lstm_step(x[t], h1, c1, w, variant="standard")
    h1, c1 = step.stm, step.ltm
    outputs1.append(h1)
outputs1 = lk.stack(outputs1)

# 2. nn.LSTMCell, step by step
h2, c2 = lk.zeros(4, H), lk.zeros(4, H)
outputs2 = []
for t in range(len(x_np)):
    h2, c2 = cell(x[t], (h2, c2))
    outputs2.append(h2)
outputs2 = lk.stack(outputs2)

# 3. nn.LSTM with the cell's weights (PyTorch's state-dict names)
lstm = nn.LSTM(input_size=D, hidden_size=H)
lstm.load_state_dict({f"{name}_l0": value for name, value in cell.state_dict().items()})
outputs3, (h3, c3) = lstm(x)

print("gates == LSTMCell:", np.allclose(outputs1.numpy(), outputs2.numpy(), atol=1e-6))
print("LSTMCell == LSTM: ", np.allclose(outputs2.numpy(), outputs3.numpy(), atol=1e-6),
      np.allclose(c2.numpy(), c3.numpy()[0], atol=1e-6))


# %%
def numpy_lstm(x, weight_ih, weight_hh, bias_ih, bias_hh):
    """The standard LSTM in plain NumPy: x (T, B, D) -> outputs (T, B, H), final c (B, H)."""
    hidden = weight_hh.shape[1]
    h = np.zeros((x.shape[1], hidden))
    c = np.zeros_like(h)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    outputs = []
    for x_t in x:
        z = x_t @ weight_ih.T + h @ weight_hh.T + bias_ih + bias_hh
        i, f, g, o = np.split(z, 4, axis=1)                      # PyTorch's gate order
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs), c


params = {name: p.numpy().astype("float64") for name, p in cell.named_parameters()}
reference_out, reference_c = numpy_lstm(x_np.astype("float64"), **params)
agree = [np.allclose(outputs3.numpy(), reference_out, atol=1e-5) and
         np.allclose(c3.numpy()[0], reference_c, atol=1e-5)]
compared_with = ["NumPy equations"]
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    torch_lstm = torch.nn.LSTM(D, H)
    torch_lstm.load_state_dict({k: torch.from_numpy(v) for k, v in lstm.state_dict().items()})
    with torch.no_grad():
        torch_out, (torch_h, torch_c) = torch_lstm(torch.from_numpy(x_np))
    agree.append(np.allclose(outputs3.numpy(), torch_out.numpy(), atol=1e-5))
    compared_with.append("torch.nn.LSTM")
print("matches:", all(agree))

# %% [markdown]
# The output above is the same whether or not PyTorch is installed; the next cell
# (whose output is not compared by the course's tests) says which references were used
# on your machine.

# %% tags=["nbval-ignore-output"]
print("compared with:", ", ".join(compared_with))

# %% [markdown]
# Gradients agree too. Backward through the step-by-step cell walks the long unrolled
# graph; backward through `nn.LSTM` runs its hand-written loop over time. Same numbers:

# %%
for module in (cell, lstm):
    module.zero_grad()
h2, c2 = lk.zeros(4, H), lk.zeros(4, H)
for t in range(len(x_np)):
    h2, c2 = cell(x[t], (h2, c2))
(h2 * h2).sum().backward()
out3, (h3, c3) = lstm(x)
(h3 * h3).sum().backward()
print("d loss / d weight_hh agree:", np.allclose(cell.weight_hh.grad, lstm.weight_hh_l0.grad, atol=1e-6))
print("d loss / d weight_ih agree:", np.allclose(cell.weight_ih.grad, lstm.weight_ih_l0.grad, atol=1e-6))

# %% [markdown]
# ## Watching the memory: the film, learned
#
# Time to let a cell *learn* the film problem instead of setting its weights by hand.
# `lstmkit.data.MovieTask` makes clips whose first 3 frames show a noisy "cast"
# (one of 4 films, each with its own pattern of 8 features) and whose remaining frames
# are pure noise of the same size: scenes that say nothing about the film. At the end of
# the clip the model must name the film, so it has to **save** the cue and **carry** it
# across every distracting frame. A linear layer on the last `STM` makes the guess.
#
# We train two cells side by side from the same start, one with each use gate, on
# the same batches. This runs the readable path (every gate on the autograd tape), so
# it is the slow cell of this lesson (the times are at the top); a progress bar shows
# each run. With `LSTMKIT_QUICK=1` it trains for fewer steps.

# %% tags=["nbval-ignore-output"]
from tqdm.auto import tqdm

task = data.MovieTask(seq_len=20, n_classes=4, n_features=8, cue_frames=3)
STEPS = 150 if QUICK else 400
x_val, y_val = task.sample(256, data.split_rng("val", 0), "val")


def run(cell, head, clips):
    """clips (batch, T, features) -> class scores (batch, n_classes) from the last STM."""
    clips = lk.tensor(clips)
    h = c = lk.zeros(clips.shape[0], cell.hidden_size)
    for t in range(clips.shape[1]):
        h, c = cell(clips[:, t], (h, c))
    return head(h)


def train(variant, seed=1):
    rng.manual_seed(seed)
    cell = nn.LSTMCell(task.input_size, 16, variant=variant, forget_bias=1.0)
    head = nn.Linear(16, task.n_classes)
    opt = optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=1e-2)
    for step in tqdm(range(STEPS), desc=f"{variant} use gate"):
        clips, labels = task.sample(32, data.batch_rng(seed, step))
        loss = F.cross_entropy(run(cell, head, clips), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with lk.no_grad():
        scores = run(cell, head, x_val)
    val_loss = F.cross_entropy(scores, y_val).item()
    accuracy = float((scores.numpy().argmax(axis=1) == y_val).mean())
    return cell, head, val_loss, accuracy


results = {variant: train(variant) for variant in ("standard", "article")}

# %% tags=["nbval-ignore-output"]
print(f"chance: loss {task.baseline:.3f}, accuracy {1 / task.n_classes:.2f}")
for variant, (_, _, val_loss, accuracy) in results.items():
    print(f"{variant:8s} use gate after {STEPS} steps: validation loss {val_loss:.3f}, accuracy {accuracy:.2f}")

# %%
standard_loss, article_loss = results["standard"][2], results["article"][2]
assert standard_loss < 0.5 * task.baseline, "the standard cell should learn the film task"
assert standard_loss < article_loss
print("the standard cell learned the task, and faster than the article's cell in this run")

# %% [markdown]
# Both cells can represent the solution, but in this run (and in the other seeds we
# tried) the standard cell got there much sooner. One plausible reason, from lesson 5:
# in the article's cell, what the learn gate saves at step `t` reaches the output only
# through the next step's `W_u`, so the learning signal for saving the cue has a
# longer, weight-filled path to travel. One experiment is not a law: change `seed`,
# `seq_len` or `STEPS` and see how the gap moves.
#
# Now watch the trained standard cell read one validation clip. The
# **SequencePlayer** runs the cell over the clip and shows, over time, the Event, both
# memories and the three factors as heatmaps (one row per memory unit); press Play or
# drag the slider.

# %% tags=["nbval-ignore-output"]
from lstmkit.widgets import SequencePlayer

trained_cell, trained_head = results["standard"][0], results["standard"][1]
player = SequencePlayer(trained_cell, x_val[0])
player

# %% [markdown]
# The Event row flickers with noise once the cue is over, while the Long Term Memory
# changes smoothly, its forget factors mostly high. Whether the *film* is still in
# there is hard to judge by eye, though: a memory unit's value means nothing on its own.
# The numbers behind the player are in `player.history`; here are three of its rows as
# a still picture (one row of pixels per memory unit):

# %%
history = player.history
fig, axes = plt.subplots(3, 1, figsize=(8, 5.2), sharex=True)
rows = (("event", "Event E_t"), ("ltm", "LTM_t"), ("f_t", "forget factor f_t"))
for ax, (key, title) in zip(axes, rows, strict=True):
    values = history[key].T
    limit = np.abs(values).max() if key != "f_t" else 1.0
    image = ax.imshow(values, aspect="auto", cmap="RdBu_r" if key != "f_t" else "viridis",
                      vmin=-limit if key != "f_t" else 0.0, vmax=limit, interpolation="nearest")
    ax.axvline(task.cue_frames - 0.5, color="black", linewidth=1)
    ax.set_ylabel(title)
    fig.colorbar(image, ax=ax, pad=0.01)
axes[-1].set_xlabel("frame t (the cue ends at the black line)")
plt.show()


# %% [markdown]
# ## Is the film still in the memory?
#
# A sharper question than "what do the units look like": *at frame `t`, could someone
# who sees only `LTM_t` tell which film it is?* Run the cell over 256 validation clips,
# take each clip's `LTM_t`, and classify it by the nearest film average (averages from
# half of the clips, accuracy measured on the other half). Do the same with the Event
# `E_t` itself, and with the same cell **before** training (same initial weights):

# %%
def memories(cell, clips):
    """LTM_t of every clip at every frame: (T, batch, hidden)."""
    with lk.no_grad():
        clips = lk.tensor(clips)
        h = c = lk.zeros(clips.shape[0], cell.hidden_size)
        out = []
        for t in range(clips.shape[1]):
            h, c = cell(clips[:, t], (h, c))
            out.append(c.numpy())
    return np.stack(out)


def decodable(features, labels):
    """Accuracy of naming the film from features (batch, n) by the nearest film average."""
    half = len(labels) // 2
    means = np.stack([features[:half][labels[:half] == k].mean(axis=0) for k in range(task.n_classes)])
    distances = ((features[half:, None, :] - means[None]) ** 2).sum(axis=-1)
    return float((distances.argmin(axis=1) == labels[half:]).mean())


rng.manual_seed(1)                                            # the seed train() started from
untrained_cell = nn.LSTMCell(task.input_size, 16, forget_bias=1.0)
curves = {
    "from E_t (the frame itself)": [decodable(x_val[:, t], y_val) for t in range(task.seq_len)],
    "from LTM_t, before training": [decodable(m, y_val) for m in memories(untrained_cell, x_val)],
    "from LTM_t, after training": [decodable(m, y_val) for m in memories(trained_cell, x_val)],
}
plt.figure(figsize=(7, 3.4))
for name, curve in curves.items():
    plt.plot(curve, "o-", markersize=3, label=name)
plt.axhline(1 / task.n_classes, color="gray", linestyle="--", label="chance")
plt.axvspan(-0.5, task.cue_frames - 0.5, color="gold", alpha=0.3, label="cue frames")
plt.xlabel("frame t")
plt.ylabel("film named correctly")
plt.ylim(0, 1.05)
plt.grid(alpha=0.3)
plt.legend(fontsize=8, loc="lower left")
plt.show()

# %%
event_curve, before, after = curves.values()
assert max(event_curve[task.cue_frames:]) < 0.5               # the noise frames say nothing
assert before[-1] < 0.5 < 0.9 < min(after)                    # forgotten before training, kept after
print("after training, the film can be read from the Long Term Memory at every frame:", min(after) > 0.9)

# %% [markdown]
# This is the forgetting and saving mechanisms at work, learned from examples:
#
# * the frame itself names the film only during the cue; afterwards it is noise;
# * the untrained cell *saves* the cue (its memory names the film during and just after
#   the cue), but forgets it within a dozen noisy frames, since its forget factors sit
#   near `σ(1) ≈ 0.73`;
# * the trained cell keeps the film readable in its Long Term Memory through every
#   noise frame, until the end of the clip, where the classifier reads it.

# %% [markdown]
# ## Next to the LSTM: the GRU
#
# Porting PyTorch code, you will meet a second gated cell, the **GRU** (gated recurrent
# unit, Cho et al. 2014). It keeps no separate Long Term Memory: one state `h_t` is
# both what the cell remembers and what it says. A **reset gate** `r_t` decides how much
# of `h_{t-1}` the candidate `n_t` may read, and an **update gate** `z_t` mixes old and
# new:
#
# $$n_t = \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big), \qquad
#   h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$$
#
# In the course's words, `z_t` does the work of the forget and ignore factors at once
# (what is kept is exactly what is not learned), and there is no use gate. lstmkit's
# `nn.GRU` takes the same arguments as `nn.LSTM` (and as PyTorch's). Here both layers,
# on the fast fused path, learn the film task above from the same batches.

# %% tags=["nbval-ignore-output"]
def train_layer(kind, seed=1, steps=400):
    """nn.LSTM or nn.GRU (hidden 16) and a linear head on the film task -> validation loss, accuracy, size."""
    rng.manual_seed(seed)
    if kind == "LSTM":
        layer = nn.LSTM(task.input_size, 16, batch_first=True, forget_bias=1.0)
    else:
        layer = nn.GRU(task.input_size, 16, batch_first=True)
    head = nn.Linear(16, task.n_classes)
    opt = optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=1e-2)

    def scores_of(clips):
        out, _ = layer(lk.tensor(clips))                      # (batch, T, 16)
        return head(out[:, -1])                               # the last step's state

    for step in tqdm(range(steps), desc=f"nn.{kind}"):
        clips, labels = task.sample(32, data.batch_rng(seed, step))
        loss = F.cross_entropy(scores_of(clips), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with lk.no_grad():
        scores = scores_of(x_val)
    accuracy = float((scores.numpy().argmax(axis=1) == y_val).mean())
    return F.cross_entropy(scores, y_val).item(), accuracy, sum(p.numel() for p in layer.parameters())


layers = {kind: train_layer(kind) for kind in ("LSTM", "GRU")}
for kind, (val_loss, accuracy, size) in layers.items():
    print(f"nn.{kind}: {size} weights, validation loss {val_loss:.4f}, accuracy {accuracy:.2f}")

# %%
assert all(val_loss < 0.5 * task.baseline for val_loss, _, _ in layers.values()), "both gated cells learn the task"
assert layers["GRU"][2] < layers["LSTM"][2]                   # three weight blocks per layer instead of four
print("both gated cells learned the film task; the GRU with three quarters of the weights")

# %% [markdown]
# On this task the two are equally good; the GRU is smaller (three blocks of weights
# where the LSTM has four). Which one wins depends on the task, and in many comparisons
# neither wins by much. What they share is the point of lessons 2 to 5: a state updated
# by gated *addition*, which keeps gradients alive over time (lesson 7).

# %% [markdown]
# ## Your turn
#
# Open [**exercises/06_lstm_cell.ipynb**](../exercises/06_lstm_cell.ipynb). You will write `lstm_cell(event, stm_prev,
# ltm_prev, weights)`, one step with the standard use gate returning `(STM_t, LTM_t)`,
# from your own gates (the library's `lstmkit.gates` is not allowed inside it), and
# `unroll(events, stm0, ltm0, weights)`, which runs it over a sequence `(T, batch, D)`
# and returns every `STM_t` stacked into `(T, batch, H)`. The check compares values and
# gradients through the whole unrolled sequence.
#
# Next: [**07_gradients_through_time.ipynb**](07_gradients_through_time.ipynb): why an LSTM can learn this task at all
# when a plain RNN struggles, measured.
