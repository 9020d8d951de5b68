"""Typical wrong answers to every exercise, as a learner writes them, with the mistake each one makes.

``WRONG`` maps a name to (exercise, source, words the hint must contain); the source is a
notebook cell that defines the answer (it may define helpers or stray globals first).
``RIGHT`` holds correct answers written differently from the reference. Both are used by
tests/test_feedback.py, in check() and in lstmkit grade.
"""

from __future__ import annotations

GATE = "import lstmkit as lk\nimport numpy as np\n"
LEARN = "def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):\n    x = lk.concat([stm_prev, event], axis=-1)\n"
FORGET = "def forget_gate(stm_prev, event, ltm_prev, W_f, b_f):\n    x = lk.concat([stm_prev, event], axis=-1)\n"
REMEMBER = ("def remember_gate(stm_prev, event, ltm_prev, W_n, b_n, W_i, b_i, W_f, b_f):\n"
            "    x = lk.concat([stm_prev, event], axis=-1)\n")
ARTICLE = ("def use_gate_article(stm_prev, event, forget_output, W_u, b_u, W_v, b_v):\n"
           "    x = lk.concat([stm_prev, event], axis=-1)\n")
STANDARD = "def use_gate_standard(stm_prev, event, ltm, W_v, b_v):\n    x = lk.concat([stm_prev, event], axis=-1)\n"
CELL = ("def lstm_cell(event, stm_prev, ltm_prev, weights):\n    w = weights\n"
        "    x = lk.concat([stm_prev, event], axis=-1)\n"
        "    n = (x @ w['W_n'].T + w['b_n']).tanh()\n    i = (x @ w['W_i'].T + w['b_i']).sigmoid()\n"
        "    f = (x @ w['W_f'].T + w['b_f']).sigmoid()\n    v = (x @ w['W_v'].T + w['b_v']).sigmoid()\n")
UNROLL = "def unroll(events, stm0, ltm0, weights):\n    stm, ltm, out = stm0, ltm0, []\n"
CLIP = "def clip_grad_norm(grads, max_norm):\n    total = sum(float((g * g).sum()) for g in grads) ** 0.5\n"


def sigmoid(forward: str, backward: str) -> str:
    return (f"class Sigmoid(lk.Function):\n    def forward(self, x):\n        self.x = x\n"
            f"        self.out = {forward}\n        return self.out\n\n"
            f"    def backward(self, grad):\n        x = self.x\n        return {backward}\n")


def tanh(forward: str, backward: str) -> str:
    return sigmoid(forward, backward).replace("class Sigmoid", "class Tanh")


STABLE = "np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))"

