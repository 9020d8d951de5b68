"""The IPython extension: ``%load_ext lstmkit`` (or ``lstmkit.jupyter``) in a notebook.

It adds

* a rich HTML view of every Tensor (shape, dtype, device, requires_grad, grad_fn,
  the gradient's presence and a preview of the values);
* ``draw_graph(tensor)``: the computation graph behind a tensor, drawn as SVG and shown as
  an image scaled to the output's width;
* the cell magic ``%%exercise NAME``: run the cell, then check the function it defined
  with ``lstmkit.course.check(NAME, fn)`` and show the feedback.
"""

from __future__ import annotations

import html
import types
from typing import Any

import numpy as np

from .autograd.tensor import Tensor
from .nn.module import Parameter
from .widgets.graph import GraphDrawing, draw_graph

__all__ = ["GraphDrawing", "draw_graph", "exercise", "load_ipython_extension", "tensor_html",
           "unload_ipython_extension"]

_ROW = '<tr><th style="text-align:left;padding:1px 10px 1px 0;color:#555">{}</th><td style="padding:1px 0">{}</td></tr>'


def _preview(values: np.ndarray) -> str:
    with np.printoptions(precision=4, threshold=60, edgeitems=3, suppress=True, linewidth=100):
        return np.array2string(values, separator=", ")


def tensor_html(t: Tensor) -> str:
    """An HTML card for a Tensor: its facts in a table and its values (abridged when large)."""
    values = t.numpy()
    kind = "Parameter" if isinstance(t, Parameter) else "Tensor"
    grad_fn = f"<code>{html.escape(t._creator.name)}</code>" if t._creator is not None else "— (a leaf)"
    grad = "None" if t.grad is None else f"shape {tuple(t.grad.shape)}"
    rows = [
        ("shape", f"<code>{tuple(t.shape)}</code>"),
        ("dtype", f"<code>{t.dtype}</code>"),
        ("device", f"<code>{t.device}</code>"),
        ("requires_grad", str(t.requires_grad)),
        ("grad_fn", grad_fn),
        ("grad", grad),
    ]
    if values.size > 1 and values.dtype.kind in "fiu" and np.isfinite(values).all():
        rows.append(("min / mean / max", f"{values.min():.4g} / {values.mean():.4g} / {values.max():.4g}"))
    table = "".join(_ROW.format(name, value) for name, value in rows)
    return (
        '<div class="lstmkit-tensor" style="border-left:3px solid #1565c0;padding:4px 10px;font-size:0.95em">'
        f'<b>{kind}</b><table style="border-collapse:collapse;margin:2px 0">{table}</table>'
        f'<pre style="margin:4px 0;background:#f6f8fa;padding:4px 6px">{html.escape(_preview(values))}</pre></div>'
    )


def _tensor_html_or_none(t: Tensor) -> str | None:
    """The formatter: never raises (IPython falls back to the plain repr on None)."""
    try:
        return tensor_html(t)
    except Exception:
        return None


def _defined_function(name: str, before: dict[str, Any], namespace: dict[str, Any]) -> Any:
    """The function the cell defined: ``name`` if it is one, else the only new or redefined function."""
    if isinstance(namespace.get(name), types.FunctionType) and before.get(name) is not namespace[name]:
        return namespace[name]
    fresh = [value for key, value in namespace.items()
             if isinstance(value, types.FunctionType) and before.get(key) is not value and not key.startswith("_")]
    if len(fresh) == 1:
        return fresh[0]
    if callable(namespace.get(name)):
        return namespace[name]
    found = ", ".join(getattr(f, "__name__", "?") for f in fresh) or "none"
    raise LookupError(
        f"%%exercise {name}: could not tell which function to check; the cell defined: {found}. "
        f"Define a function named {name} in the cell (def {name}(...): ...)."
    )


def exercise(line: str, cell: str) -> None:
    """``%%exercise NAME``: run the cell, then ``lstmkit.course.check(NAME, <the function defined>)``.

    ``check`` shows its feedback itself; the magic returns nothing, so it is not shown twice.
    """
    from IPython import get_ipython

    name = line.strip()
    if not name:
        print("Usage: %%exercise NAME on the first line of the cell, e.g. %%exercise learn_gate; "
              "then define the function below it.")
        return None
    shell = get_ipython()
    before = dict(shell.user_ns)
    result = shell.run_cell(cell)
    if not result.success:
        print(f"The cell raised an error (above), so {name} was not checked. Fix it and run the cell again.")
        return None
    try:
        fn = _defined_function(name, before, shell.user_ns)
    except LookupError as error:
        print(error)
        return None
    try:
        from . import course
        check = course.check
    except (ImportError, AttributeError) as error:
        print(f"The cell ran, but {name} could not be checked: lstmkit.course.check is not available "
              f"({error}). Reinstall lstmkit with the course extra: pip install 'lstmkit[course]'.")
        return None
    check(name, fn)  # shows its own feedback
    return None


def load_ipython_extension(ipython: Any) -> None:
    """Register the Tensor HTML view and the ``%%exercise`` magic, and put ``draw_graph``
    in the notebook's namespace."""
    ipython.display_formatter.formatters["text/html"].for_type(Tensor, _tensor_html_or_none)
    ipython.register_magic_function(exercise, magic_kind="cell", magic_name="exercise")
    ipython.push({"draw_graph": draw_graph})


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the Tensor HTML view (``%unload_ext``); the magic stays until the kernel restarts."""
    ipython.display_formatter.formatters["text/html"].pop(Tensor, None)
