# %% [markdown] nbgrader={"grade": false, "grade_id": "04_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 4: the remember gate
#
# The remember gate writes the new **Long Term Memory**. It adds what the forget gate kept of
# the old memory to what the learn gate learned from this step:
#
# $$\mathrm{LTM}_t = \mathrm{LTM}_{t-1} \odot f_t + N_t \odot i_t$$
#
# with, as in exercises 2 and 3,
# $N_t = \tanh(W_n\,[\mathrm{STM}_{t-1}, E_t] + b_n)$, $i_t = \sigma(W_i\,[\mathrm{STM}_{t-1}, E_t] + b_i)$ and
# $f_t = \sigma(W_f\,[\mathrm{STM}_{t-1}, E_t] + b_f)$.
#
# Because the memory is *added to* rather than rewritten, a unit whose forget factor stays
# near 1 carries its value (and its gradient) across many steps: this sum is what lets an LSTM
# remember for long.
#
# Write `remember_gate` from the raw inputs. You may paste your `learn_gate` and `forget_gate`
# from exercises 2 and 3 into the cell as helpers and call them, or write everything inline.
# Shapes are those of the two earlier gates; the result is (batch, hidden).

# %% nbgrader={"grade": false, "grade_id": "04_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import lstmkit as lk
from lstmkit.course import assert_passes, check


# %% nbgrader={"grade": false, "grade_id": "remember_gate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def remember_gate(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):
    """The new Long Term Memory LTM_t = LTM_{t-1} ⊙ f_t + N_t ⊙ i_t.

    stm_prev and ltm_prev (batch, hidden), event (batch, event),
    W_n, W_i, W_f (hidden, hidden + event), b_n, b_i, b_f (hidden,) -> (batch, hidden).
    """
    ### BEGIN SOLUTION
    joined = lk.concat([stm_prev, event], axis=-1)
    learned = (joined @ W_n.T + b_n).tanh() * (joined @ W_i.T + b_i).sigmoid()
    kept = ltm_prev * (joined @ W_f.T + b_f).sigmoid()
    return kept + learned
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_remember_gate", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("remember_gate", remember_gate)
### BEGIN HIDDEN TESTS
assert_passes("remember_gate", remember_gate)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "04_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# The Long Term Memory is updated; what remains is to decide what the cell *says*.
# Lesson 5 in `notebooks/` is the use gate, in two variants.


# %% [markdown] nbgrader={"grade": false, "grade_id": "04_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "04_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
