# %% [markdown]
# # Lesson 1 · Autograd: how a network learns its gradients
#
# *Time to run all cells: under 20 s on a CPU (measured on a busy 2-core machine, short
# or full runs alike). This lesson computes with tiny arrays on the CPU (a GPU time
# was not measured).*
#
# Training an LSTM means nudging every weight in the direction that lowers the loss.
# That direction is the **gradient**: for each weight `w`, the number `d loss / d w`
# saying how much the loss changes when `w` moves a little. An LSTM has thousands of
# weights and the loss depends on them through hundreds of steps, so nobody derives
# these gradients by hand. An **automatic differentiation** (autograd) engine does it:
# while the forward computation runs, it records what was computed from what; a
# backward pass then applies the chain rule along that record.
#
# In this lesson you will:
#
# 1. make tensors and compute with them;
# 2. call `backward()` and check the gradients against derivatives you know;
# 3. look at the **graph** the engine records;
# 4. write a new operation as a `Function` with its own `forward` and `backward`;
# 5. test a `backward` with `gradcheck`, which compares it with finite differences.
#
# In the exercise you then write the two functions every gate needs, `Sigmoid` and
# `Tanh`, as such Functions.

# %%
import matplotlib.pyplot as plt
import numpy as np

import lstmkit as lk

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Tensors
#
# A `lk.Tensor` wraps an array (NumPy on the CPU, CuPy on a GPU) and adds two things:
# a flag `requires_grad` saying "I want `d loss / d me`", and a slot `.grad` where
# `backward()` leaves that gradient. Python floats become `float32`, as in PyTorch.

# %%
w = lk.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
x = lk.tensor([[1.0, 3.0]])
print(w)
print("shape", w.shape, "| dtype", w.dtype, "| device", w.device, "| grad", w.grad)

# %% [markdown]
# Operations on tensors look like NumPy: `+ - * /`, `@` for matrix products,
# `.tanh()`, `.sigmoid()`, `.sum()`, `.reshape()`, indexing. The results are tensors
# too, and when any input requires gradients the result remembers the operation that
# produced it (`grad_fn`):

# %%
y = x @ w.T          # (1, 2) @ (2, 2) -> (1, 2)
h = y.tanh()
loss = h.sum()
print(y)
print(h)
print(loss)

# %% [markdown]
# ## 2. `backward()`
#
# `loss.backward()` fills `w.grad` with `d loss / d w`, one number per element of
# `w`. Nothing is filled for `x`, because we did not ask for its gradient.
#
# For this small case we can check by hand. With `y_j = Σ_k w_jk x_k` and
# `loss = Σ_j tanh(y_j)`, the chain rule gives
#
# `d loss / d w_jk = (1 − tanh²(y_j)) · x_k`.

# %%
loss.backward()
print("engine:    \n", w.grad)

by_hand = (1 - np.tanh(y.numpy()) ** 2).T * x.numpy()    # (2, 1) * (1, 2) -> (2, 2)
print("by hand:   \n", by_hand)
print("same:", np.allclose(w.grad, by_hand))

# %% [markdown]
# Gradients **accumulate**: a second `backward()` (on a fresh forward pass) adds to
# `.grad` instead of replacing it. This is deliberate, because a weight used in many
# places (an LSTM uses the same weights at every time step) must receive the sum of
# all contributions. It also means you clear the gradients before each training step,
# which is what an optimiser's `zero_grad()` does.

# %%
(x @ w.T).tanh().sum().backward()
print("after a second backward, twice as large:", np.allclose(w.grad, 2 * by_hand))
w.zero_grad()
print("after zero_grad:", w.grad)

# %% [markdown]
# The same rule handles a value used twice inside one expression. For `z = a · a` the
# graph holds one multiplication whose two inputs are the same tensor; backward hands a
# gradient to each input and both land in `a.grad`, giving `2a`, the derivative of `a²`:

# %%
a = lk.tensor([3.0, -2.0], requires_grad=True)
(a * a).sum().backward()
print(a.grad, "= 2a")

# %% [markdown]
# ## 3. The graph
#
# Every operation on tensors that require gradients creates a **node**: an object that
# knows its inputs and can turn the gradient of its output into gradients for those
# inputs. Together the nodes form a directed graph from the leaves (tensors you made,
# such as `w`) to the result (`loss`). `backward()`:
#
# 1. starts at `loss` with `d loss / d loss = 1`;
# 2. visits the nodes newest first: every node is numbered when it is made, after the
#    nodes it reads from, so taking the highest number still waiting visits a node only
#    once every node that used its output has passed its gradient on. Each node
#    receives the summed gradient of its output and passes one gradient to each input
#    (the chain rule, one link at a time). The waiting nodes sit in a heap, not on
#    Python's call stack, because an LSTM unrolled over 1,000 steps makes a graph far
#    deeper than Python allows recursive calls;
# 3. adds the gradients that reach a leaf into its `.grad`, once the whole walk has
#    succeeded.
#
# The `grad_fn` in a tensor's printout is the node that made it. Tensors you create
# yourself are leaves, with no node:

