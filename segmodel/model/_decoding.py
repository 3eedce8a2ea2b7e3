"""Exact best label sequences under transition scores (Viterbi)."""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["best_label_paths", "viterbi_decode"]


def viterbi_decode(
    log_emissions: torch.Tensor | np.ndarray,
    *,
    switch_penalty: float,
    lengths: torch.Tensor | np.ndarray | None = None,
) -> list[int] | list[list[int]]:
    """Best labelling of each song when every change of label costs ``switch_penalty``.

    For a song of ``T`` lines with per-line label scores ``e[t, y]`` (usually log-probabilities)
    it returns the exact maximiser of

        ``sum_t e[t, y_t]  -  switch_penalty * #{t >= 1 : y_t != y_(t-1)}``

    over all ``K**T`` labellings. A penalty of 0 reduces to the per-line argmax; a large one
    keeps a single label throughout. The recursion is vectorised over songs and labels and loops
    over lines only, ``O(T * K**2)`` per song.

    Args:
        log_emissions: ``(T, K)`` scores of one song, or ``(B, T, K)`` for a padded batch.
        switch_penalty: Cost of each label change, ``>= 0``.
        lengths: ``(B,)`` real lines per song for a batch (each in ``1..T``); default all ``T``.

    Returns:
        The labels of the song, or one list per song (of its own length) for a batch.

    Example:
        >>> scores = np.log([[0.9, 0.1], [0.4, 0.6], [0.8, 0.2]])
        >>> viterbi_decode(scores, switch_penalty=0.0)
        [0, 1, 0]
        >>> viterbi_decode(scores, switch_penalty=1.0)
        [0, 0, 0]
    """
    if not (math.isfinite(switch_penalty) and switch_penalty >= 0):
        raise ValueError(f"switch_penalty must be a finite number >= 0, got {switch_penalty!r}")
    emissions = torch.as_tensor(log_emissions)
    if not emissions.is_floating_point():
        emissions = emissions.double()
    single = emissions.dim() == 2
    if single:
        if lengths is not None:
            raise ValueError("lengths is only meaningful for a (B, T, K) batch")
        emissions = emissions.unsqueeze(0)
    if emissions.dim() != 3:
        raise ValueError(
            f"log_emissions must be (T, K) or (B, T, K), got shape {tuple(emissions.shape)}"
        )
    batch, steps, num_labels = emissions.shape
    if lengths is None:
        lengths = torch.full((batch,), steps, dtype=torch.long)
    transitions = torch.full(
        (num_labels, num_labels),
        -float(switch_penalty),
        dtype=emissions.dtype,
        device=emissions.device,
    )
    transitions.fill_diagonal_(0.0)
    boundary = emissions.new_zeros(num_labels)
    paths = best_label_paths(
        emissions, torch.as_tensor(lengths), transitions=transitions, start=boundary, end=boundary
    )
    return paths[0] if single else paths


@torch.no_grad()
def best_label_paths(
    emissions: torch.Tensor,
    lengths: torch.Tensor,
    *,
    transitions: torch.Tensor,
    start: torch.Tensor,
    end: torch.Tensor,
) -> list[list[int]]:
    """Viterbi paths: for each song the labels ``y`` maximising

        ``start[y_0] + sum_t e[t, y_t] + sum_(t>=1) A[y_(t-1), y_t] + end[y_last]``.

    Args:
        emissions: ``(B, T, K)`` label scores, padded after each song's length.
        lengths: ``(B,)`` real lines per song, each in ``1..T``.
        transitions: ``(K, K)`` score ``A[i, j]`` of label ``j`` following label ``i``.
        start: ``(K,)`` score of the first label.
        end: ``(K,)`` score of the last label.

    Returns:
        One list of labels per song, of that song's length.

    Example:
        >>> switch = torch.tensor([[0.0, -5.0], [-5.0, 0.0]])
        >>> best_label_paths(torch.tensor([[[0.0, 1.0], [2.0, 0.0], [0.0, 0.0]]]),
        ...                  torch.tensor([2]), transitions=switch, start=torch.zeros(2),
        ...                  end=torch.zeros(2))
        [[0, 0]]
    """
    batch, steps, _ = emissions.shape
    lengths = lengths.to(device=emissions.device, dtype=torch.long)
    if lengths.shape != (batch,):
        raise ValueError(f"lengths must have shape ({batch},), got {tuple(lengths.shape)}")
    if batch and (int(lengths.min()) < 1 or int(lengths.max()) > steps):
        raise ValueError(f"lengths must lie in 1..{steps}, got {lengths.tolist()}")
    score = start + emissions[:, 0]
    # backpointers[t - 1][b, j]: best previous label when song b has label j at line t.
    backpointers = []
    for t in range(1, steps):
        best_previous, argbest = (score.unsqueeze(2) + transitions).max(dim=1)
        backpointers.append(argbest)
        still_inside = (t < lengths).unsqueeze(1)
        score = torch.where(still_inside, best_previous + emissions[:, t], score)
    label = (score + end).argmax(dim=1)
    path = torch.empty((batch, steps), dtype=torch.long, device=emissions.device)
    # Walk back from the last line of the longest song; a shorter song keeps its final label
    # until the walk reaches its own last line.
    for t in range(steps - 1, 0, -1):
        inside = t < lengths
        path[:, t] = label
        label = torch.where(
            inside, backpointers[t - 1].gather(1, label.unsqueeze(1)).squeeze(1), label
        )
    path[:, 0] = label
    return [row[:length] for row, length in zip(path.tolist(), lengths.tolist(), strict=True)]