WRONG: dict[str, tuple[str, str, str]] = {
    # 01: the sigmoid and tanh as Functions
    "sigmoid_backward_one_plus": ("Sigmoid", sigmoid(STABLE, "grad * self.out * (1 + self.out)"),
                                  "adds where the course subtracts"),
    "sigmoid_no_chain_rule": ("Sigmoid", sigmoid(STABLE, "self.out * (1 - self.out)"), "leaves out grad"),
    "sigmoid_slope_from_input": ("Sigmoid", sigmoid(STABLE, "grad * x * (1 - x)"), "uses x where self.out belongs"),
    "sigmoid_sign": ("Sigmoid", sigmoid("0.5 + 0.5 * np.tanh(-x / 2)", "grad * self.out * (1 - self.out)"),
                     "σ(-x)"),
    "sigmoid_is_tanh": ("Sigmoid", sigmoid("np.tanh(x)", "grad * self.out * (1 - self.out)"),
                        "uses tanh where σ belongs"),
    "sigmoid_overflows": ("Sigmoid", sigmoid("1 / (1 + np.exp(-x))", "grad * self.out * (1 - self.out)"),
                          "np.exp(-np.abs(x))"),
    "tanh_square_outside": ("Tanh", tanh("np.tanh(x)", "grad * (1 - self.out) ** 2"), "squares (1 - self.out)"),
    "tanh_not_squared": ("Tanh", tanh("np.tanh(x)", "grad * (1 - self.out)"), "where its square belongs"),
    "tanh_plus": ("Tanh", tanh("np.tanh(x)", "grad * (1 + self.out ** 2)"), "adds where the course subtracts"),
    "tanh_no_chain_rule": ("Tanh", tanh("np.tanh(x)", "1 - self.out ** 2"), "leaves out grad"),
    "tanh_is_sigmoid": ("Tanh", tanh(STABLE, "grad * (1 - self.out ** 2)"), "uses σ where tanh belongs"),
    # 02: the learn gate
    "learn_matmul_of_gates": ("learn_gate", LEARN + "    return (x @ W_n.T + b_n).tanh() @ (x @ W_i.T + b_i).sigmoid()\n",
                              "combine elementwise"),
    "learn_weight_first": ("learn_gate", LEARN + "    return (W_n @ x.T + b_n).tanh() * (W_i @ x.T + b_i).sigmoid()\n",
                           "W @ x.T gives (hidden, batch)"),
    "learn_sigmoid_for_n": ("learn_gate", LEARN + "    return (x @ W_n.T + b_n).sigmoid() * (x @ W_i.T + b_i).sigmoid()\n",
                            "Your N_t uses σ where tanh belongs"),
    "learn_bias_after_sigmoid": ("learn_gate", LEARN + "    return (x @ W_n.T + b_n).tanh() * ((x @ W_i.T).sigmoid() + b_i)\n",
                                 "adds the bias b_i after σ"),
    "learn_weight_pasted": ("learn_gate", LEARN + "    return (x @ W_n.T + b_n).tanh() * (x @ W_n.T + b_i).sigmoid()\n",
                            "Your i_t uses W_n where W_i belongs"),
    "learn_event_first": ("learn_gate", LEARN.replace("[stm_prev, event]", "[event, stm_prev]")
                          + "    return (x @ W_n.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid()\n", "Your join is [E_t, STM_{t-1}]"),
    "learn_no_bias": ("learn_gate", LEARN + "    return (x @ W_n.T).tanh() * (x @ W_i.T + b_i).sigmoid()\n",
                      "leaves out the bias b_n"),
    "learn_sum": ("learn_gate", LEARN + "    return (x @ W_n.T + b_n).tanh() + (x @ W_i.T + b_i).sigmoid()\n",
                  "adds (+) where the course multiplies"),
    "learn_stray_global": ("learn_gate", "W = lk.tensor(np.ones((3, 7)) * 0.1)\n\n" + LEARN
                           + "    return (x @ W_n.T + b_n).tanh() * (x @ W.T + b_i).sigmoid()\n", "reads W, a global variable"),
    "learn_numpy_tanh": ("learn_gate", LEARN + "    return np.tanh(x @ W_n.T + b_n) * (x @ W_i.T + b_i).sigmoid()\n",
                         "NumPy functions cannot record"),
    # 03: the forget gate
    "forget_one_minus": ("forget_gate", FORGET + "    return ltm_prev * (1 - (x @ W_f.T + b_f).sigmoid())\n",
                         "Your f_t uses 1 - σ(...) where σ(...) belongs"),
    "forget_tanh": ("forget_gate", FORGET + "    return ltm_prev * (x @ W_f.T + b_f).tanh()\n", "Your f_t uses tanh where σ belongs"),
    "forget_scales_stm": ("forget_gate", FORGET + "    return stm_prev * (x @ W_f.T + b_f).sigmoid()\n",
                          "uses STM_{t-1} where LTM_{t-1} belongs"),
    "forget_factor_only": ("forget_gate", FORGET + "    return (x @ W_f.T + b_f).sigmoid()\n", "leaves out LTM_{t-1}"),
    "forget_bias_after": ("forget_gate", FORGET + "    return ltm_prev * ((x @ W_f.T).sigmoid() + b_f)\n",
                          "adds the bias b_f after σ"),
    # 04: the remember gate
    "remember_tanh_of_ltm": ("remember_gate", REMEMBER + "    learned = (x @ W_n.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid()\n"
                             "    return (ltm_prev * (x @ W_f.T + b_f).sigmoid() + learned).tanh()\n", "is squashed by tanh"),
    "remember_product": ("remember_gate", REMEMBER + "    learned = (x @ W_n.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid()\n"
                         "    return ltm_prev * (x @ W_f.T + b_f).sigmoid() * learned\n", "multiplies (⊙) where the course adds"),
    "remember_no_forgetting": ("remember_gate", REMEMBER + "    learned = (x @ W_n.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid()\n"
                               "    return ltm_prev + learned\n", "leaves out f_t"),
    "remember_weight_pasted": ("remember_gate", REMEMBER + "    learned = (x @ W_f.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid()\n"
                               "    return ltm_prev * (x @ W_f.T + b_f).sigmoid() + learned\n", "Your N_t uses W_f where W_n belongs"),
    # 05: the use gate
    "article_untransposed": ("use_gate_article", ARTICLE + "    return (forget_output @ W_u + b_u).tanh() * (x @ W_v.T + b_v).sigmoid()\n",
                             "multiplies by W_u where W_u.T belongs"),
    "article_tanh_for_v": ("use_gate_article", ARTICLE + "    return (forget_output @ W_u.T + b_u).tanh() * (x @ W_v.T + b_v).tanh()\n",
                           "Your V_t uses tanh where σ belongs"),
    "article_no_bias_u": ("use_gate_article", ARTICLE + "    return (forget_output @ W_u.T).tanh() * (x @ W_v.T + b_v).sigmoid()\n",
                          "leaves out the bias b_u"),
    "standard_unsquashed": ("use_gate_standard", STANDARD + "    return ltm * (x @ W_v.T + b_v).sigmoid()\n", "leaves out the tanh"),
    "standard_sigmoid_of_ltm": ("use_gate_standard", STANDARD + "    return ltm.sigmoid() * (x @ W_v.T + b_v).sigmoid()\n",
                                "uses σ where tanh belongs"),
    # 06: the cell and unroll
    "cell_swapped_outputs": ("lstm_cell", CELL + "    ltm = ltm_prev * f + n * i\n    return ltm, ltm.tanh() * v\n",
                             "in the other order"),
    "cell_old_memory": ("lstm_cell", CELL + "    ltm = ltm_prev * f + n * i\n    return ltm_prev.tanh() * v, ltm\n",
                        "uses LTM_{t-1} where LTM_t belongs"),
    "cell_no_forgetting": ("lstm_cell", CELL + "    ltm = ltm_prev + n * i\n    return ltm.tanh() * v, ltm\n", "leaves out f_t"),
    "cell_bias_after": ("lstm_cell", CELL.replace("v = (x @ w['W_v'].T + w['b_v']).sigmoid()", "v = (x @ w['W_v'].T).sigmoid() + w['b_v']")
                        + "    ltm = ltm_prev * f + n * i\n    return ltm.tanh() * v, ltm\n", "adds the bias b_v after σ"),
    "unroll_arguments_swapped": ("unroll", UNROLL + "    for t in range(events.shape[0]):\n"
                                 "        stm, ltm = lstm_cell(events[t], ltm, stm, weights)\n        out.append(stm)\n"
                                 "    return lk.stack(out, axis=0)\n", "memories in the wrong order"),
    "unroll_not_carried": ("unroll", UNROLL + "    for t in range(events.shape[0]):\n"
                           "        stm, ltm = lstm_cell(events[t], stm0, ltm0, weights)\n        out.append(stm)\n"
                           "    return lk.stack(out, axis=0)\n", "restarts every step"),
    "unroll_time_axis": ("unroll", UNROLL + "    for t in range(events.shape[0]):\n"
                         "        stm, ltm = lstm_cell(events[t], stm, ltm, weights)\n        out.append(stm)\n"
                         "    return lk.stack(out, axis=1)\n", "stacks the steps on axis 1"),
    "unroll_collects_ltm": ("unroll", UNROLL + "    for t in range(events.shape[0]):\n"
                            "        stm, ltm = lstm_cell(events[t], stm, ltm, weights)\n        out.append(ltm)\n"
                            "    return lk.stack(out, axis=0)\n", "collects LTM_t"),
    "unroll_off_by_one": ("unroll", UNROLL + "    for t in range(events.shape[0]):\n        out.append(stm)\n"
                          "        stm, ltm = lstm_cell(events[t], stm, ltm, weights)\n"
                          "    return lk.stack(out, axis=0)\n", "off by one"),
    # 07: clipping
    "clip_inverted": ("clip_grad_norm", CLIP + "    scale = max_norm / (total + 1e-6) if total < max_norm else 1.0\n"
                      "    return [g * scale for g in grads], total\n", "wrong way round"),
    "clip_sum_of_norms": ("clip_grad_norm", "def clip_grad_norm(grads, max_norm):\n"
                          "    total = sum(float((g * g).sum()) ** 0.5 for g in grads)\n"
                          "    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], total\n", "adds up the norms"),
    "clip_per_array": ("clip_grad_norm", "def clip_grad_norm(grads, max_norm):\n"
                       "    out = [g * min(1.0, max_norm / (float((g * g).sum()) ** 0.5 + 1e-6)) for g in grads]\n"
                       "    return out, sum(float((g * g).sum()) for g in grads) ** 0.5\n", "by its own norm"),
    "clip_no_threshold": ("clip_grad_norm", CLIP + "    return [g * (max_norm / (total + 1e-6)) for g in grads], total\n",
                          "no threshold"),
    "clip_in_place": ("clip_grad_norm", CLIP + "    for g in grads:\n        g *= min(1.0, max_norm / (total + 1e-6))\n"
                      "    return grads, total\n", "changed its input"),
    "clip_no_root": ("clip_grad_norm", "def clip_grad_norm(grads, max_norm):\n"
                     "    total = sum(float((g * g).sum()) for g in grads)\n"
                     "    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], total\n", "without the square root"),
}

