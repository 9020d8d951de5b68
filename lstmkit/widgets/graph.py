"""Draw a Tensor's computation graph as SVG, laid out here (no Graphviz, no system binary).

The graph is walked back from the output through ``tensor._creator`` (the op that made
it) and ``fn.inputs`` (the tensors that op read). Ops are placed in columns by their
longest distance from the output, so inputs sit on the left and the output on the right;
a barycentre sweep orders each column to keep edges short.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..autograd.tensor import Tensor
from ..nn.module import Module, Parameter

NODE_W, NODE_H, COL_W, ROW_H, PAD = 136, 42, 178, 58, 24
TD_COL_W, TD_ROW_H = 150, 70  # spacing when a deep graph is drawn top to bottom
FITS_WIDTH = 1500  # px: a wider left-to-right drawing (scaled below ~60% in a notebook) is turned top to bottom
LEGEND_W = 560
STYLES = {  # kind -> (fill, stroke, corner radius, legend text)
    "param": ("#fff3c4", "#b8860b", 3, "parameter"),
    "leaf": ("#e6f4ea", "#2e7d32", 3, "leaf, requires grad"),
    "const": ("#f1f1f1", "#9e9e9e", 3, "constant (no grad)"),
    "op": ("#e3f2fd", "#1565c0", 16, "op (grad_fn)"),
    "output": ("#fdecea", "#c62828", 3, "output"),
    "more": ("#ffffff", "#9e9e9e", 3, "not drawn"),
}


@dataclass
class _Node:
    key: int
    kind: str
    title: str
    detail: str
    inputs: list[int] = field(default_factory=list)
    layer: int = 0
    row: float = 0.0


class GraphDrawing:
    """A drawn graph: shows itself in Jupyter (SVG); ``svg`` holds the markup, ``save(path)`` writes it."""

    def __init__(self, svg: str, nodes: int, truncated: bool) -> None:
        self.svg, self.nodes, self.truncated = svg, nodes, truncated

    def _repr_html_(self) -> str:
        """An ``<img>`` of the SVG, scaled down to the output's width.

        An image is what a notebook shows even before it is trusted (inline SVG is stripped
        from untrusted output, leaving its text as a jumble), and it scales as one piece.
        """
        data = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return (f'<img class="lstmkit-graph" alt="{html.escape(repr(self))}" '
                f'src="data:image/svg+xml;base64,{data}" style="max-width:100%;height:auto">')

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path``; returns the path."""
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<GraphDrawing: {self.nodes} nodes{' (truncated)' if self.truncated else ''}>"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _names(names: Mapping[str, Tensor] | Module | None) -> dict[int, str]:
    if names is None:
        return {}
    if isinstance(names, Module):
        return {id(p): n for n, p in names.named_parameters()}
    return {id(t): n for n, t in names.items()}


def _collect(root: Tensor, labels: dict[int, str], max_nodes: int) -> tuple[dict[int, _Node], int, bool]:
    """Nodes keyed by id (tensors for leaves and the output, Functions for ops); returns the root key."""
    nodes: dict[int, _Node] = {}
    truncated = False

    def leaf(t: Tensor) -> int:
        if id(t) not in nodes:
            kind = "param" if isinstance(t, Parameter) else "leaf" if t.requires_grad else "const"
            title = labels.get(id(t), {"param": "parameter", "leaf": "leaf", "const": "constant"}[kind])
            nodes[id(t)] = _Node(id(t), kind, title, f"{_shape(t.shape)} {t.dtype}")
        return id(t)

    if root._creator is None:
        return nodes, leaf(root), False
    out = _Node(id(root), "output", labels.get(id(root), "output"),
                f"{_shape(root.shape)} grad_fn={root._creator.name}", [id(root._creator)])
    nodes[out.key] = out
    stack = [root._creator]
    while stack:
        fn = stack.pop()
        if id(fn) in nodes:
            continue
        shapes = ", ".join(_shape(meta[0]) for meta in getattr(fn, "output_meta", ()))
        node = _Node(id(fn), "op", fn.name, shapes)
        nodes[id(fn)] = node
        if len(nodes) >= max_nodes:
            truncated = True
            more = _Node(-id(fn), "more", "…", f"{len(fn.inputs)} input(s) not drawn")
            nodes[more.key] = more
            node.inputs.append(more.key)
            continue
        for t in fn.inputs:
            if t._creator is None:
                node.inputs.append(leaf(t))
            else:
                node.inputs.append(id(t._creator))
                stack.append(t._creator)
    return nodes, out.key, truncated


