"""``nn.utils``: packed sequences (``nn.utils.rnn``) and gradient clipping, as in PyTorch."""

from __future__ import annotations

from typing import Any

from . import rnn


def clip_grad_norm_(parameters: Any, max_norm: float, *args: Any, **kwargs: Any) -> Any:
    """``lstmkit.optim.clip_grad_norm_`` (rescale gradients to a total norm of at most max_norm)."""
    from ... import optim  # noqa: PLC0415  (optim sits on nn's floor; imported when used)

    return optim.clip_grad_norm_(parameters, max_norm, *args, **kwargs)


def clip_grad_value_(parameters: Any, clip_value: float, *args: Any, **kwargs: Any) -> Any:
    """``lstmkit.optim.clip_grad_value_`` (clamp every gradient element to [-clip_value, clip_value])."""
    from ... import optim  # noqa: PLC0415

    if not hasattr(optim, "clip_grad_value_"):
        raise NotImplementedError(
            "nn.utils.clip_grad_value_: this lstmkit's optim module has no clip_grad_value_ yet; "
            "update lstmkit, or clamp p.grad yourself."
        )
    return optim.clip_grad_value_(parameters, clip_value, *args, **kwargs)


__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]