# %%
w = lk.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
b = lk.tensor([0.1, -0.2], requires_grad=True)
h = (x @ w.T + b).tanh()
loss = h.sum()
print("w is a leaf:", w.is_leaf, "| h is a leaf:", h.is_leaf)
print(h)

# %% [markdown]
# `draw_graph` draws the whole graph behind a tensor: your tensors on the left (green
# when they require gradients, grey when they are constants), one rounded box per
# operation, and the output on the right. Each box shows the shape of what it
# produced. Backward visits the boxes from right to left. (`w.T` is an operation
# too: transposing is recorded so that its gradient can be transposed back.)

# %% tags=["nbval-ignore-output"]
from lstmkit.jupyter import draw_graph

drawing = draw_graph(loss, {"w": w, "x": x, "b": b})
drawing

# %%
assert drawing.nodes == 9   # 3 inputs + transpose, matmul, add, tanh, sum + the output
print("nodes drawn:", drawing.nodes)

# %% [markdown]
# In JupyterLab, `%load_ext lstmkit` also gives every tensor a richer display
# (shape, dtype, device, whether it requires gradients, its `grad_fn`, and a preview of
# the values) whenever a cell ends with a tensor:

# %% tags=["nbval-ignore-output"]
# %load_ext lstmkit
h

# %% [markdown]
# After `backward()` the engine frees what each node saved for the backward pass
# (the memory matters for long sequences). Going backward through the same graph a
# second time is therefore an error with advice attached, rather than silently wrong
# numbers:

# %%
loss.backward()
try:
    loss.backward()
except lk.GraphFreedError as error:
    print("GraphFreedError:", error)

# %% [markdown]
# When you only want values (evaluating a trained model, plotting), wrap the code in
# `lk.no_grad()`: nothing is recorded, and no memory is kept for a backward pass.

# %%
with lk.no_grad():
    h = (x @ w.T).tanh()
print(h, "| requires_grad:", h.requires_grad)


# %% [markdown]
# ## 4. Writing an operation: `lk.Function`
#
# Every operation in the engine is a subclass of `lk.Function` with two methods,
# side by side:
#
# * `forward(self, *arrays)` receives **plain arrays** (NumPy or CuPy, not tensors),
#   returns the result array and saves on `self` whatever backward will need;
# * `backward(self, grad)` receives `d loss / d output` (an array shaped like the
#   output) and returns `d loss / d input`, one gradient per input, each shaped like
#   that input (a tuple when there are several inputs).
#
# `MyOp.apply(tensor, ...)` runs `forward`, wraps the result in a tensor and, when
# gradients are being recorded, makes the Function the node that links result and
# inputs.
#
# Two habits keep an op correct on both devices:
#
# * take the array module from the data, `xp = lk.backend.xp_of(a)`, and call
#   `xp.sin`, `xp.exp`, ... instead of `np.sin`: then the op runs on a GPU unchanged;
# * save the *cheapest* thing backward needs. For `sin` that is the input (backward
#   needs `cos(a)`); for `exp` it would be the output, since `exp' = exp`.
#
# Here is `sin`:

# %%
class Sin(lk.Function):
    """sin(a), elementwise."""

    def forward(self, a):
        xp = lk.backend.xp_of(a)
        self.a = a                    # backward needs cos(a)
        return xp.sin(a)

    def backward(self, grad):
        xp = lk.backend.xp_of(grad)
        return grad * xp.cos(self.a)  # chain rule: d loss/d a = d loss/d out * cos(a)


angle = lk.tensor([0.0, np.pi / 3, np.pi], requires_grad=True)
Sin.apply(angle).sum().backward()
print("sin'(a) from backward:", angle.grad)
print("cos(a):               ", np.cos(angle.numpy()))

# %% [markdown]
# ## 5. Testing a backward: `gradcheck`
#
# A wrong `backward` does not crash; it silently trains badly. The standard defence is
# to compare it with **finite differences**: nudge one input element by `±ε`, rerun
# the forward pass and measure `(f(a + ε) − f(a − ε)) / 2ε`. `lk.gradcheck(fn,
# inputs)` does this for every element of every input that requires gradients,
# builds the full Jacobian both ways and raises a `GradcheckError` naming the first
# element that disagrees. It needs `float64` inputs: in `float32`, rounding errors
# are as large as the differences being measured.

