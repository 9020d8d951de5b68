"""Every differentiable op with the inputs it is gradient-checked on (CPU and GPU tests share it).

Each case: (name, function of Tensors, list of input shapes, input kind). Kinds:
"any" draws N(0, 1); "positive" draws from [0.5, 2] (log, division, real powers).
"""

from __future__ import annotations

import lstmkit as lk
import lstmkit.functional as F

OP_CASES = [
    ("add broadcast", lambda a, b: a + b, [(3, 4), (4,)], "any"),
    ("add 0-d", lambda a, b: a + b, [(), (2, 3)], "any"),
    ("radd scalar", lambda a: 2.5 + a, [(3,)], "any"),
    ("sub broadcast", lambda a, b: a - b, [(2, 1, 3), (4, 1)], "any"),
    ("rsub scalar", lambda a: 1.0 - a, [(2, 2)], "any"),
    ("mul broadcast", lambda a, b: a * b, [(2, 3), (2, 1)], "any"),
    ("rmul scalar", lambda a: 3 * a, [(4,)], "any"),
    ("div broadcast", lambda a, b: a / b, [(2, 3), (3,)], "positive"),
    ("rtruediv scalar", lambda a: 1.0 / a, [(3,)], "positive"),
    ("neg", lambda a: -a, [(2, 3)], "any"),
    ("pow scalar", lambda a: a**3, [(2, 3)], "any"),
    ("pow fractional", lambda a: a**0.5, [(3,)], "positive"),
    ("pow tensor exponent", lambda a, b: a**b, [(2, 3), (3,)], "positive"),
    ("rpow scalar base", lambda a: 2.0**a, [(3,)], "any"),
    ("matmul 2-D", lambda a, b: a @ b, [(3, 4), (4, 2)], "any"),
    ("matmul batched", lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)], "any"),
    ("matmul broadcast batch", lambda a, b: a @ b, [(2, 3, 4), (4, 5)], "any"),
    ("matmul vector", lambda a, b: a @ b, [(4,), (4, 3)], "any"),
    ("matmul matrix-vector", lambda a, b: a @ b, [(3, 4), (4,)], "any"),
    ("exp", lambda a: a.exp(), [(2, 3)], "any"),
    ("log", lambda a: a.log(), [(2, 3)], "positive"),
    ("tanh", lambda a: a.tanh(), [(2, 3)], "any"),
    ("sigmoid", lambda a: a.sigmoid(), [(2, 3)], "any"),
    ("relu", lambda a: a.relu(), [(3, 4)], "any"),
    ("sum all", lambda a: a.sum(), [(2, 3)], "any"),
    ("sum axis int", lambda a: a.sum(axis=1), [(2, 3, 4)], "any"),
    ("sum negative axis keepdims", lambda a: a.sum(axis=-1, keepdims=True), [(2, 3)], "any"),
    ("sum tuple axes", lambda a: a.sum(axis=(0, 2)), [(2, 3, 4)], "any"),
    ("sum 0-d", lambda a: a.sum(), [()], "any"),
    ("mean all", lambda a: a.mean(), [(2, 3)], "any"),
    ("mean tuple keepdims", lambda a: a.mean(axis=(0, -1), keepdims=True), [(2, 3, 4)], "any"),
    ("max all", lambda a: a.max(), [(2, 3)], "any"),
    ("max dim values", lambda a: a.max(dim=0).values, [(3, 4)], "any"),
    ("max negative dim keepdim", lambda a: a.max(-1, keepdim=True)[0], [(2, 3, 4)], "any"),
    ("amax tuple axes", lambda a: a.amax(dim=(0, 2)), [(2, 3, 4)], "any"),
    ("reshape", lambda a: a.reshape(3, -1), [(2, 3, 2)], "any"),
    ("transpose", lambda a: a.T, [(2, 3)], "any"),
    ("permute", lambda a: a.permute(1, 2, 0), [(2, 3, 4)], "any"),
    ("transpose two dims", lambda a: a.transpose(0, 2), [(2, 3, 4)], "any"),
    ("getitem slice", lambda a: a[1:, ::2], [(3, 4)], "any"),
    ("getitem int and None", lambda a: a[1, None], [(3, 4)], "any"),
    ("getitem integer array repeated", lambda a: a[[0, 2, 0, 0]], [(3, 2)], "any"),
    ("getitem integer arrays 2-D", lambda a: a[[0, 1, 1], [2, 0, 2]], [(2, 3)], "any"),
    ("concat", lambda a, b: lk.concat([a, b], axis=1), [(2, 3), (2, 2)], "any"),
    ("concat negative axis", lambda a, b: lk.concat([a, b], axis=-1), [(2, 1), (2, 2)], "any"),
    ("stack", lambda a, b: lk.stack([a, b], axis=1), [(2, 3), (2, 3)], "any"),
    ("split sizes", lambda a: lk.split(a, [1, 3], axis=1)[1] * 2 + lk.split(a, [1, 3], axis=1)[0], [(2, 4)], "any"),
    ("split chunk", lambda a: a.split(2, axis=0)[1], [(5, 2)], "any"),
    ("where", lambda a, b: lk.where(a.data > 0, a, b), [(3, 4), (4,)], "any"),
    ("clip", lambda a: a.clip(-0.5, 0.5), [(3, 4)], "any"),
    ("astype roundtrip", lambda a: (a.astype("float64") * 2).sum(axis=0), [(2, 3)], "any"),
    ("softmax", lambda a: F.softmax(a, axis=1), [(2, 4)], "any"),
    ("log_softmax", lambda a: F.log_softmax(a), [(3, 5)], "any"),
    ("cross_entropy", lambda a: F.cross_entropy(a, [1, 0, 3]), [(3, 4)], "any"),
    ("cross_entropy (N, C, d)", lambda a: F.cross_entropy(a, [[1, 0, 2], [2, 2, 0]]), [(2, 3, 3)], "any"),
    ("mse_loss", lambda a, b: F.mse_loss(a, b), [(3, 2), (3, 2)], "any"),
    ("reused node", lambda a: a * a + a.tanh() * a, [(3,)], "any"),
]
OP_CASES += [
    ("matmul vector-vector", lambda a, b: a @ b, [(4,), (4,)], "any"),
    ("pow zero exponent", lambda a: a**0 * a, [(3,)], "any"),
    ("getitem scalar element", lambda a: a[1] * a[2], [(3,)], "any"),
    ("max 0-d", lambda a: a.max() * 2, [()], "any"),
]
# torch-named ops (issue 15): each gradient-checked here, cross-checked against torch in
# tests/test_torch_tensor_api.py and tests/test_functional_parity.py
OP_CASES += [
    ("sigmoid tails", lambda a: (a * 30).sigmoid(), [(2, 3)], "any"),
    ("logsigmoid", lambda a: F.logsigmoid(a * 10), [(2, 3)], "any"),
    ("softplus", lambda a: F.softplus(a, beta=2.0, threshold=1.5), [(3, 4)], "any"),
    ("abs", lambda a: a.abs(), [(2, 3)], "any"),
    ("sqrt", lambda a: a.sqrt(), [(2, 3)], "positive"),
    ("clamp", lambda a: a.clamp(min=-0.5), [(3, 4)], "any"),
    ("maximum", lambda a, b: a.maximum(b), [(2, 3), (3,)], "any"),
    ("minimum", lambda a, b: lk.min(a, b), [(2, 3), (2, 1)], "any"),
    ("min dim values", lambda a: a.min(1).values, [(3, 4)], "any"),
    ("amin", lambda a: a.amin(-1), [(3, 4)], "any"),
    ("pow tensor exponent at 0 ** 0", lambda a, b: (a * 0) ** (b * 0) + a ** (b * 0), [(3,), (3,)], "positive"),
    ("var", lambda a: a.var(dim=1), [(3, 4)], "any"),
    ("var correction 0 keepdim", lambda a: a.var((0, 2), keepdim=True, correction=0), [(2, 3, 4)], "any"),
    ("std unbiased", lambda a: a.std(), [(3, 4)], "any"),
    ("sum dim keepdim", lambda a: a.sum(dim=(-1, 0), keepdim=True), [(2, 3, 4)], "any"),
    ("sum axis () reduces nothing", lambda a: a.sum(axis=()) * a, [(2, 3)], "any"),
    ("sum dim () reduces all", lambda a: a.sum(dim=()) * a, [(2, 3)], "any"),
    ("mean 0-d dim -1", lambda a: a.mean(dim=-1) * 3, [()], "any"),
    ("softmax 0-d", lambda a: F.softmax(a, dim=0) * a, [()], "any"),
    ("log_softmax dim 0", lambda a: F.log_softmax(a, dim=0), [(3, 4)], "any"),
    ("view", lambda a: a.view(-1, 2), [(2, 3, 2)], "any"),
    ("unsqueeze squeeze", lambda a: a.unsqueeze(-1).squeeze(0) * 2, [(1, 3)], "any"),
    ("flatten", lambda a: a.flatten(1), [(2, 3, 4)], "any"),
    ("t", lambda a: a.t(), [(2, 3)], "any"),
    ("narrow", lambda a: a.narrow(1, 1, 2), [(3, 4)], "any"),
    ("expand", lambda a: a.expand(2, -1, 3), [(4, 1)], "any"),
    ("clone", lambda a: a.clone() * a, [(3,)], "any"),
    ("cat dim", lambda a, b: lk.cat([a, b], dim=0), [(2, 3), (1, 3)], "any"),
    ("cross_entropy weight smoothing ignore", lambda a: F.cross_entropy(
        a, [1, -100, 3], weight=[0.5, 1.0, 2.0, 1.5], label_smoothing=0.2), [(3, 4)], "any"),
    ("cross_entropy none", lambda a: F.cross_entropy(a, [[1, 0], [2, 2]], reduction="none"), [(2, 3, 2)], "any"),
    ("cross_entropy probabilities", lambda a, b: F.cross_entropy(a, F.softmax(b, dim=1)), [(3, 4), (3, 4)], "any"),
    ("nll_loss", lambda a: F.nll_loss(F.log_softmax(a, dim=1), [2, 0], weight=[1.0, 2.0, 3.0]), [(2, 3)], "any"),
    ("binary_cross_entropy", lambda a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid()), [(2, 3), (2, 3)], "any"),
    ("binary_cross_entropy_with_logits", lambda a, b: F.binary_cross_entropy_with_logits(
        a, b.sigmoid(), pos_weight=lk.tensor([1.0, 2.0, 0.5], dtype="float64"), reduction="sum"), [(2, 3), (2, 3)], "any"),
    ("mse_loss sum", lambda a, b: F.mse_loss(a, b, reduction="sum"), [(3, 2), (3, 2)], "any"),
    ("l1_loss none", lambda a, b: F.l1_loss(a, b, reduction="none"), [(3, 2), (3, 2)], "any"),
    ("linear", lambda x, w, b: F.linear(x, w, b), [(2, 3), (4, 3), (4,)], "any"),
    ("iadd on a graph node", lambda a: _iadd(a * 2, a), [(3,)], "any"),
]


def _iadd(node, other):
    node += other  # recording: a new node, as torch's in-place add records
    return node
