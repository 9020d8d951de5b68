# %% [markdown] nbgrader={"grade": false, "grade_id": "01_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 1: two activations as autograd Functions
#
# Every gate of an LSTM squashes numbers with one of two functions:
#
# * the **sigmoid** σ gives factors between 0 and 1 — *how much* of something to let through
#   (the ignore factor i_t, the forget factor f_t, the use factor V_t);
# * **tanh** gives values between −1 and 1 — *what* to store or say (the learn matrix N_t, U_t).
#
# In lstmkit every operation is an `lk.Function` with two methods on plain arrays:
#
# * `forward(self, x)` computes the output and saves on `self` whatever backward will need;
# * `backward(self, grad)` receives `grad`, the gradient of the loss with respect to the output,
#   and returns the gradient with respect to the input: `grad` times the local slope (the chain rule).
#
# | op | forward | local slope |
# |----|---------|-------------|
# | `Sigmoid` | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $\sigma(x)\,(1 - \sigma(x))$ |
# | `Tanh` | $\tanh(x)$ | $1 - \tanh(x)^2$ |
#
# Both slopes are written with the forward's **output**, so save it in forward (`self.out = ...`).
# Inside a Function you work on arrays, not Tensors, so `np.tanh` and `np.exp` are the right tools.
# The check calls `Sigmoid.apply(x)` on hidden inputs as large as ±10,000, compares values and
# gradients with the library's own ops, and runs `lk.gradcheck` (finite differences in float64).
# Your forward must not overflow on those large inputs: an answer whose NumPy warns about overflow
# does not pass, even if its values round right. `np.exp(-x)` overflows for x = −1000, while
# $\sigma(x) = \tfrac{1}{2}(\tanh(x/2) + 1)$ never does.

# %% nbgrader={"grade": false, "grade_id": "01_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import numpy as np
import lstmkit as lk
from lstmkit.course import assert_passes, check

# %% nbgrader={"grade": false, "grade_id": "01_example", "locked": true, "schema_version": 3, "solution": false, "task": false}
# How a Function is used: lstmkit's own tanh, forward and backward.
x = lk.tensor([[-2.0, 0.0, 3.0]], dtype="float64", requires_grad=True)
y = x.tanh()
y.sum().backward()      # grad = 1 for every output, so x.grad is the local slope
print("tanh(x):", y.numpy().round(4))
print("slope:  ", x.grad.round(4))


# %% [markdown] nbgrader={"grade": false, "grade_id": "01_sigmoid_task", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Sigmoid
#
# Write `forward` and `backward`. `x` and `grad` are arrays of any shape; return arrays of the same shape.

# %% nbgrader={"grade": false, "grade_id": "Sigmoid", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Sigmoid(lk.Function):
    """σ(x) = 1 / (1 + e^(-x)), elementwise: x of any shape -> the same shape."""

    def forward(self, x):
        ### BEGIN SOLUTION
        self.out = np.tanh(x * 0.5) * 0.5 + 0.5  # the same as 1 / (1 + e^-x), without overflow
        return self.out
        ### END SOLUTION

    def backward(self, grad):
        ### BEGIN SOLUTION
        return grad * self.out * (1 - self.out)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_Sigmoid", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("Sigmoid", Sigmoid)
### BEGIN HIDDEN TESTS
assert_passes("Sigmoid", Sigmoid)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "01_tanh_task", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Tanh
#
# The same for tanh. Its local slope, 1 − tanh(x)², is again written with the output.

# %% nbgrader={"grade": false, "grade_id": "Tanh", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Tanh(lk.Function):
    """tanh(x), elementwise: x of any shape -> the same shape."""

    def forward(self, x):
        ### BEGIN SOLUTION
        self.out = np.tanh(x)
        return self.out
        ### END SOLUTION

    def backward(self, grad):
        ### BEGIN SOLUTION
        return grad * (1 - self.out * self.out)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_Tanh", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("Tanh", Tanh)
### BEGIN HIDDEN TESTS
assert_passes("Tanh", Tanh)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "01_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# With both checks passing you have written the two squashing functions every gate relies on.
# The lessons in `notebooks/` continue with lesson 2, the learn gate; from there on you
# compose lstmkit Tensors (`x.sigmoid()`, `x.tanh()`), which use ops just like yours.


# %% [markdown] nbgrader={"grade": false, "grade_id": "01_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "01_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
