"""Repeated-block cues from diagonal runs of a self-similarity matrix (Watanabe et al. 2016).

A block of lines sung again later (a chorus) shows up in the SSM as a run along a diagonal:
``(i, j), (i+1, j+1), ...`` all similar. Where such runs start and end is where sections begin
and end; which lines they cover, and how often, is what makes a chorus a chorus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["REPETITION_FEATURES", "DiagonalRuns", "diagonal_runs", "repetition_features"]

REPETITION_FEATURES = (
    "in_run",
    "start",
    "end",
    "prev_end",
    "next_start",
    "run_length",
    "repeats",
    "relative_run_length",
    "relative_repeats",
    "first_occurrence",
    "path",
    "path_back",
    "path_forward",
)


@dataclass(frozen=True)
class DiagonalRuns:
    """Runs of repeated line pairs: lines ``first[r] + t`` repeat as ``first[r] + lag[r] + t``
    for ``t < length[r]``."""

    first: np.ndarray
    lag: np.ndarray
    length: np.ndarray


def diagonal_runs(repeated: np.ndarray, *, min_run: int) -> DiagonalRuns:
    """Maximal runs of at least ``min_run`` True cells along each upper diagonal of ``repeated``.

    All diagonals are stacked into one (lag, position) array, ``lagged[k-1, t] =
    repeated[t, t+k]``, and run boundaries are found in it with one ``diff``.

    Example:
        >>> pairs = np.zeros((6, 6), dtype=bool)
        >>> pairs[[0, 1, 2], [3, 4, 5]] = True
        >>> diagonal_runs(pairs | pairs.T, min_run=2)
        DiagonalRuns(first=array([0]), lag=array([3]), length=array([3]))
    """
    n = repeated.shape[0]
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return DiagonalRuns(first=empty, lag=empty, length=empty)
    lags = np.arange(1, n)[:, None]
    positions = np.arange(n)[None, :]
    partner = positions + lags
    lagged = np.zeros((n - 1, n + 2), dtype=np.int8)  # a False column pads each end
    lagged[:, 1:-1] = (partner < n) & repeated[positions, np.minimum(partner, n - 1)]
    edges = np.diff(lagged, axis=1)
    start_lag, first = np.nonzero(edges == 1)
    _, stop = np.nonzero(edges == -1)  # row-major order pairs each start with its stop
    length = stop - first
    keep = length >= min_run
    return DiagonalRuns(first=first[keep], lag=start_lag[keep] + 1, length=length[keep])


def _covered_lines(first: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Every line of every run: ``first[r], first[r] + 1, ..., first[r] + length[r] - 1``."""
    run_offsets = np.repeat(np.cumsum(length) - length, length)
    return np.repeat(first, length) + np.arange(int(length.sum())) - run_offsets


def _share_of_max(values: np.ndarray) -> np.ndarray:
    top = values.max(initial=0.0)
    return values / top if top > 0 else np.zeros_like(values)


def repetition_features(fused: np.ndarray, *, threshold: float, min_run: int) -> np.ndarray:
    """Per-line repeated-block cues, columns in :data:`REPETITION_FEATURES` order.

    Lines ``i != j`` repeat each other when ``fused[i, j] >= threshold``; runs are those of
    :func:`diagonal_runs`. Each run covers two occurrences of a block (the earlier and the
    later copy). For line ``i``:

    - ``in_run``, ``start``, ``end``: 1 if ``i`` lies in / starts / ends an occurrence;
    - ``prev_end``, ``next_start``: an occurrence ends at ``i - 1`` / starts at ``i + 1``, so
      the boundary between two lines is visible from both sides;
    - ``run_length``: ``log(1 + length)`` of the longest run covering ``i`` (0 if none);
    - ``repeats``: ``log(1 + number of other lines that i repeats within runs)``;
    - ``relative_run_length``, ``relative_repeats``: that run length and that number of lines
      divided by their maximum over the song (0 when the song repeats nothing): the chorus is
      usually the song's longest and most repeated block, a comparison across the whole song
      that a sequence model sees only with difficulty;
    - ``first_occurrence``: 1 if ``i`` is only ever the earlier copy (the block's first time);
    - ``path``, ``path_back``, ``path_forward``: soft versions, robust to one changed line:
      ``max_{j != i}`` of ``fused`` averaged along the diagonal over ``(i-1, j-1), (i, j),
      (i+1, j+1)`` / over the first two / the last two cells (cells past the song count as 0).

    Example:
        >>> fused = np.eye(5)
        >>> fused[[0, 1, 3, 4], [3, 4, 0, 1]] = 1.0   # lines 0-1 come back as lines 3-4
        >>> features = repetition_features(fused, threshold=0.7, min_run=2)
        >>> features[:, :3].astype(int).T.tolist()   # in_run, start, end
        [[1, 1, 0, 1, 1], [1, 0, 0, 1, 0], [0, 1, 0, 0, 1]]
    """
    fused = np.asarray(fused, dtype=np.float64)
    n = fused.shape[0]
    features = np.zeros((n, len(REPETITION_FEATURES)), dtype=np.float64)
    if n < 2:
        return features
    diagonal = np.eye(n, dtype=bool)
    runs = diagonal_runs((fused >= threshold) & ~diagonal, min_run=min_run)

    earlier = _covered_lines(runs.first, runs.length)
    later = earlier + np.repeat(runs.lag, runs.length)
    covered = np.concatenate([earlier, later])
    lengths = np.tile(np.repeat(runs.length, runs.length), 2)
    starts = np.concatenate([runs.first, runs.first + runs.lag])
    ends = starts + np.tile(runs.length, 2) - 1

    features[covered, 0] = 1.0
    features[starts, 1] = 1.0
    features[ends, 2] = 1.0
    features[1:, 3] = features[:-1, 2]
    features[:-1, 4] = features[1:, 1]
    longest = np.zeros(n)
    np.maximum.at(longest, covered, lengths)
    repeats = np.bincount(covered, minlength=n).astype(np.float64)
    features[:, 5] = np.log1p(longest)
    features[:, 6] = np.log1p(repeats)
    features[:, 7] = _share_of_max(longest)
    features[:, 8] = _share_of_max(repeats)
    only_earlier = np.zeros(n, dtype=bool)
    only_earlier[earlier] = True
    only_earlier[later] = False
    features[:, 9] = only_earlier

    previous_cell = np.zeros_like(fused)
    previous_cell[1:, 1:] = fused[:-1, :-1]
    next_cell = np.zeros_like(fused)
    next_cell[:-1, :-1] = fused[1:, 1:]
    for column, path in (
        (10, (previous_cell + fused + next_cell) / 3),
        (11, (previous_cell + fused) / 2),
        (12, (fused + next_cell) / 2),
    ):
        features[:, column] = np.where(diagonal, -np.inf, path).max(axis=1)
    return features
