# %% [markdown]
# # Lesson 0 · Start here
#
# *Time to run all cells: under 20 s on a CPU (measured on a busy 2-core machine, short
# or full runs alike). This lesson computes with tiny arrays on the CPU (a GPU time
# was not measured).*
#
# This course builds a Long Short-Term Memory network (LSTM) from nothing: first a small
# automatic-differentiation engine, then the four gates of the cell one at a time, then
# the whole cell unrolled over a sequence, and finally a trained model on a GPU (or on
# the CPU when there is none). Every claim in the lessons is backed by a cell you can
# run, so when a sentence says "the forget gate keeps 88% of the memory", a cell below
# it computes that number.
#
# This notebook tells you how the course is organised, fixes the words we use for
# every quantity, and shows which device your computations run on.

# %% [markdown]
# ## How the course is organised
#
# Each topic comes as a pair of notebooks:
#
# | folder | what it is for |
# |---|---|
# | `notebooks/NN_topic.ipynb` (this folder) | a **lesson**: explanations, equations, plots and sliders. Nothing in it is graded. |
# | `exercises/NN_*.ipynb` | the matching **exercise** (same number): you write one function (a gate, a cell, a clipping routine) and a `check(...)` cell tells you at once whether it is right. |
#
# `check(...)` runs your function on cases you have not seen and compares the values
# *and the gradients* with a reference. When something is off it says which output
# differs, by how much, and, for the usual slips (a swapped weight matrix, a sigmoid
# where a tanh belongs, `[E, STM]` joined in the wrong order), what the slip probably
# was. Run the check as often as you like.
#
# | lesson | you learn | you build in the exercise |
# |---|---|---|
# | 0 start here | the words, the device | nothing yet |
# | 1 autograd | tensors, graphs, `backward()`, gradient checking | `Sigmoid` and `Tanh` as differentiable Functions |
# | 2 learn gate | what a new Event adds | `learn_gate` |
# | 3 forget gate | what the old memory keeps | `forget_gate` |
# | 4 remember gate | how the Long Term Memory is updated | `remember_gate` |
# | 5 use gate | how the Short Term Memory is made, two ways | `use_gate_article`, `use_gate_standard` |
# | 6 full cell | the gates as one cell, unrolled over time | `lstm_cell`, `unroll` (in `exercises/06_lstm_cell.ipynb`) |
# | 7 gradients through time | why plain RNNs forget, why gradients explode | `clip_grad_norm` (in `exercises/07_clip_grad_norm.ipynb`) |
# | 8 train on a GPU | a real training run, text generation, LSTM vs RNN | nothing: you run and read |
#
# Work through them in order: each lesson uses what the earlier ones built.

# %% [markdown]
# Here is what a check looks like. This `learn_gate` (the subject of lesson 2) has a
# classic slip: it joins the Event and the Short Term Memory in the wrong order. The
# feedback says how many hidden cases failed and where the first difference is; under
# **Where** it says which of the gate's named results (`N_t`, `i_t`) your own code got
# right and which one first went wrong; and the **Hint** names the slip. The checker
# works the slip out: it tries the typical mistakes the rules derive from the correct
# gate (an activation swapped, a bias left out, a weight transposed, the join the other
# way round, ...) and names one only when it gives exactly your numbers on every hidden
# case.

# %% tags=["nbval-ignore-output"]
import lstmkit as lk
from lstmkit.course import check


def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
    joined = lk.concat([event, stm_prev], axis=-1)       # the slip: Event first
    return (joined @ W_n.T + b_n).tanh() * (joined @ W_i.T + b_i).sigmoid()


result = check("learn_gate", learn_gate)

# %%
assert not result and "[E_t, STM_{t-1}]" in result.hint, "the wrong learn_gate must fail with the join hint"
print("passed:", bool(result))

# %% [markdown]
# A slip that is no typical mistake gets no hint that could mislead you. Here the ignore
# factor is computed from three times its input; no rule produces that, so the feedback
# does not guess: it says that `N_t` is right and that `i_t` is the first result that is
# not, which is where to look.

# %% tags=["nbval-ignore-output"]
def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
    joined = lk.concat([stm_prev, event], axis=-1)
    return (joined @ W_n.T + b_n).tanh() * (3 * (joined @ W_i.T + b_i)).sigmoid()   # an odd slip