def _layout(nodes: dict[int, _Node], root: int) -> int:
    """Set each node's layer (longest distance from the root) and row; returns the number of layers."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:  # iterative post-order: inputs before the ops that read them
        key, expanded = stack.pop()
        if expanded:
            order.append(key)
            continue
        if key in seen:
            continue
        seen.add(key)
        stack.append((key, True))
        stack.extend((k, False) for k in reversed(nodes[key].inputs) if k not in seen)
    for key in reversed(order):  # consumers before inputs
        for k in nodes[key].inputs:
            nodes[k].layer = max(nodes[k].layer, nodes[key].layer + 1)
    depth = max(n.layer for n in nodes.values()) + 1
    columns: list[list[_Node]] = [[] for _ in range(depth)]
    for key in reversed(order):
        columns[nodes[key].layer].append(nodes[key])
    consumers: dict[int, list[int]] = {}
    for node in nodes.values():
        for k in node.inputs:
            consumers.setdefault(k, []).append(node.key)
    for column in columns:
        for i, node in enumerate(column):
            node.row = float(i)
    for column in columns[1:]:  # order each column by the mean row of its consumers
        column.sort(key=lambda n: sum(nodes[c].row for c in consumers.get(n.key, [n.key])) /
                    max(len(consumers.get(n.key, [])), 1))
        for i, node in enumerate(column):
            node.row = float(i)
    height = max(len(c) for c in columns)
    for column in columns:  # centre short columns
        offset = (height - len(column)) / 2
        for node in column:
            node.row += offset
    return depth


def draw_graph(
    root: Tensor, names: Mapping[str, Tensor] | Module | None = None, *, max_nodes: int = 300
) -> GraphDrawing:
    """Draw the graph that produced ``root``: leaves, parameters, constants, ops and shapes.

    ``names`` labels tensors: a Module (its parameters' dotted names) or ``{"W_n": W_n, ...}``.
    Graphs with more than ``max_nodes`` nodes are cut, and the drawing says so.
    Deep graphs are drawn top to bottom when that is narrower; in Jupyter the drawing is
    an image scaled to the output's width. Returns a GraphDrawing (``.svg`` for the markup).
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: expected an lstmkit Tensor, got {type(root).__name__}.")
    nodes, root_key, truncated = _collect(root, _names(names), max_nodes)
    depth = _layout(nodes, root_key)
    rows = max(int(n.row) for n in nodes.values()) + 1
    across = depth * COL_W + 2 * PAD  # width when drawn left to right
    down = across > FITS_WIDTH and rows * TD_COL_W + 2 * PAD < across  # a deep graph reads top to bottom
    if down:
        width, height = max(rows * TD_COL_W + 2 * PAD, LEGEND_W), depth * TD_ROW_H + 2 * PAD + 30
    else:
        width, height = max(across, LEGEND_W), rows * ROW_H + 2 * PAD + 30

    def centre(node: _Node) -> tuple[float, float]:
        if down:
            return (PAD + node.row * TD_COL_W + NODE_W / 2,
                    PAD + 30 + (depth - 1 - node.layer) * TD_ROW_H + NODE_H / 2)
        return PAD + (depth - 1 - node.layer) * COL_W + NODE_W / 2, PAD + 30 + node.row * ROW_H + NODE_H / 2

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" style="background:white">']
    x = PAD
    drawn = {node.kind for node in nodes.values()}
    for kind in (k for k in STYLES if k in drawn):  # legend: the kinds this drawing has
        fill, stroke, radius, text = STYLES[kind]
        parts.append(f'<rect x="{x}" y="8" width="14" height="14" rx="{min(radius, 7)}" fill="{fill}" '
                     f'stroke="{stroke}"/><text x="{x + 19}" y="20" font-size="11" fill="#444">{text}</text>')
        x += 24 + 6.2 * len(text)
    for node in nodes.values():  # edges first, under the boxes
        tx, ty = centre(node)
        for k in node.inputs:
            sx, sy = centre(nodes[k])
            if down:
                sy, ey = sy + NODE_H / 2, ty - NODE_H / 2
                mid = (sy + ey) / 2
                curve = f"M{sx:.1f},{sy:.1f} C{sx:.1f},{mid:.1f} {tx:.1f},{mid:.1f} {tx:.1f},{ey:.1f}"
            else:
                sx, ex = sx + NODE_W / 2, tx - NODE_W / 2
                mid = (sx + ex) / 2
                curve = f"M{sx:.1f},{sy:.1f} C{mid:.1f},{sy:.1f} {mid:.1f},{ty:.1f} {ex:.1f},{ty:.1f}"
            parts.append(f'<path d="{curve}" fill="none" stroke="#888" stroke-width="1.3" marker-end="url(#arrow)"/>')
    parts.insert(1, '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                    'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>')
    for node in nodes.values():
        cx, cy = centre(node)
        fill, stroke, radius, _ = STYLES[node.kind]
        width_px = 2.6 if node.kind == "output" else 1.5
        parts.append(
            f'<g class="lstmkit-node" data-kind="{node.kind}"><title>{html.escape(node.title)} {html.escape(node.detail)}</title>'
            f'<rect x="{cx - NODE_W / 2:.1f}" y="{cy - NODE_H / 2:.1f}" width="{NODE_W}" height="{NODE_H}" '
            f'rx="{radius}" fill="{fill}" stroke="{stroke}" stroke-width="{width_px}"/>'
            f'<text x="{cx:.1f}" y="{cy - 3:.1f}" font-size="13" font-weight="bold" text-anchor="middle" '
            f'fill="#222">{html.escape(_clip(node.title, 18))}</text>'
            f'<text x="{cx:.1f}" y="{cy + 13:.1f}" font-size="10.5" text-anchor="middle" fill="#555">'
            f'{html.escape(_clip(node.detail, 24))}</text></g>'
        )
    if truncated:
        parts.append(f'<text x="{PAD}" y="{height - 6}" font-size="11" fill="#c62828">graph cut at '
                     f'{max_nodes} nodes; pass max_nodes=... to draw more</text>')
    parts.append("</svg>")
    return GraphDrawing("".join(parts), len(nodes), truncated)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

