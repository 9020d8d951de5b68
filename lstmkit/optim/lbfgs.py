"""``LBFGS``: limited-memory BFGS with PyTorch's algorithm, optionally with a strong-Wolfe line search.

A port of ``torch.optim.LBFGS`` (itself after minFunc and torch7's ``lbfgs.lua`` /
``lswolfe.lua``) to the backend's arrays: one flat vector over all parameters, the
two-loop recursion over the last ``history_size`` steps, a fixed step ``lr`` or a
strong-Wolfe line search (``line_search_fn="strong_wolfe"``). ``step(closure)``
evaluates the closure up to ``max_eval`` times and returns its first loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .. import backend
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor
from .optimizer import (
    Closure,
    Optimizer,
    OptimizerStateError,
    ParamsArg,
    check_non_negative,
    grad_of,
    host_copy,
    is_array_like,
    is_real,
    values_of,
)

_ARRAYS = ("d", "prev_flat_grad")
_ARRAY_LISTS = ("old_dirs", "old_stps")
_NUMBERS = ("t", "H_diag", "prev_loss")
_COUNTERS = ("func_evals", "n_iter")


def _number(value: Any) -> float:
    """A loss or 0-d array as a Python float (``.item()`` for Tensors and arrays)."""
    if isinstance(value, Tensor) or backend.is_array(value):
        return float(value.item())
    return float(value)


def _cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                       bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to ``bounds``."""
    xmin_bound, xmax_bound = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func: Callable[[list[Any], float, Any], tuple[float, Any]], x: list[Any], t: float,
                  d: Any, f: float, g: Any, gtd: float, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9, max_ls: int = 25) -> tuple[float, Any, float, int]:
    """Line search along ``d`` for a step satisfying the strong Wolfe conditions (torch's ``_strong_wolfe``).

    Returns (loss, flat gradient, step length, function evaluations).
    """
    d_norm = float(abs(d).max())
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
        bracket_gtd = [gtd, gtd_new]  # torch leaves these unset here; only read if the zoom runs
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``; ``step(closure)`` is required.

    One parameter group only. All parameters must live on one device. The state
    (directions, steps, curvature history, counters) is kept under the first
    parameter, as in PyTorch, so state dicts load across the two.
    """

    def __init__(
        self, params: ParamsArg, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
        tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_non_negative("LBFGS", lr=lr, tolerance_grad=tolerance_grad, tolerance_change=tolerance_change)
        for key, value in (("max_iter", max_iter), ("history_size", history_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"LBFGS: {key} must be a positive integer, but got {value!r}.")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', but got {line_search_fn!r}.")
        super().__init__(params, {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change, "history_size": history_size, "line_search_fn": line_search_fn,
        })
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups); pass one list of parameters.")
        self._flat_params = self.param_groups[0]["params"]
        if len({p.device for p in self._flat_params}) != 1:
            raise ValueError("LBFGS: all parameters must live on one device; move the model with .to(device) first.")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups); it keeps one group.")
        super().add_param_group(param_group)

    # ------------------------------------------------------------------ the flat vector

    def _numel(self) -> int:
        return sum(int(values_of(p).size) for p in self._flat_params)

    def _gather_flat_grad(self) -> Any:
        xp = self._flat_params[0].xp
        views = []
        for p in self._flat_params:
            grad = grad_of(p)
            views.append(xp.zeros(values_of(p).size, dtype=p.dtype) if grad is None else grad.reshape(-1))
        return xp.concatenate(views)

    def _add_grad(self, step_size: float, update: Any) -> None:
        offset = 0
        with no_grad():
            for p in self._flat_params:
                values = values_of(p)
                values += step_size * update[offset : offset + values.size].reshape(values.shape)
                offset += values.size

    def _clone_param(self) -> list[Any]:
        return [values_of(p).copy() for p in self._flat_params]

    def _set_param(self, params_data: list[Any]) -> None:
        for p, saved in zip(self._flat_params, params_data, strict=True):
            values_of(p)[...] = saved

    def _directional_evaluate(self, closure: Closure, x: list[Any], t: float, d: Any) -> tuple[float, Any]:
        self._add_grad(t, d)
        loss = _number(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ one step

    def step(self, closure: Closure | None = None) -> Any:  # noqa: C901, PLR0912, PLR0915  (torch's algorithm, kept whole)
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` re-evaluates the loss with backward()."""
        if closure is None:
            raise TypeError(
                "LBFGS.step needs a closure that re-evaluates the model: "
                "def closure(): opt.zero_grad(); loss = ...; loss.backward(); return loss"
            )
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._flat_params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = _number(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if float(abs(flat_grad).max()) <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = float(old_stps[i].dot(q)) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * h_diag
                for i in range(num_old):
                    be_i = float(old_dirs[i].dot(r)) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def obj_func(x: list[Any], t: float, d: Any) -> tuple[float, Any]:
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = float(abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = _number(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = float(abs(flat_grad).max()) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(abs(d * t).max()) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break
        state.update({"d": d, "t": t, "old_dirs": old_dirs, "old_stps": old_stps, "ro": ro,
                      "H_diag": h_diag, "prev_flat_grad": prev_flat_grad, "prev_loss": prev_loss})
        return orig_loss

    # ------------------------------------------------------------------ state dicts

    def _checked_state(self, p: Tensor, entries: Mapping[str, Any], where: str) -> dict[str, Any]:
        """LBFGS's state (first parameter only): flat vectors of all parameters' length, lists, numbers."""
        if p is not self._flat_params[0]:
            raise OptimizerStateError(f"{where}: LBFGS keeps its state under the first parameter only.")
        numel = self._numel()
        known = _ARRAYS + _ARRAY_LISTS + _NUMBERS + _COUNTERS + ("ro", "al")

        def flat(value: Any, name: str) -> Any:
            array = host_copy(value, f"{where}['{name}']")
            if array.shape != (numel,):
                raise OptimizerStateError(
                    f"{where}['{name}'] should be a flat vector of {numel} values (all parameters), "
                    f"but has shape {array.shape}; the saved optimiser belongs to a different model."
                )
            if array.dtype.kind not in "fc":
                raise OptimizerStateError(f"{where}['{name}'] should hold floats, but has dtype {array.dtype}.")
            return backend.asarray(array, p.device, dtype=p.dtype)

        def number(value: Any, name: str, allow_none: bool = True) -> Any:
            if value is None and allow_none:
                return None
            if is_array_like(value):
                array = host_copy(value, name)
                if array.size != 1:
                    raise OptimizerStateError(f"{where}['{name}'] should be one number, but has shape {array.shape}.")
                value = array.reshape(()).item()
            if not is_real(value):
                raise OptimizerStateError(f"{where}['{name}'] should be a number, but is {value!r}.")
            return float(value) if not isinstance(value, int) else value

        converted: dict[str, Any] = {}
        for key, value in entries.items():
            if key not in known:
                raise OptimizerStateError(f"{where} has an unknown entry '{key}'; LBFGS keeps only {sorted(known)}.")
            if key in _ARRAYS:
                converted[key] = None if value is None else flat(value, key)
            elif key in _ARRAY_LISTS:
                if not isinstance(value, list | tuple):
                    raise OptimizerStateError(f"{where}['{key}'] should be a list of vectors, but is a {type(value).__name__}.")
                converted[key] = [flat(v, f"{key}[{i}]") for i, v in enumerate(value)]
            elif key in ("ro", "al"):
                if not isinstance(value, list | tuple):
                    raise OptimizerStateError(f"{where}['{key}'] should be a list of numbers, but is a {type(value).__name__}.")
                converted[key] = [number(v, f"{key}[{i}]", allow_none=key == "al") for i, v in enumerate(value)]
            elif key in _COUNTERS:
                if not is_real(value) or int(value) != value or value < 0:
                    raise OptimizerStateError(f"{where}['{key}'] should be a count (int >= 0), but is {value!r}.")
                converted[key] = int(value)
            else:
                converted[key] = number(value, key)
        lengths = {k: len(converted[k]) for k in ("old_dirs", "old_stps", "ro") if k in converted}
        if len(set(lengths.values())) > 1:
            raise OptimizerStateError(f"{where}: old_dirs, old_stps and ro should have one entry per stored step, but have {lengths}.")
        return converted
