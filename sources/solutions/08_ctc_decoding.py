# %% [markdown] nbgrader={"grade": false, "grade_id": "08_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 8: reading a line from per-column scores (greedy CTC decoding, the CTC probability)
#
# A network that reads a line of text looks at the image one column of pixels at a time and, for
# every column, scores each character **and one extra symbol, the blank**. Most columns show no
# new character (the space between letters, or the second half of a wide letter), and the blank
# is how the network says so.
#
# To turn those scores into text, greedy decoding does three things:
#
# 1. in every column take the best symbol: `path = log_probs.argmax(axis=1)` (one symbol per column);
# 2. **merge runs**: neighbouring columns holding the same symbol become one (`3 3 3` is one `3`);
# 3. **drop the blanks**.
#
# The order matters. With `-` for the blank, the path `- 1 1 - 1 2 2 -` merges to `- 1 - 1 2 -` and
# reads `1 1 2`: the blank between the two 1s is what lets the line hold a double letter.
# Dropping blanks first would glue the 1s together and read `1 2`.
#
# `log_probs` is a (T, C) array of log-probabilities (T columns, C symbols) and `blank` the index
# of the blank. Return the labels as a list of ints (an empty list for an empty line).

# %% nbgrader={"grade": false, "grade_id": "08_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# %load_ext lstmkit
import numpy as np

from lstmkit.course import assert_passes, check

# %% nbgrader={"grade": false, "grade_id": "08_example", "locked": true, "schema_version": 3, "solution": false, "task": false}
# A path of eight columns over the symbols {blank = 0, 1, 2}, written as scores.
path = [0, 1, 1, 0, 1, 2, 2, 0]
example = np.log(np.full((8, 3), 0.1))
example[np.arange(8), path] = np.log(0.8)
print("best symbol per column:", example.argmax(axis=1).tolist())


# %% nbgrader={"grade": false, "grade_id": "greedy_decode", "locked": false, "schema_version": 3, "solution": true, "task": false}
def greedy_decode(log_probs, blank):
    """Best-path CTC decoding: best symbol per column, merge runs, drop blanks.

    log_probs: (T, C) array, blank: int -> list of ints.
    """
    ### BEGIN SOLUTION
    labels = []
    previous = None
    for symbol in np.argmax(log_probs, axis=1):
        symbol = int(symbol)
        if symbol != previous and symbol != blank:
            labels.append(symbol)
        previous = symbol
    return labels
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_greedy_decode", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check("greedy_decode", greedy_decode)
### BEGIN HIDDEN TESTS
assert_passes("greedy_decode", greedy_decode)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "08_forward_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## The probability CTC trains on
#
# Training needs the other direction: how likely is the right text `labels` under the scores,
# summed over **every** path that reads it? There are far too many paths to list, but they share
# their beginnings, and the forward recursion adds them up column by column.
#
# Put a blank before, between and after the labels: `1 2` becomes the states `- 1 - 2 -`
# (2L + 1 of them). Let `alpha[s]` be the probability of all paths through the first t columns
# that end in state s. In the first column a path starts on the first blank or on the first
# label:
#
# * `alpha[0] = probs[0, blank]`, `alpha[1] = probs[0, labels[0]]`, every other state 0.
#
# Each further column t multiplies by `probs[t, symbol of s]` the sum of the ways into s: stay
# (`alpha[s]`), step from the state before (`alpha[s - 1]`), or skip a blank (`alpha[s - 2]`) --
# allowed only when s is a label that differs from the label two states back (between `1` and `1`
# the blank is what makes them two letters). The answer is the sum of the last two states (the
# path ends on the last label or on the blank after it).
#
# `probs` is a (T, C) array of probabilities (each row sums to 1), `labels` a list of ints (no
# blanks) and `blank` the blank's index. Return the probability as a number: 0 when no path fits
# (too few columns), and the product of the blank's probabilities for an empty `labels`.


# %% nbgrader={"grade": false, "grade_id": "ctc_probability", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ctc_probability(probs, labels, blank):
    """The probability of ``labels`` under CTC, summed over every alignment (the forward recursion).

    probs: (T, C) array, labels: list of ints, blank: int -> float.
    """
    ### BEGIN SOLUTION
    states = [blank]
    for label in labels:
        states += [label, blank]
    alpha = np.zeros(len(states))
    alpha[0] = probs[0, blank]
    if len(states) > 1:
        alpha[1] = probs[0, states[1]]
    for t in range(1, len(probs)):
        new = np.zeros(len(states))
        for s, symbol in enumerate(states):
            total = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)
            if s >= 2 and symbol != blank and symbol != states[s - 2]:
                total += alpha[s - 2]
            new[s] = total * probs[t, symbol]
        alpha = new
    return float(alpha[-1] + (alpha[-2] if len(states) > 1 else 0.0))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_ctc_probability", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
check("ctc_probability", ctc_probability)
### BEGIN HIDDEN TESTS
assert_passes("ctc_probability", ctc_probability)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "08_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# lstmkit's `lstmkit.ctc.ctc_greedy_decode` decodes a whole batch this way, and
# `lstmkit.ctc.ctc_beam_search` keeps several prefixes at once, adding up the paths that collapse
# to each. Lesson 9 (`notebooks/09_reading_text.ipynb`) trains a bidirectional LSTM with CTC to
# read lines of text and uses this decoder to show what it reads.


# %% [markdown] nbgrader={"grade": false, "grade_id": "08_progress_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Your progress
#
# Which exercises of the course pass, from your own checks (they are recorded in
# `.lstmkit-progress.json` in this folder):

# %% nbgrader={"grade": false, "grade_id": "08_progress", "locked": true, "schema_version": 3, "solution": false, "task": false} tags=["nbval-ignore-output"]
from lstmkit.course import show_progress

show_progress()
