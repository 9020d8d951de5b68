"""Tasks and corpora for training recurrent networks, deterministic given a seed.

Three tasks, each a small class with ``sample(n, rng, split)`` that returns host
NumPy arrays ``(inputs, targets)``:

- :class:`AddingTask`, the adding problem (Hochreiter & Schmidhuber 1997, in the
  U(0, 1) form of Le et al. 2015): a long sequence of numbers, two of them marked;
  the answer is the sum of the two marked numbers.
- :class:`MovieTask`, "which movie is it": only the first few frames of a clip say
  which film it is (the cue); every later frame is noise (distractors). To name the
  film at the end, a model must carry the cue across the whole clip.
- :class:`CharTask`, next-character prediction on text that exists on every
  machine: the Python standard library's own documentation strings.

All randomness comes from ``numpy.random.Generator`` objects on the host, so a seed
gives the same data on the CPU and on the GPU. :func:`batch_rng` derives the
generator of training batch ``step`` from ``(seed, step)`` alone, which is what
lets a resumed run see exactly the batches an uninterrupted one would have seen.
"""

from __future__ import annotations

import ast
import importlib.util
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import backend
from .autograd.tensor import Tensor

RngLike = np.random.Generator | int | None

TRAIN_SPLIT = "train"
VAL_SPLIT = "val"
TEST_SPLIT = "test"
SPLITS = (TRAIN_SPLIT, VAL_SPLIT, TEST_SPLIT)


def make_rng(rng: RngLike) -> np.random.Generator:
    """A NumPy Generator from a Generator (returned as is), an int seed, or None (seed 0)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy Generator, an int seed or None, but got {type(rng).__name__}; "
        "pass e.g. rng=0 or rng=numpy.random.default_rng(0)."
    )


def batch_rng(seed: int, step: int) -> np.random.Generator:
    """The generator for training batch ``step`` of a run seeded ``seed``.

    A pure function of ``(seed, step)``: resuming at step k needs no saved data state.
    """
    return np.random.default_rng([int(seed), int(step)])


def split_rng(split: str, seed: int = 0) -> np.random.Generator:
    """A fixed generator for a held-out split ('val' or 'test'), apart from training draws."""
    _check_split(split)
    return np.random.default_rng([int(seed), 10**9 + SPLITS.index(split)])


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, but got {split!r}.")


def _check_positive(name: str, value: int) -> None:
    if not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, but got {value!r}.")


def as_tensors(*arrays: Any, device: str = "cpu") -> tuple[Tensor, ...]:
    """Host arrays as lstmkit Tensors on ``device`` ('cpu', 'cuda' or 'auto'); same shapes."""
    target = backend.resolve_device(device)
    return tuple(Tensor(backend.asarray(a, target)) for a in arrays)


# --------------------------------------------------------------------------- adding problem


def adding_problem(n: int, seq_len: int, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences of the adding problem.

    Each step holds a value in U(0, 1) (feature 0) and a marker (feature 1). Exactly
    two steps are marked, one in each half; the target is the sum of their values.

    Returns ``inputs`` of shape (n, seq_len, 2) and ``targets`` of shape (n, 1), float32.
    """
    _check_positive("n", n)
    if not isinstance(seq_len, int | np.integer) or seq_len < 2:
        raise ValueError(f"seq_len must be an integer >= 2 (one marker per half), but got {seq_len!r}.")
    gen = make_rng(rng)
    values = gen.random((n, seq_len))
    half = seq_len // 2
    first = gen.integers(0, half, size=n)
    second = gen.integers(half, seq_len, size=n)
    markers = np.zeros((n, seq_len))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype(np.float32)
    targets = (values[rows, first] + values[rows, second]).reshape(n, 1).astype(np.float32)
    return inputs, targets


ADDING_TRIVIAL_MSE = 1.0 / 6.0
"""MSE of always answering 1.0 (the mean): the variance of a sum of two U(0, 1) values."""


@dataclass
class AddingTask:
    """The adding problem at sequence length ``seq_len`` (regression, one output)."""

    seq_len: int = 100
    name: str = "adding"
    kind: str = "regression"
    input_size: int = 2
    output_size: int = 1
    baseline: float = ADDING_TRIVIAL_MSE

    def sample(self, n: int, rng: RngLike = None, split: str = TRAIN_SPLIT) -> tuple[np.ndarray, np.ndarray]:
        """(inputs (n, seq_len, 2) float32, targets (n, 1) float32); the split does not matter."""
        _check_split(split)
        return adding_problem(n, self.seq_len, rng)

    def config(self) -> dict[str, Any]:
        return {"task": self.name, "seq_len": self.seq_len}


