# %% [markdown]
# # Lesson 8 · Training for real, on a GPU when you have one
#
# *Time to run all cells, measured on a quiet 2-core CPU with one BLAS thread: 18 s with
# the short runs, under 2 minutes (107 s) with the full runs; on a machine shared with
# other jobs (load average about 2, two BLAS threads) 40 to 70 s and 5.5 minutes. Choose
# the short runs with `RUN = "short"` in the first code cell. Each training cell shows a
# progress bar and a live loss plot. A GPU time was not measured.*
#
# Everything so far ran the **readable path**: every gate an operation on the autograd
# tape, easy to inspect, slow. Real training uses `lstmkit.nn.LSTM`, the **fast path**:
# the whole sequence is one autograd operation with a hand-written backward through
# time (one matrix product for all the Events at once, one per step for the
# recurrence, the gate arithmetic fused), and lesson 6 checked that it gives the same
# numbers. Its constructor, shapes and parameter names are PyTorch's.
#
# This lesson trains two models with it:
#
# 1. an LSTM and a plain RNN on the **adding problem**, a classic long-memory test,
#    to see the previous lesson's gradients turn into results;
# 2. a **character model** that learns to write English-like text, one character at
#    a time.
#
# The training loop (`lstmkit.train`) draws batches, computes the loss, runs backward,
# clips the gradient (lesson 7), steps the Adam optimiser and evaluates on held-out
# data; it shows a progress bar and, if you pass one, a live loss plot.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk
from lstmkit import data, models, rng, train
from lstmkit.widgets import LivePlot

np.set_printoptions(precision=4, suppress=True)
# How long to train: "short" or "full" (the times are at the top of this lesson). Change
# it here and run all cells again; LSTMKIT_QUICK=1 in the environment picks "short".
RUN = "short" if os.environ.get("LSTMKIT_QUICK") == "1" else "full"
QUICK = RUN == "short"

# %% [markdown]
# ## The device
#
# `device="auto"` picks the GPU when CuPy is installed and a CUDA device really works,
# and the CPU otherwise (lesson 0). Everything below runs on it: parameters, batches,
# the fused LSTM (whose gate arithmetic becomes one CUDA kernel per step on the GPU). Only the
# losses are copied back to the host for the plots, and on the GPU only every 25 steps,
# so the host does not wait for the device at each step.

# %% tags=["nbval-ignore-output"]
DEVICE = lk.resolve_device("auto")
print("training on:", DEVICE)
if DEVICE == "cpu":
    print("(no usable GPU:", lk.backend.cuda_unavailable_reason() + ")")
print("run length:", RUN)

# %%
assert DEVICE in ("cpu", "cuda")

# %% [markdown]
# ## The adding problem
#
# Each input is a sequence of `T` steps with two features: a random number between 0
# and 1, and a marker that is 1 at exactly two steps (one in each half) and 0
# elsewhere. The target is the **sum of the two marked numbers**. To answer, a model
# must notice each marked number when it passes, keep it until the end of the
# sequence while ignoring everything else, and add. In the article's words: save two
# Events, forget the rest.
#
# Always answering 1 (the average sum) gives a mean squared error of 1/6 ≈ 0.167, so
# a model has learned something only when its error drops clearly below that.

# %%
T = 30                                           # steps per sequence
adding = data.AddingTask(seq_len=T)
inputs, targets = adding.sample(1, rng=0)
marked = np.flatnonzero(inputs[0, :, 1])
print("values :", inputs[0, :8, 0].round(2), "...")
print("markers:", inputs[0, :8, 1], "...")
print(f"marked steps {marked.tolist()}: {inputs[0, marked[0], 0]:.3f} + {inputs[0, marked[1], 0]:.3f} = target {targets[0, 0]:.3f}")
print(f"error of always answering 1: {adding.baseline:.4f}")

# %% [markdown]
# The model: `nn.LSTM` reads the sequence, a `Linear` layer turns the last Short Term
# Memory into the answer (`models.SequenceRegressor`). The forget bias starts at 1
# (lesson 3). The progress bar shows the current training loss and, at each
# evaluation, the validation loss; the plot draws both as training goes. (The next
# cell's output depends on your machine's speed, so the course's tests do not compare
# it; the cell after it checks the result instead.)

