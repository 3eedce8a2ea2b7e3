"""Which lines of a song repeat each other word for word (after normalisation)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from segmodel.features._text import normalise_lines

__all__ = ["repeated_line_pairs"]


def repeated_line_pairs(lines: Sequence[str]) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i != j``, of lines with the same normalised words.

    Normalisation is the one every view uses (lower case, punctuation and ad-libs dropped,
    g-dropping undone), so "Lovin' you!" repeats "loving you". Lines without words repeat
    nothing. Returns an ``(n_pairs, 2)`` int64 array with both orders of every pair, sorted.

    Example:
        >>> repeated_line_pairs(["Oh no", "we go", "OH, no!", "...", "..."]).tolist()
        [[0, 2], [2, 0]]
    """
    where: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(normalise_lines(lines).texts):
        if text:
            where[text].append(index)
    pairs = [(i, j) for group in where.values() if len(group) > 1 for i in group for j in group if i != j]
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
