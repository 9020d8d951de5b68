# %% [markdown] nbgrader={"grade": false, "grade_id": "06_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 6: one LSTM step, then a whole sequence
#
# **`lstm_cell`** puts the four gates together. Given this step's Event and the two memories
# from the previous step, it returns the new memories:
#
# 1. join [STM_{t-1}, E_t] (Short Term Memory first);
# 2. learn gate: $N_t \odot i_t$; forget gate: $\mathrm{LTM}_{t-1} \odot f_t$;
# 3. remember gate: $\mathrm{LTM}_t = \mathrm{LTM}_{t-1} \odot f_t + N_t \odot i_t$;
# 4. use gate, standard variant: $\mathrm{STM}_t = \tanh(\mathrm{LTM}_t) \odot \sigma(W_v\,[\mathrm{STM}_{t-1}, E_t] + b_v)$;
# 5. return `(stm, ltm)`, Short Term Memory first.
#
# `weights` is a dict with the keys `W_n, b_n, W_i, b_i, W_f, b_f, W_v, b_v`, shaped as in
# exercises 2 to 5. `event` is (batch, event), `stm_prev` and `ltm_prev` are (batch, hidden).
#
# **`unroll`** runs the cell along a sequence: `events` is (T, batch, event) and `events[t]` is
# the Event at step t. Start from `stm0` and `ltm0`, feed each step's memories into the next,
# and return the Short Term Memory of every step stacked into one Tensor (T, batch, hidden):
# `lk.stack(stms, axis=0)`. Call your `lstm_cell` inside.

# %% nbgrader={"grade": false, "grade_id": "06_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import lstmkit as lk
from lstmkit.course import assert_passes, check


# %% nbgrader={"grade": false, "grade_id": "lstm_cell", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lstm_cell(event, stm_prev, ltm_prev, weights):
    """One LSTM step: (STM_t, LTM_t).

    event (batch, event), stm_prev and ltm_prev (batch, hidden), weights: dict of
    W_n, W_i, W_f, W_v (hidden, hidden + event) and b_n, b_i, b_f, b_v (hidden,)
    -> stm, ltm, each (batch, hidden).
    """
    ### BEGIN SOLUTION
    w = weights
    joined = lk.concat([stm_prev, event], axis=-1)

    def gate(name):
        return joined @ w["W_" + name].T + w["b_" + name]

    ltm = ltm_prev * gate("f").sigmoid() + gate("n").tanh() * gate("i").sigmoid()
    stm = ltm.tanh() * gate("v").sigmoid()
    return stm, ltm
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_lstm_cell", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("lstm_cell", lstm_cell)
### BEGIN HIDDEN TESTS
assert_passes("lstm_cell", lstm_cell)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "unroll", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unroll(events, stm0, ltm0, weights):
    """Run lstm_cell along a sequence.

    events (T, batch, event), stm0 and ltm0 (batch, hidden), weights as for lstm_cell
    -> STM_t of every step, (T, batch, hidden).
    """
    ### BEGIN SOLUTION
    stm, ltm = stm0, ltm0
    stms = []
    for t in range(events.shape[0]):
        stm, ltm = lstm_cell(events[t], stm, ltm, weights)
        stms.append(stm)
    return lk.stack(stms, axis=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_unroll", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("unroll", unroll)
### BEGIN HIDDEN TESTS
assert_passes("unroll", unroll)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "06_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# This is the readable LSTM: every operation of every step is on the gradient tape, so
# `backward()` through `unroll` is backpropagation through time. The next lessons in `notebooks/`
# train it, and meet the problem of exploding gradients.


# %% [markdown] nbgrader={"grade": false, "grade_id": "06_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "06_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
