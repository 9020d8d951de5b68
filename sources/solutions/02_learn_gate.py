# %% [markdown] nbgrader={"grade": false, "grade_id": "02_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 2: the learn gate
#
# At step t an LSTM cell reads the **Event** E_t (this step's input) and the previous
# **Short Term Memory** STM_{t-1}. The learn gate decides what new information is worth
# writing into the **Long Term Memory**:
#
# * the learn matrix $N_t = \tanh(W_n\,[\mathrm{STM}_{t-1}, E_t] + b_n)$ proposes new information, each value in (−1, 1);
# * the ignore factor $i_t = \sigma(W_i\,[\mathrm{STM}_{t-1}, E_t] + b_i)$ says how much of each proposal to keep, in (0, 1);
# * the gate's output is $N_t \odot i_t$ ($\odot$ is the elementwise product).
#
# **Shapes.** Inputs come in batches, one row per example: `stm_prev` is (batch, hidden),
# `event` is (batch, event), `W_n` and `W_i` are (hidden, hidden + event), `b_n` and `b_i`
# are (hidden,). The joined input [STM_{t-1}, E_t] puts the Short Term Memory **first**:
# `lk.concat([stm_prev, event], axis=-1)` is (batch, hidden + event). Because each example is
# a row, "W times the joined vector" becomes `joined @ W.T`.
#
# Use lstmkit operations only (`@`, `+`, `*`, `.T`, `.tanh()`, `.sigmoid()`, `lk.concat`), so that
# gradients can flow back to every input and weight: the check compares both values and gradients.

# %% nbgrader={"grade": false, "grade_id": "02_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import numpy as np
import lstmkit as lk
from lstmkit.course import assert_passes, check

# %% nbgrader={"grade": false, "grade_id": "02_shapes", "locked": true, "schema_version": 3, "solution": false, "task": false}
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


# %% nbgrader={"grade": false, "grade_id": "learn_gate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):
    """The learn gate's output N_t ⊙ i_t.

    stm_prev (batch, hidden), event (batch, event), W_n and W_i (hidden, hidden + event),
    b_n and b_i (hidden,) -> (batch, hidden).
    """
    ### BEGIN SOLUTION
    joined = lk.concat([stm_prev, event], axis=-1)
    N_t = (joined @ W_n.T + b_n).tanh()
    i_t = (joined @ W_i.T + b_i).sigmoid()
    return N_t * i_t
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_learn_gate", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("learn_gate", learn_gate)
### BEGIN HIDDEN TESTS
assert_passes("learn_gate", learn_gate)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "02_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# The learn gate is what a step *adds*. Lesson 3 in `notebooks/` looks at the other half of
# updating the Long Term Memory: the forget gate, which decides what to *keep*.


# %% [markdown] nbgrader={"grade": false, "grade_id": "02_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "02_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