#: a correct lstm_cell for the unroll answers above, and a wrong one for the composite case
GOOD_CELL = CELL + "    ltm = ltm_prev * f + n * i\n    return ltm.tanh() * v, ltm\n"
BAD_CELL = CELL.replace("n = (x @ w['W_n'].T + w['b_n']).tanh()", "n = (x @ w['W_n'].T + w['b_n']).sigmoid()") + (
    "    ltm = ltm_prev * f + n * i\n    return ltm.tanh() * v, ltm\n")
GOOD_UNROLL = (UNROLL + "    for t in range(events.shape[0]):\n        stm, ltm = lstm_cell(events[t], stm, ltm, weights)\n"
               "        out.append(stm)\n    return lk.stack(out, axis=0)\n")
WRONG["unroll_right_on_a_wrong_cell"] = ("unroll", GOOD_UNROLL, "the lstm_cell it calls is not. Your N_t uses σ")

RIGHT: dict[str, tuple[str, str]] = {
    "sigmoid_stable_where": ("Sigmoid", sigmoid(STABLE, "grad * self.out * (1 - self.out)")),
    "sigmoid_through_tanh": ("Sigmoid", sigmoid("0.5 + 0.5 * np.tanh(x / 2)", "grad * (self.out - self.out ** 2)")),
    "tanh_numpy": ("Tanh", tanh("np.tanh(x)", "grad - grad * self.out * self.out")),
    "learn_split_weights": ("learn_gate", "def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):\n"
                            "    h = stm_prev.shape[-1]\n"
                            "    n = (stm_prev @ W_n[:, :h].T + event @ W_n[:, h:].T + b_n).tanh()\n"
                            "    i = (stm_prev @ W_i[:, :h].T + event @ W_i[:, h:].T + b_i).sigmoid()\n    return i * n\n"),
    "learn_functional": ("learn_gate", LEARN + "    F = lk.functional\n"
                         "    return F.tanh(x @ W_n.T + b_n) * F.sigmoid(x @ W_i.T + b_i)\n"),
    "learn_sigmoid_through_tanh": ("learn_gate", LEARN + "    i = 0.5 * (1 + ((x @ W_i.T + b_i) * 0.5).tanh())\n"
                                   "    return (x @ W_n.T + b_n).tanh() * i\n"),
    "learn_loop_over_rows": ("learn_gate", "def learn_gate(stm_prev, event, W_n, b_n, W_i, b_i):\n    rows = []\n"
                             "    for b in range(stm_prev.shape[0]):\n"
                             "        x = lk.concat([stm_prev[b], event[b]], axis=-1)\n"
                             "        rows.append((x @ W_n.T + b_n).tanh() * (x @ W_i.T + b_i).sigmoid())\n"
                             "    return lk.stack(rows, axis=0)\n"),
    "forget_helper": ("forget_gate", "def factor(x, W, b):\n    return (x @ W.T + b).sigmoid()\n\n"
                      + FORGET + "    return factor(x, W_f, b_f) * ltm_prev\n"),
    "cell_with_helpers": ("lstm_cell", GOOD_CELL),
    "unroll_while": ("unroll", UNROLL + "    t = 0\n    while t < events.shape[0]:\n"
                     "        stm, ltm = lstm_cell(events[t], stm, ltm, weights)\n        out.append(stm)\n        t += 1\n"
                     "    return lk.stack(out, axis=0)\n"),
    "clip_copies_scaled_in_place": ("clip_grad_norm", CLIP + "    out = [g.copy() for g in grads]\n    if total > max_norm:\n"
                                    "        for c in out:\n            c *= max_norm / (total + 1e-6)\n    return out, total\n"),
}