result = check("learn_gate", learn_gate)

# %%
assert not result and not result.hint and result.trace.startswith("N_t is right; i_t is not")
print("localised:", result.trace)

# %% [markdown]
# The exercise notebooks load lstmkit's notebook extension (`%load_ext lstmkit`, in
# their first code cell), so there you can also write `%%exercise learn_gate` on the
# first line of the cell that defines your function: the cell then runs the check by
# itself every time you run it.
#
# ## Your progress
#
# Every check you run in an exercise notebook is recorded in a small file in
# `exercises/` (`.lstmkit-progress.json`, yours alone). This table reads it; run the
# cell again to see where you stand. The same table closes every exercise notebook.

# %% tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress("../exercises")

# %% [markdown]
# ## Running the notebooks
#
# Run a cell with **Shift + Enter**. Run a notebook from the top (*Run → Run All
# Cells*) when you open it, because later cells use names defined by earlier ones.
# Random numbers are seeded, so you see the same numbers as everyone else.
#
# Two environment variables change how the course runs; set them before starting
# JupyterLab (or in a terminal before `pytest`):
#
# * `LSTMKIT_DEVICE` picks the default device, `cpu` (the default), `cuda` or `auto`.
#   Leave it unset for lessons 1 to 7: they compute with tiny arrays and compare
#   results with NumPy, which only works on the CPU. Lesson 8 picks the GPU by itself
#   when there is one.
# * `LSTMKIT_QUICK=1` shortens the training runs in lessons 6 and 8 so the whole
#   course runs in a few minutes (the test suite sets it). The results are rougher,
#   but every lesson still checks that learning happened.

# %%
import os

import numpy as np

np.set_printoptions(precision=4, suppress=True)
print("lstmkit", lk.__version__)

# %% [markdown]
# ## The words: Event, Short Term Memory, Long Term Memory
#
# The article this course follows explains the LSTM with a picture: you watch a film
# without knowing its title. One frame shows Ben Affleck and you guess a Batman film;
# a later frame shows Gal Gadot and you wonder about Wonder Woman; a few frames later
# you have seen enough of the cast to be sure it is *Justice League*. What made you
# sure was not the current frame alone but what you **carried** from earlier frames.
# Two mechanisms do the carrying:
#
# * a **forgetting mechanism** drops what is not worth keeping (the colour of a car in
#   one scene);
# * a **saving mechanism** stores what will help later (which heroes have appeared).
#
# An LSTM reads a sequence one step at a time, and at each step `t` it handles three
# things:
#
# * the **Event** `E_t`: the current input (this frame);
# * the **Short Term Memory** `STM_t`: what the cell said at the last step, its
#   working opinion ("probably a Batman film");
# * the **Long Term Memory** `LTM_t`: the slowly changing store that the forgetting
#   and saving mechanisms edit ("Batman and Wonder Woman have both appeared").
#
# Four **gates** turn `E_t`, `STM_{t-1}` and `LTM_{t-1}` into the new `LTM_t` and
# `STM_t`: the **learn** gate (what to take from the Event), the **forget** gate
# (what to keep of the old Long Term Memory), the **remember** gate (the two added
# into the new Long Term Memory) and the **use** gate (what to say: the new Short
# Term Memory).
#
# Papers and libraries use other names for the same things. This table is the
# dictionary for the whole course:
#
# | this course (the article) | symbol | standard LSTM papers | PyTorch / `lstmkit.nn` |
# |---|---|---|---|
# | Event | `E_t` | input `x_t` | `input`, one time step of it |
# | Short Term Memory | `STM_t` | hidden state `h_t` | `h` (`h_n`, `output`) |
# | Long Term Memory | `LTM_t` | cell state `c_t` | `c` (`c_n`) |
# | learn matrix (tanh) | `N_t` | candidate `g_t` (or `c̃_t`) | rows `2H:3H` of the weights ("g") |
# | ignore factor (sigmoid) | `i_t` | input gate `i_t` | rows `0:H` ("i") |
# | forget factor (sigmoid) | `f_t` | forget gate `f_t` | rows `H:2H` ("f") |
# | use factor (sigmoid) | `V_t` | output gate `o_t` | rows `3H:4H` ("o") |
# | what the memory could say | `U_t` | `tanh(c_t)` in the standard cell | (no parameters) |
#
# Two remarks that matter later:
#
# * The article's **ignore factor** is, despite its name, the fraction of the new
#   information that is *kept*: `i_t = 1` keeps all of it, `i_t = 0` ignores it all.
# * The article draws the use gate slightly differently from the standard LSTM:
#   its `U_t` has its own weight matrix and reads the memory *before* this step's
#   learning. Lesson 5 shows exactly what changes. `lstmkit` implements both; the
#   standard one is what PyTorch, cuDNN and the papers use.
#
# The gate functions in `lstmkit.gates` speak this vocabulary (`stm_prev`, `event`,
# `ltm_prev`); the layers in `lstmkit.nn` speak PyTorch's (`x`, `h`, `c`). One step of
# the cell, `gates.lstm_step`, returns every quantity in the table by name:

