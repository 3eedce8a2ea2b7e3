"""Label songs without training: reference points a trained tagger has to beat."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["repeat_line_baseline"]


def repeat_line_baseline(lines: Sequence[str]) -> list[int]:
    """Tag a line chorus (1) iff the same line occurs at least twice in the song, else verse (0).

    Choruses repeat and verses mostly do not, so repetition alone finds much of the structure.
    Lines are compared after stripping surrounding whitespace and lower-casing, so ``"Oh no "``
    and ``"oh no"`` are the same line; punctuation and inner spacing still count.

    Args:
        lines: The song's lines, in order.

    Returns:
        One label per line.

    Example:
        >>> repeat_line_baseline(["Walking home", "Let it be", "Alone", "let it be "])
        [0, 1, 0, 1]
    """
    if isinstance(lines, str) or not all(isinstance(line, str) for line in lines):
        raise TypeError("lines must be a sequence of strings, one per line of the song")
    keys = [line.strip().lower() for line in lines]
    occurrences = Counter(keys)
    return [int(occurrences[key] >= 2) for key in keys]
