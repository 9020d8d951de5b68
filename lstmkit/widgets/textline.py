"""What a text-line reader sees and says: the image, its per-column guesses, the decoded text.

>>> viewer = TextLineViewer(model, task, images, texts)
>>> viewer            # a slider picks the line; the picture and the reading follow

The picture has three rows: the line image; the model's best symbol for each of its
output columns (a dot for the blank), drawn under the columns it read; and the
probability of every symbol per column (a heat map). Below it the decoded text is
compared with the truth, character by character, so mistakes stand out.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np

from .. import ctc
from ..autograd.function import no_grad
from ..autograd.tensor import Tensor
from ._figure import new_figure, png_bytes

BLANK_MARK = "·"


def column_readings(model: Any, images: np.ndarray) -> np.ndarray:
    """The model's log-probabilities (N, T, C) on host images (N, H, W)."""
    columns = np.ascontiguousarray(np.asarray(images, dtype=np.float32).transpose(0, 2, 1))
    with no_grad():
        log_probs = model(Tensor(columns))
    return np.asarray(log_probs.numpy()).transpose(1, 0, 2)


def marked_reading(read: str, truth: str) -> str:
    """HTML of ``read`` with every character that differs from ``truth`` marked in red (by position)."""
    parts = []
    for k, char in enumerate(read):
        right = k < len(truth) and truth[k] == char
        style = "" if right else "color:#c0392b;font-weight:bold;text-decoration:underline"
        parts.append(f"<span style='{style}'>{html.escape(char)}</span>")
    if len(read) < len(truth):
        parts.append("<span style='color:#c0392b'>" + "_" * (len(truth) - len(read)) + "</span>")
    return "".join(parts)


class TextLineViewer(widgets.VBox):
    """A slider over lines, a picture of one line with the model's guesses, and the reading."""

    def __init__(self, model: Any, task: Any, images: np.ndarray, texts: Sequence[str]) -> None:
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 3 or len(images) != len(texts) or not len(texts):
            raise ValueError(f"TextLineViewer: images must be (N, height, width) with one text each, but got "
                             f"images {images.shape} and {len(texts)} texts.")
        self.task, self.images, self.texts = task, images, list(texts)
        self.log_probs = column_readings(model, images)  # (N, T, C)
        self.readings = [task.decode(labels) for labels in ctc.ctc_greedy_decode(self.log_probs.transpose(1, 0, 2))]
        self.slider = widgets.IntSlider(value=0, min=0, max=len(texts) - 1, description="line",
                                        continuous_update=False)
        self.picture = widgets.Image(format="png")
        self.words = widgets.HTML()
        self.slider.observe(lambda _change: self.show_line(self.slider.value), names="value")
        super().__init__([self.slider, self.picture, self.words])
        self.add_class("lstmkit-textline-viewer")
        self.show_line(0)

    @property
    def symbols(self) -> list[str]:
        """Blank mark, then the task's characters (the model's classes in order)."""
        return [BLANK_MARK, *self.task.charset]

    def column_symbols(self, index: int) -> list[str]:
        """The best symbol of every output column of line ``index``."""
        return [self.symbols[k] for k in self.log_probs[index].argmax(axis=1)]

    def show_line(self, index: int) -> None:
        """Draw line ``index`` and its reading."""
        image, scores = self.images[index], np.exp(self.log_probs[index])  # (H, W), (T, C)
        steps = scores.shape[0]
        width = image.shape[1]
        per_step = width / steps
        figure = new_figure(7.5, 3.6)
        top, middle, bottom = figure.subplots(3, 1, sharex=True, height_ratios=[2, 0.6, 2.4])
        top.imshow(image, cmap="gray", aspect="auto", extent=(0, width, image.shape[0], 0))
        top.set_title(f"line {index}: the image, read left to right", fontsize=9)
        top.set_yticks([])
        middle.set_ylim(0, 1)
        middle.set_yticks([])
        for t, symbol in enumerate(self.column_symbols(index)):
            middle.text((t + 0.5) * per_step, 0.5, symbol, ha="center", va="center", fontsize=8,
                        color="#999999" if symbol == BLANK_MARK else "#1f4e9c")
        middle.set_title("best symbol per column (· is the blank)", fontsize=9)
        bottom.imshow(scores.T, cmap="Blues", aspect="auto", vmin=0, vmax=1, interpolation="nearest",
                      extent=(0, width, len(self.symbols) - 0.5, -0.5))
        bottom.set_yticks(range(len(self.symbols)), self.symbols, fontsize=7)
        bottom.set_xlabel("pixel column")
        bottom.set_title("probability of each symbol per column", fontsize=9)
        self.picture.value = png_bytes(figure)
        read, truth = self.readings[index], self.texts[index]
        verdict = "✓ right" if read == truth else "✗ a mistake"
        self.words.value = (f"<div class='lstmkit-textline-reading' style='font-family:monospace;font-size:15px'>"
                            f"reads: <b>{marked_reading(read, truth) or '(nothing)'}</b> &nbsp; "
                            f"truth: {html.escape(truth)} &nbsp; {verdict}</div>")
