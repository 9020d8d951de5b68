"""Ready models for the tasks in :mod:`lstmkit.data`: a recurrent layer plus a head.

- :class:`SequenceRegressor`: reads a sequence, predicts numbers from the last step
  (the adding problem).
- :class:`SequenceClassifier`: reads a sequence, names its class from the last step
  (which movie is it).
- :class:`CharModel`: an embedding, a recurrent layer and a head that predicts the
  next character at every step; :func:`generate` samples text from it.

``cell`` is ``"lstm"`` (long and short term memory) or ``"rnn"`` (a vanilla tanh
RNN, the one whose gradients vanish over long time lags). Every model has
``config()``, and :func:`build` makes the same architecture again from it (this is
what a checkpoint stores).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from . import functional as F
from .autograd.function import no_grad
from .autograd.tensor import Tensor
from .nn import LSTM, RNN, Embedding, Linear, Module

CELLS = ("lstm", "rnn")


def _recurrent(cell: str, input_size: int, hidden_size: int, num_layers: int, forget_bias: float) -> Module:
    """An ``nn.LSTM`` or ``nn.RNN`` (batch_first).

    The LSTM's forget-gate bias starts at ``forget_bias`` (PyTorch's random default
    when 0): f = sigmoid(bias) near 1 keeps the long term memory over long lags.
    """
    if cell == "lstm":
        layer = LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True)
        if forget_bias:
            for k in range(num_layers):  # gate order i, f, g, o: rows H..2H are the forget gate
                bias = getattr(layer, f"bias_ih_l{k}")
                bias.data[hidden_size : 2 * hidden_size] = forget_bias
                getattr(layer, f"bias_hh_l{k}").data[hidden_size : 2 * hidden_size] = 0.0
        return layer
    if cell == "rnn":
        return RNN(input_size, hidden_size, num_layers=num_layers, batch_first=True)
    raise ValueError(f"cell must be one of {CELLS}, but got {cell!r}.")


class _SequenceModel(Module):
    """A recurrent layer over (batch, time, features) and a Linear head on the last step."""

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int,
        cell: str = "lstm", num_layers: int = 1, forget_bias: float = 1.0,
    ) -> None:
        super().__init__()
        self._config = {
            "model": type(self).__name__, "input_size": input_size, "hidden_size": hidden_size,
            "output_size": output_size, "cell": cell, "num_layers": num_layers, "forget_bias": forget_bias,
        }
        self.rnn = _recurrent(cell, input_size, hidden_size, num_layers, forget_bias)
        self.head = Linear(hidden_size, output_size)

    def forward(self, x: Tensor) -> Tensor:
        """x (batch, time, input_size) -> (batch, output_size), read from the last step."""
        output = self.rnn(x)[0]
        return self.head(output[:, -1])

    def config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-safe); ``build(config)`` makes the same architecture."""
        return dict(self._config)


class SequenceRegressor(_SequenceModel):
    """Sequence -> numbers (batch, output_size): for the adding problem."""


class SequenceClassifier(_SequenceModel):
    """Sequence -> class scores (batch, n_classes): for "which movie is it"."""


class CharModel(Module):
    """Character ids (batch, time) -> next-character scores (batch, time, vocab_size)."""

    def __init__(
        self, vocab_size: int, embed_size: int = 32, hidden_size: int = 128,
        cell: str = "lstm", num_layers: int = 1, forget_bias: float = 1.0,
    ) -> None:
        super().__init__()
        self._config = {
            "model": "CharModel", "vocab_size": vocab_size, "embed_size": embed_size,
            "hidden_size": hidden_size, "cell": cell, "num_layers": num_layers, "forget_bias": forget_bias,
        }
        self.embed = Embedding(vocab_size, embed_size)
        self.rnn = _recurrent(cell, embed_size, hidden_size, num_layers, forget_bias)
        self.head = Linear(hidden_size, vocab_size)

    def forward(self, ids: Any, state: Any = None) -> Tensor:
        """ids (batch, time) ints -> logits (batch, time, vocab_size)."""
        return self.step(ids, state)[0]

    def step(self, ids: Any, state: Any = None) -> tuple[Tensor, Any]:
        """ids (batch, time) -> (logits (batch, time, vocab_size), recurrent state to continue from)."""
        output, state = self.rnn(self.embed(ids), state)
        return self.head(output), state

    def config(self) -> dict[str, Any]:
        return dict(self._config)