# %% tags=["nbval-ignore-output"]
STEPS = 600 if QUICK else 1500
SETTINGS = dict(steps=STEPS, batch_size=64, lr=1e-2, clip_norm=1.0, eval_every=100, eval_size=512,
                seed=0, device=DEVICE)

rng.manual_seed(0)
lstm_model = models.SequenceRegressor(2, 32, 1, cell="lstm")
print(lstm_model)
lstm_plot = LivePlot("LSTM on the adding problem", loss_label="training MSE", val_label="validation MSE")
lstm_run = train.fit(lstm_model, adding, live_plot=lstm_plot, **SETTINGS)
lstm_plot.close();

# %%
lstm_val = lstm_run.history[-1]["val"]
assert lstm_val < 0.05, f"the LSTM should solve the adding problem (validation MSE {lstm_val:.4f})"
print("the LSTM's validation error is far below the 0.167 of always answering 1:", lstm_val < 0.05)

# %% [markdown]
# The curve typically sits at 0.167 for a while (the model answers the average), then
# drops suddenly: the moment the LSTM learns to open its ignore factor at the marked
# steps and keep those values with forget factors near 1. Now the same budget for a
# plain tanh RNN of the same size, on exactly the same batches:

# %% tags=["nbval-ignore-output"]
rng.manual_seed(0)
rnn_model = models.SequenceRegressor(2, 32, 1, cell="rnn")
rnn_plot = LivePlot("RNN on the adding problem", loss_label="training MSE", val_label="validation MSE")
rnn_run = train.fit(rnn_model, adding, live_plot=rnn_plot, **SETTINGS)
rnn_plot.close();

# %% tags=["nbval-ignore-output"]
rnn_val = rnn_run.history[-1]["val"]
print(f"after {STEPS} steps: LSTM validation MSE {lstm_val:.4f}, RNN {rnn_val:.4f} (always 1: {adding.baseline:.4f})")

# %%
assert rnn_val > 0.1 and lstm_val < rnn_val / 10
print("same size, same batches, same budget: the LSTM solved it and the RNN did not")


# %%
def val_curve(run):
    return [(h["step"], h["val"]) for h in run.history if "val" in h]


plt.figure(figsize=(7, 3.4))
for name, run in (("LSTM", lstm_run), ("RNN (tanh)", rnn_run)):
    steps, vals = zip(*val_curve(run), strict=True)
    plt.plot(steps, vals, "o-", markersize=3, label=name)
plt.axhline(adding.baseline, color="gray", linestyle="--", label="always answer 1 (1/6)")
plt.yscale("log")
plt.xlabel("training step")
plt.ylabel("validation MSE")
plt.title(f"The adding problem, T = {T}")
plt.grid(alpha=0.3)
plt.legend()
plt.show()

# %% [markdown]
# The RNN never gets below the "always answer 1" line: its gradient from the answer
# back to the marked steps vanishes (lesson 7), so it never learns to keep them. With
# longer sequences the gap only widens; `examples/adding_problem.py` runs `T = 100`
# for a few thousand steps (a few minutes on a CPU).
#
# Let's check what the trained LSTM actually answers on sequences it has never seen:

# %% tags=["nbval-ignore-output"]
test_x, test_y = adding.sample(8, data.split_rng("test", 0), "test")
with lk.no_grad():
    lstm_model.eval()
    predicted = lstm_model(lk.tensor(test_x, device=DEVICE)).numpy()
for target, guess in zip(test_y[:, 0], predicted[:, 0], strict=True):
    print(f"target {target:.3f}   LSTM says {guess:.3f}")

# %%
assert np.abs(predicted - test_y).mean() < 0.2

# %% [markdown]
# ## A character model
#
# Text is a sequence too. `data.CharTask` cuts text into windows of characters; at
# every position the model (`models.CharModel`: an `Embedding` for the characters, an
# `nn.LSTM`, and a `Linear` layer to scores over the alphabet) predicts the **next**
# character, and the loss is the cross-entropy, measured in nats per character. The
# text is the documentation strings of some of Python's own standard library modules,
# which exist on every machine, so nothing is downloaded.
#
# The fair baseline is a model that knows only how often each character occurs (the
# *unigram* model): anything below its loss has learned something about *order*.

