"""Sinusoidal encodings of line positions."""

from __future__ import annotations

import math

import torch

__all__ = ["sinusoidal_positions"]


def sinusoidal_positions(
    length: int,
    dim: int,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Fixed position codes, ``(length, dim)``, as in "Attention Is All You Need".

    Position ``p`` gets ``sin(p * w_i)`` in column ``2i`` and ``cos(p * w_i)`` in column
    ``2i + 1`` with ``w_i = 10000 ** (-2i / dim)``, so codes are bounded by 1 and the code of
    ``p + k`` is a fixed rotation of the code of ``p``: attention can pick up relative offsets.
    An odd ``dim`` drops the last cosine column.

    Example:
        >>> sinusoidal_positions(3, 4)
        tensor([[ 0.0000,  1.0000,  0.0000,  1.0000],
                [ 0.8415,  0.5403,  0.0100,  0.9999],
                [ 0.9093, -0.4161,  0.0200,  0.9998]])
    """
    if length < 0 or dim < 1:
        raise ValueError(f"need length >= 0 and dim >= 1, got length={length}, dim={dim}")
    position = torch.arange(length, dtype=dtype, device=device).unsqueeze(1)
    frequency = torch.exp(
        torch.arange(0, dim, 2, dtype=dtype, device=device) * (-math.log(10000.0) / dim)
    )
    angle = position * frequency
    codes = torch.stack((torch.sin(angle), torch.cos(angle)), dim=2).flatten(1)
    return codes[:, :dim]