# --------------------------------------------------------------------------- which movie is it


@dataclass
class MovieTask:
    """"Which movie is it": name the film from cue frames seen only at the start.

    Each film (class) has a prototype frame. A clip of ``seq_len`` frames starts with
    ``cue_frames`` noisy copies of its film's prototype; every later frame is pure
    noise of the same scale (distractors). The label is the film. The prototypes
    depend on ``seed`` only, so every split shows the same films.
    """

    seq_len: int = 50
    n_classes: int = 4
    n_features: int = 8
    cue_frames: int = 3
    noise: float = 0.3
    seed: int = 0
    name: str = "movie"
    kind: str = "classification"
    prototypes: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_positive("seq_len", self.seq_len)
        _check_positive("n_classes", self.n_classes)
        _check_positive("n_features", self.n_features)
        _check_positive("cue_frames", self.cue_frames)
        if self.cue_frames > self.seq_len:
            raise ValueError(
                f"cue_frames ({self.cue_frames}) cannot exceed seq_len ({self.seq_len}); "
                "the cue must fit inside the clip."
            )
        proto = np.random.default_rng([int(self.seed), 7]).standard_normal((self.n_classes, self.n_features))
        self.prototypes = proto / np.linalg.norm(proto, axis=1, keepdims=True) * math.sqrt(self.n_features)

    @property
    def input_size(self) -> int:
        return self.n_features

    @property
    def output_size(self) -> int:
        return self.n_classes

    @property
    def baseline(self) -> float:
        """Cross-entropy of guessing uniformly: log(n_classes) nats."""
        return math.log(self.n_classes)

    def sample(self, n: int, rng: RngLike = None, split: str = TRAIN_SPLIT) -> tuple[np.ndarray, np.ndarray]:
        """(frames (n, seq_len, n_features) float32, labels (n,) int64)."""
        _check_positive("n", n)
        _check_split(split)
        gen = make_rng(rng)
        labels = gen.integers(0, self.n_classes, size=n)
        frames = gen.standard_normal((n, self.seq_len, self.n_features))
        cue = self.prototypes[labels][:, None, :]
        frames[:, : self.cue_frames] = cue + self.noise * frames[:, : self.cue_frames]
        return frames.astype(np.float32), labels.astype(np.int64)

    def config(self) -> dict[str, Any]:
        return {
            "task": self.name,
            "seq_len": self.seq_len,
            "n_classes": self.n_classes,
            "n_features": self.n_features,
            "cue_frames": self.cue_frames,
            "noise": self.noise,
            "seed": self.seed,
        }


# --------------------------------------------------------------------------- characters

STDLIB_MODULES = (
    "textwrap", "string", "fractions", "difflib", "heapq", "bisect", "calendar",
    "argparse", "dataclasses", "functools", "statistics", "random", "shutil",
    "tempfile", "glob", "fnmatch", "pprint", "contextlib", "abc", "csv",
    "json.decoder", "json.encoder", "enum", "typing", "pathlib",
)  # fmt: skip
"""Pure-Python standard library modules whose text makes the character corpus."""


def _module_text(name: str, what: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return ""
    with open(spec.origin, encoding="utf-8") as handle:
        source = handle.read()
    if what == "source":
        return source
    tree = ast.parse(source)
    nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)]
    docs = [ast.get_docstring(n, clean=True) for n in nodes]
    return "\n\n".join(d for d in docs if d)


def stdlib_text(
    modules: Sequence[str] = STDLIB_MODULES, what: str = "docstrings", max_chars: int | None = None
) -> str:
    """Text from the Python standard library, found offline on every machine.

    ``what`` is ``"docstrings"`` (English prose from the modules' documentation
    strings) or ``"source"`` (the modules' code). Modules are read in the given
    order, without importing them; missing ones are skipped. The text is cut to
    ``max_chars`` when given. Returns one string.
    """
    if what not in ("docstrings", "source"):
        raise ValueError(f"what must be 'docstrings' or 'source', but got {what!r}.")
    parts = [_module_text(name, what) for name in modules]
    text = "\n\n".join(p for p in parts if p)
    if not text:
        raise RuntimeError(
            f"none of the modules {list(modules)} could be read as Python source; "
            "pass other module names or your own text to CharCorpus(text)."
        )
    return text[:max_chars] if max_chars else text


