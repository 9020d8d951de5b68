"""``torch.nn.modules.activation``'s classes that lstmkit has."""

from ..layers import ReLU, Sigmoid, Tanh

__all__ = ["ReLU", "Sigmoid", "Tanh"]