# %%
rng = np.random.default_rng(0)
a64 = lk.tensor(rng.normal(size=(3, 4)), dtype="float64", requires_grad=True)
print("Sin passes gradcheck:", lk.gradcheck(Sin.apply, [a64]))


# %% [markdown]
# And here is the kind of slip gradcheck exists for: a backward that returns `sin`
# where `cos` belongs.

# %%
class BuggySin(Sin):
    def backward(self, grad):
        return grad * lk.backend.xp_of(grad).sin(self.a)   # wrong: sin' is cos


try:
    lk.gradcheck(BuggySin.apply, [a64])
except lk.GradcheckError as error:
    print("GradcheckError:", error)

# %% [markdown]
# ## The two functions every gate uses
#
# Each LSTM gate squashes a weighted sum through one of two functions:
#
# * the **sigmoid** `σ(x) = 1 / (1 + e^{−x})`, between 0 and 1: a *fraction*, used
#   for the ignore, forget and use factors ("keep 80% of this");
# * the **hyperbolic tangent** `tanh(x)`, between −1 and 1: a *signed value*, used
#   for the new information `N_t` and for reading the memory out.
#
# Their derivatives have neat forms in terms of their outputs, which is why backward
# saves the output rather than the input: `σ'(x) = σ(x)(1 − σ(x))` and
# `tanh'(x) = 1 − tanh²(x)`. Both derivatives are small away from 0 (the function is
# **saturated** there); the sigmoid's is never above 0.25. Keep that in mind for
# lesson 7.

# %%
xs = lk.tensor(np.linspace(-6, 6, 241), dtype="float64", requires_grad=True)
xs.sigmoid().sum().backward()
d_sigmoid = xs.grad.copy()
xs.zero_grad()
xs.tanh().sum().backward()
d_tanh = xs.grad.copy()

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
left.plot(xs.numpy(), xs.sigmoid().numpy(), label="σ(x)")
left.plot(xs.numpy(), d_sigmoid, "--", label="σ'(x) from backward")
right.plot(xs.numpy(), xs.tanh().numpy(), label="tanh(x)")
right.plot(xs.numpy(), d_tanh, "--", label="tanh'(x) from backward")
for ax in (left, right):
    ax.axhline(0, color="gray", linewidth=0.5)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_xlabel("x")
plt.show()
print(f"largest σ'(x) = {d_sigmoid.max():.4f}, largest tanh'(x) = {d_tanh.max():.4f}")

# %% [markdown]
# One more thing the exercise checks: **numerical stability**. Written literally,
# `1 / (1 + exp(−x))` computes `exp(1000)` for `x = −1000`, which overflows to
# infinity (NumPy warns; the result happens to come out right, but the equivalent
# form `exp(x) / (1 + exp(x))` gives `inf / inf = nan` at `x = 1000`). The identity
# `σ(x) = (tanh(x/2) + 1) / 2` never overflows, but far left it rounds to 0: in float32,
# `tanh(-10)` is exactly `-1`, so σ(-20) comes out 0 instead of 2.06e-9. The library's
# sigmoid computes `e = exp(-|x|)`, whose exponent is never positive, and returns
# `1 / (1 + e)` for `x ≥ 0` and `e / (1 + e)` below, accurate in both tails:

# %%
far = np.array([-1000.0, 0.0, 1000.0])
with np.errstate(over="ignore", invalid="ignore"):
    print("exp(-x):                ", np.exp(-far))
    print("1 / (1 + exp(-x)):      ", 1 / (1 + np.exp(-far)))
    print("exp(x) / (1 + exp(x)):  ", np.exp(far) / (1 + np.exp(far)))
print("tanh(x/2)/2 + 1/2:      ", np.tanh(far / 2) / 2 + 0.5)
print("library sigmoid:        ", lk.tensor(far, dtype="float64").sigmoid().numpy())
left = np.float32(-20)
print("float32 σ(-20), tanh form:", np.tanh(left / 2) / 2 + np.float32(0.5), " library:", lk.tensor(left).sigmoid().item())

# %% [markdown]
# ## Your turn
#
# Open [**exercises/01_autograd.ipynb**](../exercises/01_autograd.ipynb). You will write `Sigmoid` and `Tanh` as
# `lk.Function` subclasses, exactly like `Sin` above: a `forward` on arrays that saves
# what `backward` needs, and a `backward` that applies the derivative. The `check(...)`
# cells compare your values and gradients with the engine's on cases you do not see,
# including extreme inputs (up to |x| = 10,000), and run gradcheck on your backward.
#
# Then continue with **`02_learn_gate.ipynb`**, where these two functions become the
# first gate.
