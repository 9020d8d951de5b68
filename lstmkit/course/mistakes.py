"""Typical mistakes, derived from a reference by rule instead of listed by hand.

A reference is written once as a small expression tree (:class:`Node`), in the
course's names: ``N_t = tanh(W_n [STM_{t-1}, E_t] + b_n)``. The same tree

* evaluates on Tensors (or, for an autograd exercise, on plain arrays), so it is the
  reference and gives its **named intermediates** (N_t, i_t, f_t, ...), against which
  the learner's own tape is compared to find the first one that goes wrong;
* yields, by rule, the family of typical slips (:func:`mutations`): every activation
  swapped for the other or dropped, every bias dropped or added after its activation,
  every weight transposed, every input used where another belongs, joins in the
  other order, ``*`` for ``@`` and ``@`` for ``*``, a term dropped, ``x`` for
  ``1 - x``, ``+`` for ``*`` and ``*`` for ``+``, ``-`` for ``+``, the outputs in the
  wrong order or the wrong one returned. Each comes with a sentence in the course's
  words ("Your N_t uses σ where tanh belongs").

The judge tries the candidates on the hidden cases and names one only when it
reproduces the learner's outputs on every case (:mod:`.judge`). Everything here is
trusted code: it runs in ``check()``'s process and in the grader, never in the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor, concat
from .model import Hint

#: how the course writes each argument
SYMBOLS = {
    "stm_prev": "STM_{t-1}", "event": "E_t", "ltm_prev": "LTM_{t-1}", "ltm": "LTM_t",
    "forget_output": "LTM_{t-1} ⊙ f_t", "x": "x", "grad": "grad", "out": "self.out",
}
ACTIVATIONS = {"tanh": "tanh", "sigmoid": "σ"}


@dataclass(frozen=True)
class Node:
    """One operation of a reference: ``op`` on ``args`` (Nodes), ``name`` if the course names it.

    ops: ``var`` (an argument, ``value`` its name), ``const`` (``value``), ``join``
    ([a, b] on the last axis), ``linear`` (a @ W.T), ``matmul`` (a @ b), ``add``,
    ``sub``, ``mul``, ``div``, ``neg``, ``exp``, ``tanh``, ``sigmoid``, ``pair`` (the
    outputs, in order).
    """

    op: str
    args: tuple[Node, ...] = ()
    name: str = ""
    value: Any = None


def var(name: str) -> Node:
    return Node("var", value=name)


def const(value: float) -> Node:
    return Node("const", value=value)


def op(kind: str, *args: Node, name: str = "") -> Node:
    return Node(kind, tuple(args), name)


def affine(x: Node, weight: str, bias: str) -> Node:
    """x @ W.T + b."""
    return op("add", op("linear", x, var(weight)), var(bias))


# ------------------------------------------------------------------ evaluation


def _sigmoid_array(x: Any) -> Any:
    xp = backend.xp_of(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def evaluate(node: Node, env: dict[str, Any], named: dict[str, Any] | None = None) -> Any:
    """The value of ``node`` with arguments ``env`` (Tensors or arrays); named results go to ``named``."""
    if node.op == "var":
        return env[node.value]
    if node.op == "const":
        return node.value
    values = [evaluate(arg, env, named) for arg in node.args]
    tensors = any(isinstance(v, Tensor) for v in values)
    a = values[0] if values else None
    b = values[1] if len(values) > 1 else None
    if node.op == "join":
        result = concat([a, b], axis=-1) if tensors else backend.xp_of(a).concatenate([a, b], axis=-1)
    elif node.op == "linear":
        result = a @ b.T
    elif node.op == "matmul":
        result = a @ b
    elif node.op in ("add", "sub", "mul", "div"):
        result = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b}[node.op]()
    elif node.op == "neg":
        result = -a
    elif node.op == "exp":
        result = a.exp() if tensors else backend.xp_of(a).exp(a)
    elif node.op == "tanh":
        result = a.tanh() if tensors else backend.xp_of(a).tanh(a)
    elif node.op == "sigmoid":
        result = a.sigmoid() if tensors else _sigmoid_array(a)
    elif node.op == "pair":
        result = tuple(values)
    else:
        raise ValueError(f"unknown op {node.op!r}")
    if named is not None and node.name:
        named[node.name] = result
    return result


def render(node: Node, top: bool = True) -> str:
    """The course's formula for ``node`` (named sub-results by their names)."""
    if node.name and not top:
        return node.name
    if node.op == "var":
        return SYMBOLS.get(node.value, node.value)
    if node.op == "const":
        return f"{node.value:g}"
    parts = [render(arg, top=False) for arg in node.args]
    if node.op == "join":
        return f"[{parts[0]}, {parts[1]}]"
    if node.op == "linear":
        return f"{parts[1]} {parts[0]}"
    if node.op == "matmul":
        return f"{parts[0]} @ {parts[1]}"
    if node.op in ACTIVATIONS:
        return f"{ACTIVATIONS[node.op]}({parts[0]})"
    if node.op in ("exp", "neg"):
        return f"e^({parts[0]})" if node.op == "exp" else f"-{parts[0]}"
    if node.op == "pair":
        return "(" + ", ".join(parts) + ")"
    symbol = {"add": " + ", "sub": " - ", "mul": " ⊙ ", "div": " / "}[node.op]
    wrap = [f"({p})" if arg.op in ("add", "sub") and node.op in ("mul", "div", "sub") and not arg.name else p
            for arg, p in zip(node.args, parts, strict=True)]
    return symbol.join(wrap)


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class Mutation:
    """A reference with one slip, and what the course says about it."""

    tree: Node
    text: str


