"""A live training plot: the loss (and the validation loss) redrawn as training goes.

>>> plot = LivePlot()
>>> train(model, data, live_plot=plot)      # the loop calls plot.update(step, loss, val)
>>> plot.close()                            # the final picture, whatever the throttle skipped

One ``ipywidgets.Image`` is updated in place with PNG bytes, at most once per
``min_interval_s`` seconds, so the plot never flickers and a fast loop is not slowed
down by drawing. Without a notebook front end (a script, or a headless nbclient run)
nothing is displayed; the history is kept and ``close()`` or ``png()`` renders it. In a
notebook, points the throttle skipped are drawn when the running cell finishes.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import ipywidgets as widgets

from ._figure import new_figure, png_bytes


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where a widget can be displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LivePlot:
    """The training loss and an optional validation loss against the step, on one y-scale.

    ``update(step, loss, val=None)`` records one point; ``steps``, ``losses`` and ``vals``
    (None where no validation was given) hold the history, all of one length.
    ``min_interval_s`` throttles redrawing; ``display="auto"`` shows the widget at the
    first update when running in a Jupyter kernel (``True``: always, ``False``: never).
    """

    def __init__(
        self,
        title: str = "Training",
        *,
        loss_label: str = "loss",
        val_label: str = "validation",
        min_interval_s: float = 0.5,
        log_loss: bool = False,
        display: bool | str = "auto",
    ) -> None:
        self.title, self.loss_label, self.val_label = title, loss_label, val_label
        self.min_interval_s = min_interval_s
        self.log_loss = log_loss
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.vals: list[float | None] = []
        self.renders = 0
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="auto"))
        self.image.add_class("lstmkit-liveplot")
        self._display = display
        self._shown = False
        self._last_render = -math.inf
        self._hooked = False
        self._drawn_points = 0
        self._figure = None

    # ------------------------------------------------------------------ recording

    def update(self, step: int, loss: float, val: float | None = None) -> None:
        """Record the loss (and validation metric) at ``step``; redraw if the throttle allows."""
        self.steps.append(int(step))
        self.losses.append(float(loss))
        self.vals.append(None if val is None else float(val))
        if not self._shown and (self._display is True or (self._display == "auto" and _in_kernel())):
            self.show()
        if not self._shown:
            return
        if time.monotonic() - self._last_render >= self.min_interval_s:
            self.redraw()
        else:
            self._draw_when_cell_ends()

    def _draw_when_cell_ends(self) -> None:
        """Have IPython redraw once the running cell finishes, so the last points always show."""
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython comes with ipywidgets
            return
        shell = get_ipython()
        if shell is not None and not self._hooked:
            shell.events.register("post_run_cell", self._after_cell)
            self._hooked = True

    def _after_cell(self, *_: object) -> None:
        from IPython import get_ipython

        get_ipython().events.unregister("post_run_cell", self._after_cell)
        self._hooked = False
        if self.renders_behind():
            self.redraw()

    def renders_behind(self) -> bool:
        """True when points were recorded after the last drawing."""
        return self._drawn_points != len(self.steps)

    def show(self) -> None:
        """Display the plot's widget in the notebook (done for you at the first update)."""
        from IPython.display import display

        self._shown = True
        display(self.image)

    def _ipython_display_(self) -> None:
        self.show()
        if self.steps:
            self.redraw()

    # ------------------------------------------------------------------ drawing

    def png(self) -> bytes:
        """The whole history drawn now, as PNG bytes."""
        figure = self._figure or self._make_figure()
        self._figure = figure
        ax = figure.axes[0]
        loss_line, val_line = ax.lines
        loss_line.set_data(self.steps, self.losses)
        pairs = [(s, v) for s, v in zip(self.steps, self.vals, strict=True) if v is not None]
        val_line.set_data([s for s, _ in pairs], [v for _, v in pairs])
        val_line.set_visible(bool(pairs))
        ax.relim(visible_only=True)
        ax.autoscale_view()
        loss_line.set_label(f"{self.loss_label}: {self.losses[-1]:.4g}" if self.steps else self.loss_label)
        val_line.set_label(f"{self.val_label}: {pairs[-1][1]:.4g}" if pairs else self.val_label)
        for legend in figure.legends:
            legend.remove()
        shown = [line for line in (loss_line, val_line) if line.get_visible()]
        # beside the axes, never over the curves
        figure.legend(handles=shown, loc="outside right upper", fontsize=9, frameon=False,
                      title=f"step {self.steps[-1]}" if self.steps else "no steps yet", title_fontsize=9)
        self.renders += 1
        self._drawn_points = len(self.steps)
        return png_bytes(figure)

    def _make_figure(self):  # noqa: ANN202 - a matplotlib Figure
        """One axes for both curves: the loss and the validation metric share one y-scale."""
        figure = new_figure(7.6, 3.0)
        ax = figure.add_subplot()
        ax.plot([], [], color="#1f77b4", linewidth=1.5, label=self.loss_label)
        ax.plot([], [], color="#e65100", marker="o", markersize=3, linewidth=1.2, label=self.val_label)
        ax.set_xlabel("step")
        ax.set_ylabel(self.loss_label if self.loss_label == self.val_label else "loss")
        if self.log_loss:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        figure.suptitle(self.title, fontsize=10)
        return figure

    def redraw(self) -> bytes:
        """Draw the history into the widget now, ignoring the throttle; returns the PNG."""
        png = self.png()
        self.image.value = png
        self._last_render = time.monotonic()
        return png

    def close(self) -> bytes:
        """Final drawing with every recorded point (the widget too, if shown); returns the PNG."""
        return self.redraw()

    def save(self, path: str | Path) -> Path:
        """Write the current picture to ``path`` as PNG; returns the path."""
        path = Path(path)
        path.write_bytes(self.png())
        return path
