"""A fixed number of per-line statistics from a self-similarity matrix of any size."""

from __future__ import annotations

import numpy as np

__all__ = ["LINE_STATISTICS", "line_statistics"]

LINE_STATISTICS = ("max", "mean", "matches", "prev", "next", "before", "after", "novelty")


def line_statistics(ssm: np.ndarray, *, window: int, match_threshold: float) -> np.ndarray:
    """Describe each line by its row of the SSM, the diagonal (a line with itself) excluded.

    Columns, in :data:`LINE_STATISTICS` order, for line ``i`` of ``n`` and ``w = window``:

    - ``max``: ``max_{j != i} S[i, j]``, the best match anywhere else in the song;
    - ``mean``: ``mean_{j != i} S[i, j]``;
    - ``matches``: ``log(1 + #{j != i : S[i, j] >= match_threshold})``;
    - ``prev`` / ``next``: ``S[i, i-1]`` / ``S[i, i+1]`` (0 past either end);
    - ``before`` / ``after``: mean of ``S[i, j]`` over the ``w`` lines before / after ``i``;
    - ``novelty``: Foote's checkerboard score at the boundary *before* line ``i``: with
      ``B = [i-w, i)`` and ``A = [i, i+w)``, the mean similarity within ``B`` and within ``A``
      (off-diagonal pairs) minus the mean similarity across ``B x A``. High where the lines
      before the boundary resemble each other, the lines after do too, but the two blocks
      differ. 0 at the first line.

    Windows are cut at the song's ends and empty means are 0, so every value is finite and a
    one-line song is all zeros.

    Example:
        >>> ssm = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], float)
        >>> stats = line_statistics(ssm, window=2, match_threshold=0.5)
        >>> LINE_STATISTICS
        ('max', 'mean', 'matches', 'prev', 'next', 'before', 'after', 'novelty')
        >>> stats[2].round(3).tolist()
        [1.0, 0.333, 0.693, 0.0, 1.0, 0.0, 1.0, 1.0]
    """
    ssm = np.asarray(ssm, dtype=np.float64)
    n = ssm.shape[0]
    if ssm.shape != (n, n):
        raise ValueError(f"an SSM must be square, got shape {ssm.shape}")
    stats = np.zeros((n, len(LINE_STATISTICS)), dtype=np.float64)
    if n < 2:
        return stats
    line = np.arange(n)
    diagonal = np.eye(n, dtype=bool)
    others = np.where(diagonal, 0.0, ssm)

    stats[:, 0] = np.where(diagonal, -np.inf, ssm).max(axis=1)
    stats[:, 1] = others.sum(axis=1) / (n - 1)
    stats[:, 2] = np.log1p(((ssm >= match_threshold) & ~diagonal).sum(axis=1))
    stats[1:, 3] = np.diagonal(ssm, offset=-1)
    stats[:-1, 4] = np.diagonal(ssm, offset=1)

    # Row prefix sums: row_prefix[i, k] = sum of others[i, :k].
    row_prefix = np.zeros((n, n + 1))
    np.cumsum(others, axis=1, out=row_prefix[:, 1:])
    first_before = np.maximum(line - window, 0)
    last_after = np.minimum(line + window + 1, n)
    stats[:, 5] = _mean(
        row_prefix[line, line] - row_prefix[line, first_before], line - first_before
    )
    stats[:, 6] = _mean(
        row_prefix[line, last_after] - row_prefix[line, line + 1], last_after - line - 1
    )

    # Integral image: block sums of `others` in O(1) per block.
    integral = np.zeros((n + 1, n + 1))
    integral[1:, 1:] = others.cumsum(axis=0).cumsum(axis=1)

    def block_sum(
        rows: tuple[np.ndarray, np.ndarray], cols: tuple[np.ndarray, np.ndarray]
    ) -> np.ndarray:
        (r0, r1), (c0, c1) = rows, cols
        return integral[r1, c1] - integral[r0, c1] - integral[r1, c0] + integral[r0, c0]

    before_block = (first_before, line)
    after_block = (line, np.minimum(line + window, n))
    before_size = line - first_before
    after_size = after_block[1] - line
    within = _mean(
        block_sum(before_block, before_block) + block_sum(after_block, after_block),
        before_size * (before_size - 1) + after_size * (after_size - 1),
    )
    across_pairs = before_size * after_size
    across = _mean(block_sum(before_block, after_block), across_pairs)
    stats[:, 7] = np.where(across_pairs > 0, within - across, 0.0)
    return stats


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)
