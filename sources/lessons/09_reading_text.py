# %% [markdown]
# # Lesson 9 · An LSTM that reads text from images
#
# *Run time: about a minute with `LSTMKIT_QUICK=1` (the short run), about three minutes on one
# CPU core for the full run.*
#
# The article ends with what LSTMs are used for: writing text, recognising speech, and reading
# text in images. Lesson 8 wrote text one character at a time. This lesson reads it: a
# **bidirectional LSTM** walks over a picture of a line of text, one column of pixels per step,
# and a loss called **Connectionist Temporal Classification (CTC)** teaches it to output the
# characters without anyone telling it where each character sits. For about a decade this
# pair was how handwriting and printed text were read by machines.
#
# You will see
#
# 1. why a classifier for each column cannot be trained on a line of text;
# 2. CTC's blank symbol and its collapsing rule, with a worked example and a picture of the
#    paths CTC sums over;
# 3. the bidirectional LSTM as two of the cells you built, reading in opposite directions;
# 4. a training run with a progress bar and a live plot of the loss and the character error
#    rate;
# 5. a widget that shows a line, the model's guess for every column, and what it reads.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

import lstmkit as lk
import lstmkit.functional as F
from lstmkit import ctc, data, models, nn, optim, rng
from lstmkit.widgets import LivePlot, TextLineViewer

np.set_printoptions(precision=3, suppress=True)
# How long to train: "short" or "full". LSTMKIT_QUICK=1 in the environment picks "short".
RUN = "short" if os.environ.get("LSTMKIT_QUICK") == "1" else "full"
QUICK = RUN == "short"

# %% [markdown]
# ## Lines of text, made on the spot
#
# The lines are drawn here, from nothing to download: `data.TextLineTask` writes three to six
# hexadecimal digits (`0-9`, `a-f`) with the DejaVu Sans font that comes with matplotlib,
# spaces the characters at random, slants the line, moves it up or down a pixel, sometimes
# blurs it, and adds noise. Every image is 20 pixels high and 72 wide. The validation and test
# lines are fixed by a seed, so every run is judged on the same lines.

# %%
task = data.TextLineTask()
images, texts = task.sample_texts(6, rng=0)
figure, axes = plt.subplots(len(texts), 1, figsize=(5, 4.2))
for ax, image, text in zip(axes, images, texts, strict=True):
    ax.imshow(image, cmap="gray")
    ax.set_title(repr(text), fontsize=9, loc="left")
    ax.axis("off")
plt.tight_layout()
print("image shape (height, width):", images[0].shape, "  characters:", task.charset)

# %% [markdown]
# ## Why not classify each column?
#
# An LSTM reading the image left to right sees one column per step, 72 steps for six
# characters at most. If we knew which columns belong to which character we could train a
# classifier per column, as the character model of lesson 8 predicted one character per step.
# But the training data says only *which* characters a line holds (`'3a7'`), not *where*: a
# character may take 6 columns or 9, the gaps between characters vary, and most columns fall
# between characters and belong to none. Labelling the columns by hand would mean drawing a
# box around every character of every training line.
#
# What we want is a loss that only needs the text, and lets the network find the alignment
# itself.

# %% [markdown]
# ## CTC: a blank, and a rule for reading a path
#
# CTC adds one symbol to the alphabet, the **blank** (written `-` here, class 0 in lstmkit).
# The network emits one symbol per step, a **path**, and a path is read by
#
# 1. merging neighbouring repeats (`3 3 3` is one `3`), then
# 2. dropping every blank.
#
# So `- 3 3 - a a a - 7 -` reads `3a7`. The blank does two jobs: it fills the columns between
# characters, and it separates a character written twice (`- 1 1 - 1 -` reads `11`, while
# `- 1 1 1 -` reads `1`).
#
# Many paths read the same text. CTC's loss is minus the log of the total probability of
# **all** of them: the network may put each character wherever it likes, as long as the paths
# that read the right text become likely. Here is every path of four steps over
# `{-, 1, 2}` that reads `12`, and the loss computed two ways.

