# %% [markdown] nbgrader={"grade": false, "grade_id": "08_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercise 8: reading a line from per-column scores (greedy CTC decoding)
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

# %% [markdown] nbgrader={"grade": false, "grade_id": "08_next", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Next
#
# lstmkit's `lstmkit.ctc.ctc_greedy_decode` decodes a whole batch this way, and
# `lstmkit.ctc.ctc_beam_search` keeps several prefixes at once, adding up the paths that collapse
# to each. Lesson 9 (`notebooks/09_reading_text.ipynb`) trains a bidirectional LSTM with CTC to
# read lines of text and uses this decoder to show what it reads.
