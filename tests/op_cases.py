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
    ("max axis", lambda a: a.max(axis=0), [(3, 4)], "any"),
    ("max negative axis keepdims", lambda a: a.max(axis=-1, keepdims=True), [(2, 3, 4)], "any"),
    ("reshape", lambda a: a.reshape(3, -1), [(2, 3, 2)], "any"),
    ("transpose", lambda a: a.T, [(2, 3)], "any"),
    ("transpose axes", lambda a: a.transpose(1, 2, 0), [(2, 3, 4)], "any"),
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
    ("cross_entropy batched", lambda a: F.cross_entropy(a, [[1, 0], [2, 2]]), [(2, 2, 3)], "any"),
    ("mse_loss", lambda a, b: F.mse_loss(a, b), [(3, 2), (3, 2)], "any"),
    ("reused node", lambda a: a * a + a.tanh() * a, [(3,)], "any"),
]
OP_CASES += [
    ("matmul vector-vector", lambda a, b: a @ b, [(4,), (4,)], "any"),
    ("pow zero exponent", lambda a: a**0 * a, [(3,)], "any"),
    ("getitem scalar element", lambda a: a[1] * a[2], [(3,)], "any"),
    ("max 0-d", lambda a: a.max() * 2, [()], "any"),
]
