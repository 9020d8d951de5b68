"""``torch.nn.modules.loss``'s classes."""

from ..losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss"]