# %%
from lstmkit import gates

print(gates.LSTMStep._fields)

# %% [markdown]
# ## Which device am I on?
#
# `lstmkit` computes with NumPy on the CPU, or with CuPy on an NVIDIA GPU. The same
# engine code runs on both: a tensor remembers which array library holds its data,
# and every operation uses that library.
#
# * `lk.cuda_available()` is `True` only when CuPy is installed **and** a CUDA device
#   really computes (a driver problem gives `False`, not a crash later).
# * `lk.resolve_device(name)` turns a device name into the one that will be used:
#   `"cpu"`, `"cuda"` (an error with the reason when no GPU is usable) or `"auto"`
#   (the GPU when usable, else the CPU).
# * Without an explicit `device=`, tensors and layers go to the default device,
#   `$LSTMKIT_DEVICE` or `"cpu"` when it is not set.
#
# What the next cell prints depends on your machine; the cell after it checks what holds
# on every machine.

# %% tags=["nbval-ignore-output"]
from lstmkit import backend

print("CUDA usable:        ", lk.cuda_available())
if not lk.cuda_available():
    print("why not:            ", backend.cuda_unavailable_reason())
print("device='auto' means:", lk.resolve_device("auto"))
print("default device:     ", lk.resolve_device(None),
      f"(LSTMKIT_DEVICE={os.environ.get('LSTMKIT_DEVICE', 'unset')})")

# %%
assert lk.resolve_device("auto") in ("cpu", "cuda")
assert lk.resolve_device("auto") == ("cuda" if lk.cuda_available() else "cpu")
assert lk.resolve_device("cpu") == "cpu"
print("device checks passed")

# %% [markdown]
# To choose a device, either set `LSTMKIT_DEVICE` before starting JupyterLab
# (`LSTMKIT_DEVICE=auto jupyter lab`) or pass `device=` where a tensor, a layer or a
# training run is made. Moving a tensor is explicit, with `.to(device)`, and gradients
# flow back through the move. A tensor made with `device="auto"` lands on the GPU when
# there is one:

# %%
x = lk.tensor([[0.5, -1.0, 2.0]], device="auto")
y = (x * 2).tanh()
print(y.numpy())            # .numpy() is an explicit copy to the host, from either device
print(y.to("cpu").device)   # and .to() moves a tensor between devices

# %% [markdown]
# Asking for `"cuda"` where no GPU is usable fails loudly instead of silently
# falling back to the CPU, and the message says why and what to do. (This output
# depends on the machine too.)

# %% tags=["nbval-ignore-output"]
try:
    print("device='cuda' gives", lk.resolve_device("cuda"))
except lk.DeviceError as error:
    print("DeviceError:", error)

# %% [markdown]
# A misspelt device name is caught the same way, on every machine:

# %%
try:
    lk.tensor([1.0], device="gpu")
except lk.DeviceError as error:
    print("DeviceError:", error)

# %% [markdown]
# ## Next
#
# Open [**01_autograd.ipynb**](01_autograd.ipynb): before building gates we need the
# engine that computes their gradients. The exercises live in `exercises/`; lesson 1's
# is [exercises/01_autograd.ipynb](../exercises/01_autograd.ipynb).