class CharVocab:
    """Characters <-> integer ids. Id 0 is the unknown character ``unk``.

    Unknown characters encode to 0 and decode to ``unk``.
    """

    def __init__(self, chars: Iterable[str], unk: str = "\ufffd") -> None:
        ordered = sorted(set(chars) - {unk})
        if any(len(c) != 1 for c in ordered):
            raise ValueError("CharVocab needs single characters; pass a string or a list of 1-char strings.")
        self.unk = unk
        self.chars: list[str] = [unk, *ordered]
        self._index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The vocabulary of every character in ``text``."""
        return cls(text)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text``, shape (len(text),), int64."""
        return np.fromiter((self._index.get(c, 0) for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Iterable[int]) -> str:
        """The text of a sequence of ids (ids out of range decode to ``unk``)."""
        size = len(self.chars)
        return "".join(self.chars[i] if 0 <= i < size else self.unk for i in (int(j) for j in ids))

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe description (for checkpoints)."""
        return {"chars": "".join(self.chars[1:]), "unk": self.unk}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CharVocab:
        return cls(config["chars"], unk=config.get("unk", "\ufffd"))

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} symbols)"


def unigram_entropy(text: str | np.ndarray, eval_text: str | np.ndarray | None = None) -> float:
    """Cross-entropy in nats per character of the unigram (character frequency) model.

    With one argument: the entropy of ``text``'s own character frequencies. With
    ``eval_text``: the cross-entropy on ``eval_text`` of frequencies counted on
    ``text`` (add-one smoothed), the fair baseline for a validation loss.
    """
    counts = Counter(text.tolist() if isinstance(text, np.ndarray) else text)
    if not counts:
        raise ValueError("unigram_entropy needs a non-empty text.")
    if eval_text is None:
        freq = np.array(list(counts.values()), dtype=np.float64)
        p = freq / freq.sum()
        return float(-(p * np.log(p)).sum())
    symbols = eval_text.tolist() if isinstance(eval_text, np.ndarray) else eval_text
    support = set(counts) | set(symbols)
    total = sum(counts.values()) + len(support)
    logp = {s: math.log((counts.get(s, 0) + 1) / total) for s in support}
    return float(-sum(logp[s] for s in symbols) / max(len(symbols), 1))


class CharCorpus:
    """A text split into train / val / test ids with a :class:`CharVocab`.

    The split is by position: the first ``1 - val_fraction - test_fraction`` of the
    text trains, then validation, then test.
    """

    def __init__(self, text: str, val_fraction: float = 0.1, test_fraction: float = 0.0) -> None:
        if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
            raise ValueError(
                f"val_fraction ({val_fraction}) and test_fraction ({test_fraction}) must be in [0, 1) "
                "and leave some text for training."
            )
        self.text = text
        self.vocab = CharVocab.from_text(text)
        ids = self.vocab.encode(text)
        n_val, n_test = int(len(ids) * val_fraction), int(len(ids) * test_fraction)
        n_train = len(ids) - n_val - n_test
        self.ids = {
            TRAIN_SPLIT: ids[:n_train],
            VAL_SPLIT: ids[n_train : n_train + n_val],
            TEST_SPLIT: ids[n_train + n_val :],
        }

    def windows(self, n: int, seq_len: int, rng: RngLike = None, split: str = TRAIN_SPLIT) -> tuple[np.ndarray, np.ndarray]:
        """``n`` random windows: inputs (n, seq_len) int64 and targets (n, seq_len) int64.

        ``targets[:, t]`` is the character after ``inputs[:, t]``.
        """
        _check_positive("n", n)
        _check_positive("seq_len", seq_len)
        _check_split(split)
        ids = self.ids[split]
        if len(ids) < seq_len + 1:
            raise ValueError(
                f"the {split} split has {len(ids)} characters, too few for windows of {seq_len} + 1; "
                "use a shorter seq_len or more text."
            )
        starts = make_rng(rng).integers(0, len(ids) - seq_len, size=n)
        offsets = starts[:, None] + np.arange(seq_len + 1)[None, :]
        chunk = ids[offsets]
        return chunk[:, :-1].copy(), chunk[:, 1:].copy()

    def baseline(self, split: str = VAL_SPLIT) -> float:
        """Unigram cross-entropy (nats/char) on ``split`` with frequencies from the training text."""
        target = self.ids[split] if len(self.ids[split]) else self.ids[TRAIN_SPLIT]
        return unigram_entropy(self.ids[TRAIN_SPLIT], target)


@dataclass
class CharTask:
    """Next-character prediction on a :class:`CharCorpus` with windows of ``seq_len``."""

    corpus: CharCorpus
    seq_len: int = 64
    name: str = "chars"
    kind: str = "language"

    @classmethod
    def from_stdlib(cls, seq_len: int = 64, max_chars: int | None = None, what: str = "docstrings") -> CharTask:
        """The task on :func:`stdlib_text` (90% train, 10% validation)."""
        return cls(CharCorpus(stdlib_text(what=what, max_chars=max_chars)), seq_len=seq_len)

    @property
    def vocab(self) -> CharVocab:
        return self.corpus.vocab

    @property
    def input_size(self) -> int:
        return len(self.vocab)

    @property
    def output_size(self) -> int:
        return len(self.vocab)

    @property
    def baseline(self) -> float:
        """The unigram cross-entropy on the validation text, nats per character."""
        return self.corpus.baseline(VAL_SPLIT)

    def sample(self, n: int, rng: RngLike = None, split: str = TRAIN_SPLIT) -> tuple[np.ndarray, np.ndarray]:
        """(inputs (n, seq_len) int64, targets (n, seq_len) int64)."""
        return self.corpus.windows(n, self.seq_len, rng, split)

    def config(self) -> dict[str, Any]:
        return {"task": self.name, "seq_len": self.seq_len, "vocab": self.vocab.to_config()}


Task = AddingTask | MovieTask | CharTask


# --------------------------------------------------------------------------- text lines


TEXTLINE_CHARSET = "0123456789abcdef"
"""The characters of :class:`TextLineTask`'s lines: hexadecimal digits."""

_GLYPHS: dict[tuple[str, int], tuple[np.ndarray, int]] = {}


def glyph_bitmap(char: str, size: int = 13) -> tuple[np.ndarray, int]:
    """A character of DejaVu Sans (shipped with matplotlib) as (ink (h, w) float32 in [0, 1], rise).

    ``rise`` is how many pixels the top of the ink sits above the baseline. Bitmaps are
    cached: rendering a line only stacks arrays.
    """
    key = (char, int(size))
    if key not in _GLYPHS:
        from matplotlib import font_manager, ft2font  # noqa: PLC0415  (only the text-line task needs it)

        font = ft2font.FT2Font(font_manager.findfont("DejaVu Sans", fallback_to_default=False))
        font.set_size(size, 72)
        font.set_text(char)
        font.draw_glyphs_to_bitmap(antialiased=True)
        image = np.asarray(font.get_image(), dtype=np.float32) / 255.0
        rows, cols = np.nonzero(image > 0)
        ink = image[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
        _GLYPHS[key] = (np.ascontiguousarray(ink), int(round(font.load_char(ord(char)).horiBearingY / 64)))
    return _GLYPHS[key]


def _blur(image: np.ndarray) -> np.ndarray:
    """A 3 x 3 binomial blur ([1, 2, 1] / 4 along each axis), edges repeated."""
    padded = np.pad(image, 1, mode="edge")
    rows = (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4
    return (rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]) / 4


@dataclass
class TextLineTask:
    """Read a line of text from its image: a sequence of pixel columns in, the characters out.

    Each line holds ``min_chars`` to ``max_chars`` characters of ``charset`` drawn in
    DejaVu Sans, with random spacing, a random slant, a small vertical jitter, noise and
    sometimes a blur, on a canvas ``height`` pixels high and ``width`` wide (ink white on
    black). ``sample`` returns the images as sequences of columns (n, width, height)
    float32 and the targets (n, max_chars) int64: label ``k + 1`` for ``charset[k]``,
    padded with 0, the CTC blank (so a line's length is ``(targets > 0).sum(1)``).
    Training draws come from the generator passed in; validation and test lines from
    :func:`split_rng`, so every split is fixed by ``seed``.
    """

    charset: str = TEXTLINE_CHARSET
    min_chars: int = 3
    max_chars: int = 6
    height: int = 20
    width: int = 72
    font_size: int = 13
    noise: float = 0.08
    seed: int = 0
    name: str = "textline"
    kind: str = "ctc"

    def __post_init__(self) -> None:
        if not self.charset or len(set(self.charset)) != len(self.charset):
            raise ValueError(f"TextLineTask: charset must be distinct characters, but got {self.charset!r}.")
        if not 1 <= self.min_chars <= self.max_chars:
            raise ValueError(f"TextLineTask: need 1 <= min_chars <= max_chars, got {self.min_chars}, "
                             f"{self.max_chars}.")
        widest = max(glyph_bitmap(c, self.font_size)[0].shape[1] for c in self.charset)
        if self.max_chars * (widest + 1) + 4 > self.width:
            raise ValueError(f"TextLineTask: {self.max_chars} characters up to {widest} pixels wide do not fit "
                             f"in width {self.width}; use width >= {self.max_chars * (widest + 1) + 4}.")

    @property
    def input_size(self) -> int:
        return self.height

    @property
    def output_size(self) -> int:
        """Characters plus the blank (class 0)."""
        return len(self.charset) + 1

    @property
    def baseline(self) -> float:
        """Character error rate of answering nothing: 1.0."""
        return 1.0

    def encode(self, text: str) -> list[int]:
        """Labels (1-based) of a string of the charset."""
        unknown = sorted(set(text) - set(self.charset))
        if unknown:
            raise ValueError(f"TextLineTask.encode: {unknown} are not in the charset {self.charset!r}.")
        return [self.charset.index(c) + 1 for c in text]

    def decode(self, labels: Iterable[int]) -> str:
        """The string of 1-based labels (0, the blank, is skipped)."""
        return "".join(self.charset[int(k) - 1] for k in labels if int(k) > 0)

    def render(self, text: str, rng: RngLike = None) -> np.ndarray:
        """One line of ``text`` as an image (height, width) float32 in [0, 1]."""
        gen = make_rng(rng)
        canvas = np.zeros((self.height, self.width), dtype=np.float32)
        glyphs = [glyph_bitmap(c, self.font_size) for c in text]
        gaps = gen.integers(1, 4, size=len(glyphs))
        total = sum(g.shape[1] for g, _ in glyphs) + int(gaps[1:].sum())
        slant = gen.uniform(-0.25, 0.25)
        margin = int(np.ceil(abs(slant) * self.height / 2)) + 1
        if total + 2 * margin > self.width:
            gaps[:] = 0
            total = sum(g.shape[1] for g, _ in glyphs)
        x = int(gen.integers(margin, max(margin, self.width - total - margin) + 1))
        baseline = self.height - 5 + int(gen.integers(-1, 2))
        for (ink, rise), gap in zip(glyphs, gaps, strict=True):
            x += int(gap) if x > margin else 0
            top = max(baseline - rise, 0)
            h, w = ink.shape
            h = min(h, self.height - top)
            w = min(w, self.width - x)
            canvas[top: top + h, x: x + w] = np.maximum(canvas[top: top + h, x: x + w], ink[:h, :w])
            x += ink.shape[1]
        rows = np.arange(self.height)
        shifts = np.round(slant * (self.height / 2 - rows)).astype(int)
        slanted = canvas[rows[:, None], (np.arange(self.width)[None, :] - shifts[:, None]) % self.width]
        if gen.random() < 0.5:
            slanted = _blur(slanted)
        slanted = slanted * gen.uniform(0.7, 1.0) + gen.normal(0.0, self.noise, size=slanted.shape)
        return np.clip(slanted, 0.0, 1.0).astype(np.float32)

    def random_text(self, gen: np.random.Generator) -> str:
        length = int(gen.integers(self.min_chars, self.max_chars + 1))
        return "".join(self.charset[k] for k in gen.integers(0, len(self.charset), size=length))

    def sample_texts(self, n: int, rng: RngLike = None, split: str = TRAIN_SPLIT) -> tuple[np.ndarray, list[str]]:
        """(images (n, height, width) float32, the n strings drawn)."""
        _check_positive("n", n)
        _check_split(split)
        gen = make_rng(rng) if split == TRAIN_SPLIT else split_rng(split, self.seed)
        texts = [self.random_text(gen) for _ in range(n)]
        images = np.stack([self.render(text, gen) for text in texts])
        return images, texts

    def sample(self, n: int, rng: RngLike = None, split: str = TRAIN_SPLIT) -> tuple[np.ndarray, np.ndarray]:
        """(columns (n, width, height) float32, targets (n, max_chars) int64 padded with 0)."""
        images, texts = self.sample_texts(n, rng, split)
        targets = np.zeros((n, self.max_chars), dtype=np.int64)
        for row, text in enumerate(texts):
            targets[row, : len(text)] = self.encode(text)
        return np.ascontiguousarray(images.transpose(0, 2, 1)), targets

    def config(self) -> dict[str, Any]:
        return {"task": self.name, "charset": self.charset, "min_chars": self.min_chars,
                "max_chars": self.max_chars, "height": self.height, "width": self.width,
                "font_size": self.font_size, "noise": self.noise, "seed": self.seed}


def character_error_rate(predicted: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> float:
    """Edit distance (insertions, deletions, substitutions) summed over lines / target characters summed."""
    errors = 0
    total = 0
    for guess, truth in zip(predicted, targets, strict=True):
        guess, truth = list(guess), list(truth)
        previous = list(range(len(truth) + 1))
        for i, g in enumerate(guess, 1):
            current = [i] + [0] * len(truth)
            for j, t in enumerate(truth, 1):
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (g != t))
            previous = current
        errors += previous[-1]
        total += len(truth)
    return errors / max(total, 1)
