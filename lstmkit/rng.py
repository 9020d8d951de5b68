"""One seeded random generator for parameter initialisation, data and dropout.

Random values are drawn on the host with NumPy and then moved to the device, so a
seed gives the same numbers on the CPU and on the GPU.
"""

from __future__ import annotations

from typing import Any

import numpy

from . import backend

_generator = numpy.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed lstmkit's generator (parameter init, dropout masks, shuffling)."""
    global _generator
    _generator = numpy.random.default_rng(seed)


def generator() -> numpy.random.Generator:
    """The shared host generator (for code that needs raw NumPy draws, e.g. data)."""
    return _generator


backend.use_random_generator(generator)  # x.data.uniform_() draws from this generator too


def uniform(shape: tuple[int, ...], bound: float, dtype: Any = "float32", device: str = "cpu") -> Any:
    """An array of U(-bound, bound) values on ``device``."""
    values = _generator.uniform(-bound, bound, size=shape).astype(dtype)
    return backend.asarray(values, device)


def uniform_between(shape: tuple[int, ...], low: float, high: float, dtype: Any = "float32",
                    device: str = "cpu") -> Any:
    """An array of U(low, high) values on ``device`` (``rand``, ``uniform_``)."""
    values = _generator.uniform(low, high, size=shape).astype(dtype)
    return backend.asarray(values, device)


def normal(shape: tuple[int, ...], std: float = 1.0, dtype: Any = "float32", device: str = "cpu") -> Any:
    """An array of N(0, std²) values on ``device``."""
    values = (_generator.standard_normal(size=shape) * std).astype(dtype)
    return backend.asarray(values, device)


def bernoulli(shape: tuple[int, ...], p_one: float, dtype: Any = "float32", device: str = "cpu") -> Any:
    """An array of 0/1 values, 1 with probability ``p_one`` (for dropout masks)."""
    values = (_generator.random(size=shape) < p_one).astype(dtype)
    return backend.asarray(values, device)