def _sites(node: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    yield path, node
    for index, arg in enumerate(node.args):
        yield from _sites(arg, path + (index,))


def _replace(node: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    args = list(node.args)
    args[path[0]] = _replace(args[path[0]], path[1:], new)
    return replace(node, args=tuple(args))


def _owner(root: Node, path: tuple[int, ...]) -> str:
    """The name of the nearest named result containing the site, or 'result'."""
    owner, node = "", root
    for index in path:
        if node.name:
            owner = node.name
        node = node.args[index]
    return node.name or owner or "result"


#: named results that are states, and an argument of the same role (for "previous state for the current one")
STATE_NAMES = {"LTM_t": "ltm", "STM_t": "stm_prev", "forget gate's output": "forget_output"}


def _role(name: str) -> str:
    """Arguments of one role may be mixed up with each other: weights, biases, or values (memories, inputs)."""
    if name.startswith("W_"):
        return "weight"
    if name.startswith("b_"):
        return "bias"
    return "value"


def _rules(node: Node, inputs: list[str]) -> Iterator[tuple[Node, str]]:
    """(replacement, phrase) for every rule that applies at ``node``; {at} is the owner's name."""
    act = ACTIVATIONS.get(node.op)
    if act:
        other = "sigmoid" if node.op == "tanh" else "tanh"
        yield replace(node, op=other), f"uses {ACTIVATIONS[other]} where {act} belongs"
        if node.args[0].op == "var":
            arg = render(node.args[0])
            yield (replace(node, args=(op("neg", node.args[0]),)),
                   f"computes {act}(-{arg}) where {act}({arg}) belongs: check the sign")
        yield replace(node.args[0], name=node.name), f"leaves out the {act} (nothing squashes it)"
        inner = node.args[0]
        if inner.op == "add" and inner.args[0].op == "linear" and not inner.name:
            bias = inner.args[1]
            yield (replace(op("add", op(node.op, inner.args[0]), bias), name=node.name),
                   f"adds the bias {render(bias)} after {act}; it belongs inside: {act}(... + {render(bias)})")
        yield op("sub", const(1.0), node, name=node.name), f"uses 1 - {act}(...) where {act}(...) belongs"
    if node.name and node.op in ("add", "mul"):
        for kind, symbol in ACTIVATIONS.items():
            yield (op(kind, replace(node, name=""), name=node.name),
                   f"is squashed by {symbol}; the course has {render(node)}, with no {symbol} around it")
    if node.op == "add" and node.args[0].op == "linear":
        yield replace(node.args[0], name=node.name), f"leaves out the bias {render(node.args[1])}"
    if node.op == "linear":
        weight = render(node.args[1])
        yield replace(node, op="matmul"), f"multiplies by {weight} where {weight}.T belongs (x @ W.T)"
        yield replace(node, op="mul"), f"multiplies elementwise (*) by {weight} where the matrix product @ belongs"
    if node.op == "join":
        a, b = (render(arg) for arg in node.args)
        yield (replace(node, args=node.args[::-1]),
               f"is [{b}, {a}]; the course joins [{a}, {b}]: the first columns of every weight read {a}. "
               f"Use lk.concat([stm_prev, event], axis=-1)")
    if node.op == "mul" and node.args[0] == node.args[1]:
        yield replace(node.args[0], name=node.name), f"uses {render(node.args[0], top=False)} where its square belongs"
    if node.op == "sub" and node.args[1].op == "mul" and node.args[1].args[0] == node.args[1].args[1]:
        a, b = node.args[0], node.args[1].args[0]
        difference = op("sub", a, b)
        yield (replace(op("mul", difference, difference), name=node.name),
               f"squares ({render(difference)}) where {render(node)} belongs: only {render(b, top=False)} is squared")
    if node.op == "mul":
        yield replace(node, op="matmul"), "uses the matrix product @ where the elementwise product ⊙ (*) belongs"
        yield replace(node, op="add"), "adds (+) where the course multiplies (⊙)"
    if node.op == "add":
        yield replace(node, op="mul"), "multiplies (⊙) where the course adds (+)"
    if node.op == "sub":
        yield replace(node, op="add"), "adds where the course subtracts (a minus sign became a plus)"
    if node.op in ("add", "mul", "sub") and node.args[0] != node.args[1]:
        for keep, drop in ((0, 1), (1, 0)):
            dropped = node.args[drop]
            if dropped == var("grad"):
                phrase = "leaves out grad, the incoming gradient: the chain rule multiplies the local slope by it"
            else:
                phrase = f"leaves out {render(dropped, top=False)}: the course has {render(node)}"
            yield replace(node.args[keep], name=node.name or node.args[keep].name), phrase
    if node.op == "neg":
        yield replace(node.args[0], name=node.name), f"drops the minus sign in {render(node)}"
    if node.op == "var" or (node.name and node.name in STATE_NAMES):
        mine = node.value if node.op == "var" else STATE_NAMES[node.name]
        for other in inputs:
            if other != node.value and _role(other) == _role(mine):
                yield var(other), f"uses {render(var(other))} where {render(node, top=False)} belongs"
    if node.op == "pair":
        yield replace(node, args=node.args[::-1]), f"returns {render(node, top=False)} in the other order"
        for index, arg in enumerate(node.args):
            for other_index, other in enumerate(node.args):
                if other_index != index:
                    args = list(node.args)
                    args[index] = other
                    yield (replace(node, args=tuple(args)),
                           f"returns {render(other, top=False)} where {render(arg, top=False)} belongs")


def _replace_all(node: Node, old: Node, new: Node) -> Node:
    if node == old:
        return new
    if not node.args:
        return node
    return replace(node, args=tuple(_replace_all(arg, old, new) for arg in node.args))


def mutations(tree: Node, inputs: list[str], where: str = "") -> list[Mutation]:
    """Every one-slip variant of ``tree`` that the rules give, with its sentence.

    A slip in a part used in several places (the join both gates read) is made in all of
    them at once, as a learner would make it; a slip in a part used once, at that place.
    ``inputs`` are the arguments that may stand in for another of the same role;
    ``where`` names the part of an answer the tree is ("backward").
    """
    counts: dict[Node, int] = {}
    for _, node in _sites(tree):
        counts[node] = counts.get(node, 0) + 1
    found, seen = [], {tree}
    shared_done: set[Node] = set()
    for path, node in _sites(tree):
        shared = counts[node] > 1 and node.op != "const"
        if shared and node in shared_done:
            continue
        shared_done.add(node)
        owner = where or ("join" if node.op == "join" else _owner(tree, path))
        if shared and node.op != "join":
            owner = where or (node.name if node.op != "var" else tree.name) or "answer"
        for new, phrase in _rules(node, inputs):
            variants = [(_replace_all(tree, node, new), owner, shared)] if shared else [
                (_replace(tree, path, new), owner, False)]
            if shared and node.name:  # a named result used twice (LTM_t) may be slipped where it is used once
                variants += [(_replace(tree, p, new), _owner(tree, p[:-1]), False) for p, n in _sites(tree) if n == node]
            for mutated, subject, everywhere in variants:
                if mutated in seen:
                    continue
                seen.add(mutated)
                ending = " (everywhere it is used)." if everywhere and node.op == "var" else "."
                found.append(Mutation(mutated, f"Your {subject} {phrase}{ending}"))
    return found


# ------------------------------------------------------------------ as answers


def tensor_function(tree: Node, signature: tuple[str, ...], prepare: Callable[[dict], dict] | None = None
                    ) -> Callable[..., Any]:
    """A function with ``signature`` that evaluates ``tree`` on its (Tensor) arguments."""

    def answer(*args: Any) -> Any:
        env = dict(zip(signature, args, strict=True))
        return evaluate(tree, prepare(env) if prepare else env)

    return answer


def function_class(forward: Node, backward: Node) -> type[Function]:
    """An autograd Function whose forward evaluates ``forward`` on x and backward ``backward``
    on grad, out (the forward's output) and x."""

    class Variant(Function):
        def forward(self, x):
            self.x = x
            self.out = evaluate(forward, {"x": x})
            return self.out

        def backward(self, grad):
            return evaluate(backward, {"grad": grad, "out": self.out, "x": self.x})

    return Variant


def tree_mistakes(tree: Node, signature: tuple[str, ...], where: str = "") -> Callable[[], tuple[Any, ...]]:
    """A lazy maker of the Hints a reference tree's rule-derived mistakes give."""
    def make() -> tuple[Any, ...]:
        return tuple(Hint(m.text, tensor_function(m.tree, signature)) for m in mutations(tree, list(signature), where))

    return make


def tree_intermediates(tree: Node, signature: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """``f(*args) -> {name: value}``: the named results of ``tree`` on Tensor arguments, in order."""

    def named(*args: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        evaluate(tree, dict(zip(signature, args, strict=True)), found)
        return found

    return named