# %% tags=["nbval-ignore-output"]
chars = data.CharTask.from_stdlib(seq_len=32 if QUICK else 64, max_chars=200_000)
print(f"{len(chars.corpus.text):,} characters, {len(chars.vocab)} distinct; "
      f"unigram baseline {chars.baseline:.3f} nats per character")
print(repr(chars.corpus.text[:160]))

# %% tags=["nbval-ignore-output"]
rng.manual_seed(0)
char_model = models.CharModel(len(chars.vocab), embed_size=32, hidden_size=64 if QUICK else 128)
char_plot = LivePlot("Characters", loss_label="training loss (nats/char)", val_label="validation")
char_run = train.fit(char_model, chars, live_plot=char_plot, steps=300 if QUICK else 2000, batch_size=32,
                     lr=5e-3, clip_norm=1.0, eval_every=100, eval_size=128, seed=0, device=DEVICE)
char_plot.close();

# %%
char_val = char_run.history[-1]["val"]
assert char_val < chars.baseline - 0.5, (char_val, chars.baseline)
print("the character model beats the unigram baseline by more than half a nat per character:",
      char_val < chars.baseline - 0.5)

# %% [markdown]
# Now let it write. `models.generate` feeds a prompt, then repeatedly samples the next
# character from the model's predicted distribution and feeds it back in, carrying
# the LSTM's memories from step to step. The **temperature** divides the scores
# before they become probabilities: low values pick the likeliest characters (safer,
# repetitive), high values take more chances (wilder). After a short run expect
# English-looking fragments, real short words and Python-documentation habits such
# as "Return the"; the full run does better.

# %% tags=["nbval-ignore-output"]
for temperature in (0.5, 0.8, 1.1):
    sample = models.generate(char_model, chars.vocab, prime="Return the", length=160,
                             temperature=temperature, rng=0)
    print(f"--- temperature {temperature}\n{sample}\n")

# %%
again = models.generate(char_model, chars.vocab, prime="Return the", length=40, temperature=0.8, rng=1)
assert again == models.generate(char_model, chars.vocab, prime="Return the", length=40, temperature=0.8, rng=1)
assert again.startswith("Return the") and len(again) == len("Return the") + 40
print("sampling with the same seed gives the same text")

# %% [markdown]
# ## Keeping a trained model
#
# A `Trainer` saves everything needed to use or resume a run (the weights, the
# optimiser's state, the step, the random generator and the history) into one `.npz`
# file, and `lstmkit.checkpoint.load_checkpoint` puts it back into a model of the same
# architecture:

# %%
import tempfile
from pathlib import Path

from lstmkit.checkpoint import load_checkpoint

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "chars.npz"
    char_run.save(path)
    fresh = models.CharModel(len(chars.vocab), embed_size=32, hidden_size=char_model.rnn.hidden_size).to(DEVICE)
    checkpoint = load_checkpoint(path, fresh)
same = models.generate(fresh, chars.vocab, prime="Return the", length=40, temperature=0.8, rng=1) == again
print("the reloaded model writes the same text:", same)
print("saved at step:", checkpoint.step == char_run.step)

# %% [markdown]
# ## Where to go from here
#
# * Set `RUN = "full"` at the top for the longer runs, and run it with
#   `LSTMKIT_DEVICE=auto` (or `device="cuda"`) on a machine with an NVIDIA GPU and
#   `pip install 'lstmkit[gpu]'`.
# * From a terminal, `lstmkit train --task adding` (or `movie`, `chars`) trains with the
#   same loop and writes checkpoints; `lstmkit generate CHECKPOINT` samples text.
# * `examples/adding_problem.py` and `examples/char_model.py` are the longer
#   experiments behind the figures in the README.
# * Swap in `nn.LSTMCell(..., variant="article")` and compare the article's use gate
#   with the standard one on the tasks above, as lesson 6 did on the film task.
# * Since `nn.LSTM` takes PyTorch's arguments and state-dict names, a trained model's
#   `state_dict()` loads into `torch.nn.LSTM` (lesson 6 showed the outputs agree).
#
# You have built an LSTM from the ground up: the engine that differentiates it, each
# gate, the cell, the gradients through time, and a training run. The exercises that
# go with lessons 1 to 7 are in `exercises/`.