# %%
import itertools

SYMBOLS = "-12"
steps = 4
probabilities = np.array([[0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.4, 0.2, 0.4], [0.3, 0.1, 0.6]])
reading_12 = []
for path in itertools.product(range(3), repeat=steps):
    if ctc.collapse(path, blank=0) == [1, 2]:
        probability = np.prod([probabilities[t, s] for t, s in enumerate(path)])
        reading_12.append(probability)
        print(" ".join(SYMBOLS[s] for s in path), f"  p = {probability:.4f}")
total = sum(reading_12)
log_probs = lk.tensor(np.log(probabilities)[:, None, :])  # (T, N = 1, C)
loss = F.ctc_loss(log_probs, [[1, 2]], [steps], [2], reduction="sum")
print(f"{len(reading_12)} paths read '12'; -log(sum of their probabilities) = {-np.log(total):.6f}")
print(f"F.ctc_loss                                          = {loss.item():.6f}")

# %%
assert len(reading_12) == 15
assert abs(loss.item() + np.log(total)) < 1e-12

# %% [markdown]
# ## The lattice CTC walks
#
# Listing paths gets out of hand quickly (a line of 36 steps over 17 symbols has 17^36 of
# them). CTC sums them with a recursion instead. Write the target with a blank before, between
# and after its characters: `- 1 - 2 -` (2S + 1 rows for S characters). A path is a walk from
# the left of this lattice to the right, one column per step, that at each step stays on its
# row, moves down one row, or skips a blank between two *different* characters. The
# **forward variable** α_t(s) adds up the probability of every walk that reaches row s at step
# t, from the three rows it can come from; the loss is -log of what arrives at the last two
# rows at the last step. A backward variable β does the same from the right, and α·β tells
# how much of the total probability passes through each point: the gradient.
#
# The picture shows the lattice for the target `3a7` over 12 steps of made-up scores. Dots are
# the points some complete walk can pass through, shaded by the share of the total
# probability that passes there; lines are the moves allowed.

# %%
target = task.encode("3a7")
steps = 12
scores = np.random.default_rng(3).normal(size=(steps, 1, task.output_size))
lattice_log_probs = scores - np.log(np.exp(scores).sum(axis=2, keepdims=True))
extended, skip, valid = ctc._extended_labels([np.array(target)], blank=0)
alpha, beta, nll = ctc.ctc_alpha_beta(lattice_log_probs, extended, skip, valid,
                                      np.array([steps]), np.array([len(target)]))
emit = lattice_log_probs[:, 0, extended[0]]
share = np.exp(alpha[:, 0] + beta[:, 0] - emit + nll[0])  # (T, 2S + 1): probability through each point
rows = ["-" if k == 0 else task.charset[k - 1] for k in extended[0]]

figure, ax = plt.subplots(figsize=(8, 3.2))
reachable = share > 1e-12
for t in range(steps - 1):
    for s in range(len(rows)):
        for move in (0, 1, 2):
            if s + move < len(rows) and reachable[t, s] and reachable[t + 1, s + move] and (move < 2 or skip[0, s + 2]):
                ax.plot([t, t + 1], [s, s + move], color="#bbbbbb", lw=0.8, zorder=1)
ts, ss = np.nonzero(reachable)
ax.scatter(ts, ss, c=share[ts, ss], cmap="Blues", vmin=0, vmax=1, s=120, edgecolors="#1f4e9c", zorder=2)
ax.set_yticks(range(len(rows)), rows)
ax.invert_yaxis()
ax.set_xlabel("step t (column of the image)")
ax.set_ylabel("extended target")
ax.set_title(f"every walk through the lattice reads '3a7'  (loss {nll[0]:.2f})")
plt.tight_layout()

# %%
assert np.allclose(share.sum(axis=1), 1.0)  # every walk passes through exactly one point of each step
assert abs(nll[0] - F.ctc_loss(lk.tensor(lattice_log_probs), [target], [steps], [3]).item() * 3) < 1e-9

