# %% [markdown] nbgrader={"grade": false, "grade_id": "07_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 7: clipping gradients by their global norm
#
# An LSTM's additive Long Term Memory protects it from *vanishing* gradients, but gradients can
# still *explode*: one unlucky batch yields a huge gradient, and a single optimiser step throws the
# weights far away. The usual remedy is to clip by the global norm before each step:
#
# 1. total_norm $= \sqrt{\sum_{g \in \text{grads}} \sum_j g_j^2}$, one norm over every parameter's gradient together;
# 2. if total_norm > max_norm, multiply **every** gradient by max_norm / (total_norm + 1e-6)
#    (the small 1e-6 keeps the division safe when all gradients are zero);
#    otherwise leave them as they are;
# 3. return the list of clipped gradients and total_norm measured *before* clipping
#    (training logs it, to show how large the gradients were).
#
# Because every gradient is scaled by the same factor, the step keeps its direction and only
# gets shorter.
#
# `grads` is a list of plain arrays of any shapes (what `p.grad` holds: NumPy arrays, or CuPy
# arrays on a GPU), `max_norm` a positive float. Return new arrays (do not change the inputs),
# and use only operations that work on both kinds of arrays: `(g * g).sum()`, `float(...)`,
# `g * scale`.

# %% nbgrader={"grade": false, "grade_id": "07_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import numpy as np
import lstmkit as lk
from lstmkit.course import assert_passes, check

# %% nbgrader={"grade": false, "grade_id": "07_example", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Two gradients and their global norm, to see the numbers.
example = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]
print("norm of each:", [float(np.sqrt((g * g).sum())) for g in example])
print("global norm: ", float(np.sqrt(sum((g * g).sum() for g in example))))


# %% nbgrader={"grade": false, "grade_id": "clip_grad_norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_grad_norm(grads, max_norm):
    """Scale gradients so that their global L2 norm is at most max_norm.

    grads: list of arrays of any shapes, max_norm: float
    -> (list of arrays of the same shapes, total norm before clipping as a float).
    """
    ### BEGIN SOLUTION
    total_norm = float(sum(float((g * g).sum()) for g in grads)) ** 0.5
    scale = min(1.0, max_norm / (total_norm + 1e-6))
    return [g * scale for g in grads], total_norm
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_clip_grad_norm", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("clip_grad_norm", clip_grad_norm)
### BEGIN HIDDEN TESTS
assert_passes("clip_grad_norm", clip_grad_norm)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "07_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# lstmkit's trainer clips exactly this way before every optimiser step (its `clip_norm` setting,
# 1.0 by default, through `lstmkit.optim.clip_grad_norm_`, which works in place on the
# parameters' `.grad`). The lessons in `notebooks/` show the gradient norm during training.


# %% [markdown] nbgrader={"grade": false, "grade_id": "07_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "07_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
