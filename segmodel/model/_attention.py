"""Multi-head attention over the lines of a song, on top of the BiLSTM."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from segmodel.model._positional import sinusoidal_positions

__all__ = ["BoundaryBias", "LineAttention"]


class BoundaryBias(nn.Module):
    """Per-head attention bias that fades across learned section boundaries.

    Each line ``t >= 1`` gets a learned boundary score ``b_t = sigmoid(w . |x_t - x_(t-1)| + c)``,
    how sharply the representation changes from the previous line, so with
    ``C_t = b_1 + ... + b_t`` the gap ``|C_i - C_j|`` is the soft number of section boundaries
    between lines ``i`` and ``j``. Head ``h`` adds ``-lambda_h * |C_i - C_j|`` to its attention
    logits, with ``lambda_h = softplus(theta_h) >= 0`` learned and initialised geometrically from
    0.05 to 2 across heads. Because labels are constant within a section, steep heads pool
    evidence inside the current section while flat heads stay global and can find the chorus
    repeated elsewhere. The bias between two real lines depends on real lines only, so padding
    cannot leak in.

    Args:
        dim: Width of the line representations.
        heads: Attention heads.

    Example:
        >>> bias = BoundaryBias(dim=8, heads=2)(torch.randn(3, 5, 8))
        >>> bias.shape, bool((bias <= 0).all())
        (torch.Size([3, 2, 5, 5]), True)
    """

    def __init__(self, dim: int, *, heads: int) -> None:
        super().__init__()
        self.change = nn.Linear(dim, 1)
        # Boundaries are rare (a song has a handful of sections), so start with b_t ~ 0.12.
        nn.init.constant_(self.change.bias, -2.0)
        decay = torch.logspace(math.log10(0.05), math.log10(2.0), heads)
        self.decay_logit = nn.Parameter(torch.log(torch.expm1(decay)))

    def forward(self, lines: torch.Tensor) -> torch.Tensor:
        """``(B, H, T, T)`` additive bias for ``(B, T, dim)`` line representations."""
        boundary = torch.sigmoid(self.change((lines[:, 1:] - lines[:, :-1]).abs())).squeeze(2)
        crossed = F.pad(boundary.cumsum(dim=1), (1, 0))
        between = (crossed.unsqueeze(2) - crossed.unsqueeze(1)).abs()
        return -F.softplus(self.decay_logit)[:, None, None] * between.unsqueeze(1)


class LineAttention(nn.Module):
    """Residual multi-head attention block: ``LayerNorm(x + Dropout(MHA(x)))``.

    ``x`` is the input projected to ``dim`` (skipped when the widths already match), plus
    sinusoidal positions when asked. Padded lines are never attended to; ``kind`` picks what else
    shapes the attention:

    * ``self``: every real line attends to every real line;
    * ``localized``: only to lines at most ``window`` away;
    * ``boundary_aware``: every real line, with a :class:`BoundaryBias`.

    Masked logits are ``-inf``, in any precision. A padded line may always attend to itself,
    so no row is fully masked (which would give NaN); what padded lines compute never reaches
    real ones.

    Args:
        input_dim: Width of the incoming line representations.
        kind: ``self``, ``localized`` or ``boundary_aware``.
        heads: Attention heads; must divide ``dim``.
        dim: Attention and output width.
        dropout: Dropout on attention weights and on the residual branch.
        window: ``localized``: lines each side a line may attend to.
        positional: Add sinusoidal positions before attention.

    Example:
        >>> block = LineAttention(6, kind="localized", heads=2, dim=8, window=1).eval()
        >>> block(torch.randn(2, 4, 6), torch.tensor([4, 2])).shape
        torch.Size([2, 4, 8])
    """

    def __init__(
        self,
        input_dim: int,
        *,
        kind: str,
        heads: int,
        dim: int,
        dropout: float = 0.0,
        window: int = 7,
        positional: bool = False,
    ) -> None:
        super().__init__()
        if kind not in ("self", "localized", "boundary_aware"):
            raise ValueError(f"unknown attention kind {kind!r}")
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be a multiple of heads ({heads})")
        self.kind = kind
        self.heads = heads
        self.window = window
        self.positional = positional
        self.dropout = dropout
        self.project = nn.Identity() if input_dim == dim else nn.Linear(input_dim, dim)
        self.query_key_value = nn.Linear(dim, 3 * dim)
        self.output = nn.Linear(dim, dim)
        self.residual_dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(dim)
        self.boundary_bias = BoundaryBias(dim, heads=heads) if kind == "boundary_aware" else None

    def forward(self, lines: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(B, T, dim)`` attended lines for ``(B, T, input_dim)`` lines and ``(B,)`` lengths."""
        batch, steps, _ = lines.shape
        lines = self.project(lines)
        logit_bias = self._logit_bias(lines, lengths)
        if self.positional:
            lines = lines + sinusoidal_positions(
                steps, lines.shape[2], dtype=lines.dtype, device=lines.device
            )
        query, key, value = (
            part.view(batch, steps, self.heads, -1).transpose(1, 2)
            for part in self.query_key_value(lines).chunk(3, dim=2)
        )
        attended = F.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=logit_bias.to(query.dtype),
            dropout_p=self.dropout if self.training else 0.0,
        )
        attended = attended.transpose(1, 2).reshape(batch, steps, -1)
        return self.norm(lines + self.residual_dropout(self.output(attended)))

    def _logit_bias(self, lines: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(B, 1 or H, T, T)`` additive attention-logit bias, ``-inf`` where masked."""
        position = torch.arange(lines.shape[1], device=lines.device)
        offset = position.unsqueeze(1) - position.unsqueeze(0)
        padded_key = position >= lengths.to(lines.device).unsqueeze(1)
        blocked = padded_key[:, None, None, :] & (offset != 0)
        if self.kind == "localized":
            blocked = blocked | (offset.abs() > self.window)
        bias = lines.new_zeros(()) if self.boundary_bias is None else self.boundary_bias(lines)
        return bias.masked_fill(blocked, -math.inf)