# %% [markdown]
# `lstmkit.functional.ctc_loss` runs this recursion for a whole batch, in log space (so that
# long lines do not underflow), with a hand-written backward; the course's tests check it
# against PyTorch's `torch.nn.functional.ctc_loss` to 1e-10. Reading is simpler: **greedy
# decoding** takes the best symbol in each column and applies the reading rule (exercise 8
# asks you to write it), and `ctc.ctc_beam_search` keeps a few candidate texts at once.

# %% [markdown]
# ## A bidirectional LSTM: two cells, reading opposite ways
#
# When the LSTM reaches the left half of a `3`, it cannot yet know whether an `8` follows:
# the columns to the right matter too. A **bidirectional** LSTM runs two LSTMs over the line,
# one left to right and one right to left, and puts their Short Term Memories side by side at
# every column. Each column's output then knows the whole line.
#
# `nn.LSTM(..., bidirectional=True)` does exactly that. To see it, build one, then run two
# plain one-way LSTMs with its two sets of weights, the second on the reversed columns, and
# compare.

# %%
rng.manual_seed(0)
both_ways = nn.LSTM(input_size=4, hidden_size=3, bidirectional=True)
left_to_right = nn.LSTM(input_size=4, hidden_size=3)
right_to_left = nn.LSTM(input_size=4, hidden_size=3)
weights = both_ways.state_dict()
left_to_right.load_state_dict({name: weights[name] for name in left_to_right.state_dict()})
right_to_left.load_state_dict({name: weights[name + "_reverse"] for name in right_to_left.state_dict()})

columns = np.random.default_rng(1).normal(size=(7, 2, 4)).astype(np.float32)  # (T, N, features)
together, _ = both_ways(lk.tensor(columns))
forward_stm, _ = left_to_right(lk.tensor(columns))
backward_stm, _ = right_to_left(lk.tensor(columns[::-1].copy()))
apart = np.concatenate([forward_stm.numpy(), backward_stm.numpy()[::-1]], axis=2)
print("bidirectional output (T, N, 2 x hidden):", together.shape)
print("largest difference from two one-way LSTMs:", float(np.abs(together.numpy() - apart).max()))

# %%
assert together.shape == (7, 2, 6)
assert np.allclose(together.numpy(), apart, atol=1e-6)

# %% [markdown]
# ## The reader
#
# `models.TextLineReader` folds every two neighbouring columns into one step (36 steps of 40
# pixels), runs the bidirectional LSTM, and maps each step's two Short Term Memories to
# scores over the 16 characters and the blank, then `log_softmax`. One training step draws a
# batch of fresh lines, computes the CTC loss, and takes an Adam step with the gradient
# clipped (lesson 7).
#
# The plot shows the training loss and, every few dozen steps, the **character error rate**
# (CER) on 200 validation lines: the number of characters the reading gets wrong (inserted,
# missing or replaced, the edit distance) divided by the number of characters. Early on the
# model says nothing at all (every column blank), a CER of 1; then characters appear.
# (The next cell's output depends on your machine's speed, so the course's tests do not
# compare it; the cell after it checks the result.)

# %% tags=["nbval-ignore-output"]
STEPS = 240 if QUICK else 800
BATCH = 32
val_columns, val_targets = task.sample(200, split="val")
val_truth = [row[row > 0].tolist() for row in val_targets]


def character_error_rate(model, columns, truth):
    """CER of greedy decoding on validation lines."""
    with lk.no_grad():
        log_probs = model(lk.tensor(columns))
    return data.character_error_rate(ctc.ctc_greedy_decode(log_probs), truth)