#: the notebook each exercise's answer goes in, and the other answers it needs there
NOTEBOOK = {"Sigmoid": "01_autograd", "Tanh": "01_autograd", "learn_gate": "02_learn_gate",
            "forget_gate": "03_forget_gate", "remember_gate": "04_remember_gate", "use_gate_article": "05_use_gate",
            "use_gate_standard": "05_use_gate", "lstm_cell": "06_lstm_cell", "unroll": "06_lstm_cell",
            "clip_grad_norm": "07_clip_grad_norm"}


def cells(name: str, exercise: str, source: str) -> dict[str, str]:
    """grade_id -> source for a notebook holding this answer (unroll answers get a cell to call)."""
    answers = {exercise: GATE + source}
    if exercise == "unroll":
        answers["lstm_cell"] = GATE + (BAD_CELL if name == "unroll_right_on_a_wrong_cell" else GOOD_CELL)
    return answers


# 08: greedy CTC decoding
DECODE = "def greedy_decode(log_probs, blank):\n    path = [int(s) for s in np.argmax(log_probs, axis=1)]\n"
WRONG.update({
    "decode_drop_blanks_first": ("greedy_decode", DECODE + "    kept = [s for s in path if s != blank]\n"
                                 "    return [s for k, s in enumerate(kept) if k == 0 or kept[k - 1] != s]\n",
                                 "drop the blanks before merging"),
    "decode_no_merge": ("greedy_decode", DECODE + "    return [s for s in path if s != blank]\n",
                        "must be merged"),
    "decode_keeps_blank": ("greedy_decode", DECODE + "    return [s for k, s in enumerate(path) if k == 0 or path[k - 1] != s]\n",
                           "still holds the blank"),
    "decode_over_time": ("greedy_decode", "def greedy_decode(log_probs, blank):\n"
                         "    path = [int(s) for s in np.argmax(log_probs, axis=0)]\n"
                         "    return [s for k, s in enumerate(path) if s != blank and (k == 0 or path[k - 1] != s)]\n",
                         "over time (axis 0)"),
    "decode_each_label_once": ("greedy_decode", DECODE + "    out = []\n    for s in path:\n"
                               "        if s != blank and s not in out:\n            out.append(s)\n    return out\n",
                               "only once"),
})
RIGHT.update({
    "decode_loop_with_previous": ("greedy_decode", DECODE + "    out, previous = [], None\n    for s in path:\n"
                                  "        if s != previous and s != blank:\n            out.append(s)\n"
                                  "        previous = s\n    return out\n"),
    "decode_numpy": ("greedy_decode", "def greedy_decode(log_probs, blank):\n    path = np.argmax(log_probs, axis=1)\n"
                     "    keep = np.ones(len(path), dtype=bool)\n    keep[1:] = path[1:] != path[:-1]\n"
                     "    path = path[keep]\n    return path[path != blank].tolist()\n"),
})
NOTEBOOK["greedy_decode"] = "08_ctc_decoding"

