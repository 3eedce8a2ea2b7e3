"""Tie the logits of lines that repeat each other: the same words should get the same label."""

from __future__ import annotations

import torch

__all__ = ["repeat_matrix", "tie_repeated_lines"]


def repeat_matrix(pairs: list[torch.Tensor], steps: int) -> torch.Tensor:
    """Row-normalised ``(B, steps, steps)`` matrix from each song's repeated-line index pairs.

    Row ``i`` of song ``b`` averages the lines that repeat line ``i``; a line that repeats
    nothing has a row of zeros.

    Example:
        >>> repeat_matrix([torch.tensor([[0, 2], [2, 0], [0, 3], [3, 0], [2, 3], [3, 2]])], 4)[0, 0]
        tensor([0.0000, 0.0000, 0.5000, 0.5000])
    """
    matrix = torch.zeros(len(pairs), steps, steps)
    for song, song_pairs in enumerate(pairs):
        if len(song_pairs):
            matrix[song, song_pairs[:, 0], song_pairs[:, 1]] = 1.0
    return matrix / matrix.sum(dim=2, keepdim=True).clamp(min=1.0)


def tie_repeated_lines(logits: torch.Tensor, repeats: torch.Tensor, weight: float) -> torch.Tensor:
    """Pull each repeated line's logits towards the mean of the lines it repeats.

    ``tied_i = (1 - weight) * logits_i + weight * mean_{j repeats i} logits_j`` for lines that
    repeat something; other lines keep their logits. ``repeats`` comes from
    :func:`repeat_matrix`. The BiLSTM sees each occurrence of a repeated block in a different
    context and may label the same words differently; tying makes the occurrences agree, which
    is what a chorus is.

    Example:
        >>> logits = torch.tensor([[[2.0, 0.0], [0.0, 0.0], [0.0, 2.0]]])
        >>> repeats = repeat_matrix([torch.tensor([[0, 2], [2, 0]])], 3)
        >>> tie_repeated_lines(logits, repeats, 0.5)[0].tolist()
        [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]
    """
    repeats = repeats.to(logits.dtype)
    pooled = torch.bmm(repeats, logits)
    repeated = repeats.sum(dim=2, keepdim=True) > 0
    return torch.where(repeated, (1.0 - weight) * logits + weight * pooled, logits)
