"""Layers and models, with PyTorch's names and shapes."""

from .module import Module, Parameter, StateDictError

__all__ = ["Module", "Parameter", "StateDictError"]