FORWARD = ("def ctc_probability(probs, labels, blank):\n    states = [blank]\n    for label in labels:\n"
           "        states += [label, blank]\n    alpha = np.zeros(len(states))\n    alpha[0] = probs[0, blank]\n"
           "    if len(states) > 1:\n        alpha[1] = probs[0, states[1]]\n    for t in range(1, len(probs)):\n"
           "        new = np.zeros(len(states))\n        for s, symbol in enumerate(states):\n")


def forward(step: str, end: str = "alpha[-1] + (alpha[-2] if len(states) > 1 else 0.0)") -> str:
    """A ctc_probability whose inner step is ``step`` (it sets ``total``) and whose answer is ``end``."""
    return FORWARD + step + "            new[s] = total * probs[t, symbol]\n        alpha = new\n" + f"    return float({end})\n"


RIGHT_STEP = ("            total = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)\n"
              "            if s >= 2 and symbol != blank and symbol != states[s - 2]:\n"
              "                total += alpha[s - 2]\n")
WRONG.update({
    "forward_skips_between_repeats": ("ctc_probability", forward(RIGHT_STEP.replace(" and symbol != states[s - 2]", "")),
                                      "skip the blank between two equal labels"),
    "forward_never_skips": ("ctc_probability", forward(
        "            total = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)\n"), "never skip a blank"),
    "forward_ends_on_blank": ("ctc_probability", forward(RIGHT_STEP, end="alpha[-1]"), "end on the final blank"),
    "forward_best_path": ("ctc_probability", forward(
        "            total = max(alpha[s], alpha[s - 1] if s >= 1 else 0.0)\n"
        "            if s >= 2 and symbol != blank and symbol != states[s - 2]:\n"
        "                total = max(total, alpha[s - 2])\n", end="max(alpha[-1], alpha[-2] if len(states) > 1 else 0.0)"),
        "best single path"),
})
RIGHT["forward_as_matrix"] = ("ctc_probability", forward(RIGHT_STEP))
NOTEBOOK["ctc_probability"] = "08_ctc_decoding"

