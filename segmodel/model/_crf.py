"""Linear-chain conditional random field over line labels."""

from __future__ import annotations

import torch
from torch import nn

from segmodel.model._decoding import best_label_paths

__all__ = ["LinearChainCRF"]


class LinearChainCRF(nn.Module):
    """Label-sequence scores with learned transitions, normalised over all labellings.

    The score of labels ``y`` for a song with emission scores ``e`` (the tagger's logits) is

        ``s(y) = start[y_0] + sum_t e[t, y_t] + sum_(t>=1) A[y_(t-1), y_t] + end[y_last]``

    and ``p(y) = exp(s(y)) / Z`` with ``Z`` summed over all ``K**T`` labellings by the forward
    algorithm in log space. Transitions ``A``, ``start`` and ``end`` start at zero, so an
    untrained CRF agrees with the per-line softmax.

    Args:
        num_labels: Number of labels ``K``.

    Example:
        >>> crf = LinearChainCRF(2)
        >>> emissions = torch.tensor([[[0.0, 0.0], [0.0, 0.0]]])
        >>> mask = torch.tensor([[True, True]])
        >>> round(crf.negative_log_likelihood(emissions, torch.tensor([[0, 1]]), mask).item(), 4)
        1.3863
        >>> crf.decode(torch.tensor([[[2.0, 0.0], [0.0, 1.0]]]), torch.tensor([2]))
        [[0, 1]]
    """

    def __init__(self, num_labels: int) -> None:
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(num_labels, num_labels))
        self.start = nn.Parameter(torch.zeros(num_labels))
        self.end = nn.Parameter(torch.zeros(num_labels))

    def negative_log_likelihood(
        self, emissions: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """Mean over songs of ``log Z - s(labels)``.

        Args:
            emissions: ``(B, T, K)`` label scores.
            labels: ``(B, T)`` gold labels; padded positions are ignored (may hold ``-100``).
            mask: ``(B, T)`` bool, true on each song's real lines, which must come first.
        """
        mask = mask.to(emissions.device)
        lengths = _lengths_of(mask)
        labels = torch.where(mask, labels, 0)
        log_partition = self._log_partition(emissions, mask, lengths)
        return (log_partition - self._score(emissions, labels, mask, lengths)).mean()

    def decode(self, emissions: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        """Most probable labelling of each song (``argmax_y s(y)``), of its own length."""
        return best_label_paths(
            emissions.detach(),
            lengths,
            transitions=self.transitions.detach(),
            start=self.start.detach(),
            end=self.end.detach(),
        )

    def _score(
        self,
        emissions: torch.Tensor,
        labels: torch.Tensor,
        mask: torch.Tensor,
        lengths: torch.Tensor,
    ) -> torch.Tensor:
        emitted = emissions.gather(2, labels.unsqueeze(2)).squeeze(2)
        moved = self.transitions[labels[:, :-1], labels[:, 1:]]
        last = labels.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)
        return (
            self.start[labels[:, 0]]
            + (emitted * mask).sum(1)
            + (moved * mask[:, 1:]).sum(1)
            + self.end[last]
        )

    def _log_partition(
        self, emissions: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        log_alpha = self.start + emissions[:, 0]
        for t in range(1, int(lengths.max())):
            step = torch.logsumexp(log_alpha.unsqueeze(2) + self.transitions, dim=1)
            step = step + emissions[:, t]
            log_alpha = torch.where(mask[:, t].unsqueeze(1), step, log_alpha)
        return torch.logsumexp(log_alpha + self.end, dim=1)


def _lengths_of(mask: torch.Tensor) -> torch.Tensor:
    """Lengths of a prefix mask, refusing masks with holes or empty songs."""
    if mask.dim() != 2 or mask.dtype != torch.bool:
        raise ValueError(f"mask must be a (B, T) bool tensor, got {mask.dtype} {tuple(mask.shape)}")
    lengths = mask.sum(1)
    prefix = torch.arange(mask.shape[1], device=mask.device) < lengths.unsqueeze(1)
    if not torch.equal(prefix, mask) or bool((lengths == 0).any()):
        raise ValueError("mask must mark a non-empty prefix of real lines in every song")
    return lengths