MODELS = {cls.__name__: cls for cls in (SequenceRegressor, SequenceClassifier, CharModel)}


def build(config: dict[str, Any]) -> Module:
    """The model that ``config`` (from ``model.config()``) describes, freshly initialised."""
    kwargs = dict(config)
    name = kwargs.pop("model", None)
    if name not in MODELS:
        raise ValueError(f"config names model {name!r}; expected one of {sorted(MODELS)}.")
    return MODELS[name](**kwargs)


def generate(
    model: CharModel, vocab: Any, prime: str = "\n", length: int = 200,
    temperature: float = 1.0, rng: np.random.Generator | int | None = 0,
) -> str:
    """Sample ``length`` characters after ``prime`` from a :class:`CharModel`.

    ``vocab`` is a :class:`lstmkit.data.CharVocab`. Lower ``temperature`` (> 0)
    gives safer, more repetitive text; higher gives wilder text. Returns prime + sample.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, but got {temperature}; try 0.5 to 1.0.")
    if not prime:
        raise ValueError("prime must hold at least one character to start from, e.g. '\\n'.")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    was_training = model.training
    model.eval()
    device = model.device
    ids = vocab.encode(prime)[None, :]
    out = []
    try:
        with no_grad():
            logits, state = model.step(Tensor(backend.asarray(ids, device)))
            for _ in range(length):
                last = logits[:, -1].numpy().astype(np.float64)[0] / temperature
                p = np.exp(last - last.max())
                p[0] = 0.0  # never sample the unknown symbol
                p /= p.sum()
                nxt = int(gen.choice(len(p), p=p))
                out.append(nxt)
                logits, state = model.step(Tensor(backend.asarray(np.array([[nxt]]), device)), state)
    finally:
        model.train(was_training)
    return prime + vocab.decode(out)


def loss_for(kind: str, output: Tensor, target: Tensor) -> Tensor:
    """The training loss of a task kind: MSE for 'regression', cross-entropy otherwise."""
    if kind == "regression":
        return F.mse_loss(output, target)
    if kind == "classification":
        return F.cross_entropy(output, target)
    if kind == "language":  # (batch, time, vocab) scores: one row per position, as torch's layout wants
        return F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1))
    if kind == "ctc":  # (time, batch, classes) log-probabilities; targets (batch, S) padded with the blank 0
        labels = backend.to_numpy(target.data if isinstance(target, Tensor) else target)
        return F.ctc_loss(output, labels, [output.shape[0]] * output.shape[1], (labels > 0).sum(axis=1))
    raise ValueError(f"unknown task kind {kind!r}; expected 'regression', 'classification', 'language' or 'ctc'.")


class TextLineReader(Module):
    """A bidirectional LSTM that reads a text line column by column, with a CTC output layer.

    ``columns`` (N, W, H) images as sequences of pixel columns -> log-probabilities
    (T, N, C) with T = W // columns_per_step (neighbouring columns are read as one step)
    and C = characters + 1 (class 0 is the CTC blank), ready for ``F.ctc_loss``.
    """

    def __init__(self, height: int, classes: int, hidden_size: int = 64, columns_per_step: int = 2) -> None:
        super().__init__()
        self._config = {"model": "TextLineReader", "height": height, "classes": classes, "hidden_size": hidden_size,
                        "columns_per_step": columns_per_step}
        self.columns_per_step = int(columns_per_step)
        self.lstm = LSTM(height * self.columns_per_step, hidden_size, bidirectional=True)
        self.out = Linear(2 * hidden_size, classes)

    def steps(self, width: int) -> int:
        """How many steps (output columns) a line ``width`` pixels wide gives."""
        return width // self.columns_per_step

    def forward(self, columns: Tensor) -> Tensor:
        batch, width, height = columns.shape
        steps = self.steps(width)
        folded = columns[:, : steps * self.columns_per_step].reshape(batch, steps, height * self.columns_per_step)
        states, _ = self.lstm((folded - 0.2).transpose(0, 1))  # (T, N, 2 hidden)
        return F.log_softmax(self.out(states), 2)

    def config(self) -> dict[str, Any]:
        return dict(self._config)


MODELS["TextLineReader"] = TextLineReader