rng.manual_seed(0)
reader = models.TextLineReader(task.height, task.output_size, hidden_size=48)
optimizer = optim.Adam(reader.parameters(), lr=1e-2)
plot = LivePlot("Reading text lines", loss_label="training CTC loss (per character)", val_label="validation CER")
history = []
started = time.perf_counter()
bar = tqdm(range(1, STEPS + 1), desc="training")
for step in bar:
    columns, targets = task.sample(BATCH, rng=data.batch_rng(0, step))
    log_probs = reader(lk.tensor(columns))
    target_lengths = (targets > 0).sum(axis=1)
    loss = F.ctc_loss(log_probs, targets, [log_probs.shape[0]] * BATCH, target_lengths)
    optimizer.zero_grad()
    loss.backward()
    optim.clip_grad_norm_(reader.parameters(), 1.0)
    optimizer.step()
    cer = None
    if step % 20 == 0 or step == STEPS:
        cer = character_error_rate(reader, val_columns, val_truth)
        history.append((step, loss.item(), cer))
        bar.set_postfix(loss=f"{loss.item():.3f}", cer=f"{cer:.3f}")
    plot.update(step, loss.item(), cer)
train_seconds = time.perf_counter() - started
plot.close();
print(f"{STEPS} steps in {train_seconds:.0f} s; validation CER {history[-1][2]:.3f}")

# %%
first_loss, final_loss, final_cer = history[0][1], history[-1][1], history[-1][2]
assert final_loss < first_loss / 2, f"the CTC loss should fall clearly ({first_loss:.3f} -> {final_loss:.3f})"
if QUICK:
    assert final_cer < 0.5, f"the short run should read most characters (CER {final_cer:.3f})"
else:
    assert final_cer < 0.05, f"the full run should read 95% of characters (CER {final_cer:.3f})"

# %% [markdown]
# ## What the model reads
#
# The held-out **test** lines were never used for training or for choosing anything. The
# widget shows one at a time (move the slider): the image, the model's best symbol for each
# of its 36 columns (a dot is the blank) under the columns it read, the probability of every
# symbol per column, and the decoded text, mistakes in red. Notice how each character usually
# lights up one or two columns and the blank fills the rest: the network found the alignment
# by itself.

# %% tags=["nbval-ignore-output"]
test_images, test_texts = task.sample_texts(100, split="test")
viewer = TextLineViewer(reader, task, test_images, test_texts)
test_cer = data.character_error_rate([task.encode(r) for r in viewer.readings],
                                     [task.encode(t) for t in test_texts])
wrong = [k for k, (r, t) in enumerate(zip(viewer.readings, test_texts, strict=True)) if r != t]
print(f"test CER {test_cer:.3f}; {len(wrong)} of {len(test_texts)} lines read with a mistake")
if wrong:
    viewer.slider.value = wrong[0]  # start on a mistake
viewer

# %%
assert len(viewer.readings) == 100
assert test_cer < (0.5 if QUICK else 0.05)

# %% [markdown]
# Greedy decoding and beam search mostly agree on a model this sure of itself; beam search
# sums over the paths of each candidate text and can only help:

# %% tags=["nbval-ignore-output"]
with lk.no_grad():
    some_log_probs = reader(lk.tensor(np.ascontiguousarray(test_images[:20].transpose(0, 2, 1))))
greedy = [task.decode(x) for x in ctc.ctc_greedy_decode(some_log_probs)]
beam = [task.decode(x) for x, _ in ctc.ctc_beam_search(some_log_probs, beam_width=4)]
print("greedy right:", sum(g == t for g, t in zip(greedy, test_texts[:20], strict=True)), "of 20;",
      "beam right:", sum(b == t for b, t in zip(beam, test_texts[:20], strict=True)), "of 20")

# %%
assert len(beam) == len(greedy) == 20

# %% [markdown]
# ## Your turn
#
# Open [**exercises/08_ctc_decoding.ipynb**](../exercises/08_ctc_decoding.ipynb) and write
# `greedy_decode(log_probs, blank)`: the best symbol per column, repeats merged, blanks dropped,
# in that order. The check includes a blank that is the last class, a line of blanks only, and
# a label written twice with a blank between.

# %% [markdown]
# ## What you have built
#
# A reader of text lines from the pieces of this course: the LSTM cell run both ways, a
# loss that finds the alignment by itself, and a decoder. Real readers add convolution layers
# in front of the LSTM to see strokes, train on millions of lines, and read whole alphabets,
# but the idea is the one here. `lstmkit train --task textline` and `examples/text_lines.py`
# run the same training from the command line.
