# %% [markdown] nbgrader={"grade": false, "grade_id": "03_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 3: the forget gate
#
# The forget gate looks at the previous **Long Term Memory** LTM_{t-1} and decides, unit by unit,
# how much of it to keep. It reads the same joined input as the learn gate:
#
# * the forget factor $f_t = \sigma(W_f\,[\mathrm{STM}_{t-1}, E_t] + b_f)$, each value in (0, 1):
#   0 erases that unit of the memory, 1 keeps it as it is;
# * the gate's output is $\mathrm{LTM}_{t-1} \odot f_t$.
#
# **Shapes.** `stm_prev` and `ltm_prev` are (batch, hidden) (both memories always have the same
# shape), `event` is (batch, event), `W_f` is (hidden, hidden + event), `b_f` is (hidden,).
# Join with the Short Term Memory first, `lk.concat([stm_prev, event], axis=-1)`, and multiply
# by `W_f.T`. Use lstmkit operations so that the gradient reaches every input.

# %% nbgrader={"grade": false, "grade_id": "03_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import numpy as np
import lstmkit as lk
from lstmkit.course import assert_passes, check

# %% nbgrader={"grade": false, "grade_id": "03_shapes", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Example inputs, to see the shapes (the check uses its own hidden cases).
rng = np.random.default_rng(0)
batch, hidden, event = 2, 3, 4
stm_prev = lk.tensor(rng.standard_normal((batch, hidden)))
event_t = lk.tensor(rng.standard_normal((batch, event)))
W = lk.tensor(rng.standard_normal((hidden, hidden + event)))
joined = lk.concat([stm_prev, event_t], axis=-1)
print("[STM, E]     ", joined.shape)
print("W            ", W.shape)
print("[STM, E] @ W.T", (joined @ W.T).shape)


# %% nbgrader={"grade": false, "grade_id": "forget_gate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def forget_gate(stm_prev, event, ltm_prev, W_f, b_f):
    """The forget gate's output LTM_{t-1} ⊙ f_t.

    stm_prev and ltm_prev (batch, hidden), event (batch, event), W_f (hidden, hidden + event),
    b_f (hidden,) -> (batch, hidden).
    """
    ### BEGIN SOLUTION
    joined = lk.concat([stm_prev, event], axis=-1)
    f_t = (joined @ W_f.T + b_f).sigmoid()
    return ltm_prev * f_t
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_forget_gate", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("forget_gate", forget_gate)
### BEGIN HIDDEN TESTS
assert_passes("forget_gate", forget_gate)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "03_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# What was kept and what was learned are about to meet: lesson 4 in `notebooks/` is the remember gate.


# %% [markdown] nbgrader={"grade": false, "grade_id": "03_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "03_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
