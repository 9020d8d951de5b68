# %% [markdown] nbgrader={"grade": false, "grade_id": "05_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 5: the use gate, two ways
#
# The use gate produces the new **Short Term Memory** STM_t, which is also the cell's output at
# this step. Both variants below share the use factor
#
# $$V_t = \sigma(W_v\,[\mathrm{STM}_{t-1}, E_t] + b_v)$$
#
# (how much to say, in (0, 1); PyTorch calls it the output gate $o_t$) and multiply it with a
# memory side $U_t$ (what could be said, in (−1, 1)): $\mathrm{STM}_t = U_t \odot V_t$.
# They differ in $U_t$.
#
# **As the lesson draws it** (`use_gate_article`): $U_t = \tanh(W_u\,(\mathrm{LTM}_{t-1} \odot f_t) + b_u)$.
# It reads the forget gate's output (what survived of the old memory), through its own weights
# `W_u` (hidden, hidden) and `b_u` (hidden,). So whatever the learn gate adds in this step
# cannot reach STM_t directly.
#
# **As PyTorch and cuDNN compute it** (`use_gate_standard`): $U_t = \tanh(\mathrm{LTM}_t)$. It reads the
# *new* Long Term Memory, the remember gate's output, and has no weights of its own.
#
# **Shapes.** `stm_prev`, `forget_output`, `ltm` are (batch, hidden), `event` is (batch, event),
# `W_v` is (hidden, hidden + event), `W_u` is (hidden, hidden), the biases (hidden,).
# One row per example, so W_u times the memory is `forget_output @ W_u.T`.

# %% nbgrader={"grade": false, "grade_id": "05_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import lstmkit as lk
from lstmkit.course import assert_passes, check


# %% nbgrader={"grade": false, "grade_id": "use_gate_article", "locked": false, "schema_version": 3, "solution": true, "task": false}
def use_gate_article(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):
    """STM_t = tanh(W_u (LTM_{t-1} ⊙ f_t) + b_u) ⊙ σ(W_v [STM_{t-1}, E_t] + b_v).

    stm_prev and forget_output (batch, hidden), event (batch, event), W_u (hidden, hidden),
    W_v (hidden, hidden + event), b_u and b_v (hidden,) -> (batch, hidden).
    """
    ### BEGIN SOLUTION
    U_t = (forget_output @ W_u.T + b_u).tanh()
    V_t = (lk.concat([stm_prev, event], axis=-1) @ W_v.T + b_v).sigmoid()
    return U_t * V_t
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_use_gate_article", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("use_gate_article", use_gate_article)
### BEGIN HIDDEN TESTS
assert_passes("use_gate_article", use_gate_article)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "use_gate_standard", "locked": false, "schema_version": 3, "solution": true, "task": false}
def use_gate_standard(stm_prev, event, ltm, W_v, b_v):
    """STM_t = tanh(LTM_t) ⊙ σ(W_v [STM_{t-1}, E_t] + b_v).

    stm_prev and ltm (batch, hidden), event (batch, event), W_v (hidden, hidden + event),
    b_v (hidden,) -> (batch, hidden).
    """
    ### BEGIN SOLUTION
    V_t = (lk.concat([stm_prev, event], axis=-1) @ W_v.T + b_v).sigmoid()
    return ltm.tanh() * V_t
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_use_gate_standard", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("use_gate_standard", use_gate_standard)
### BEGIN HIDDEN TESTS
assert_passes("use_gate_standard", use_gate_standard)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "05_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# You now have all four gates. Lesson 6 in `notebooks/` puts them together into one LSTM step
# and runs it along a sequence; it uses the standard use gate, as PyTorch does, and the lesson
# compares both variants on the same task.


# %% [markdown] nbgrader={"grade": false, "grade_id": "05_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "05_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
