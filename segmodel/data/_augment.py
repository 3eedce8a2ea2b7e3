"""Training-set augmentation: excerpts of songs that start where a section starts.

Real corpora differ in how much of a song they transcribe (the real val songs are 30 % shorter
than the train songs), and a model that has only seen whole songs learns positions and repeat
counts of whole songs. An excerpt that starts at a section boundary and runs for a part of the
song is still a plausible song, with its labels unchanged, but with other positions, fewer
repeats and a chorus that may come back only once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from segmodel.data._songs import Song

__all__ = ["song_excerpts"]


def song_excerpts(
    songs: Sequence[Song],
    *,
    copies: int,
    min_fraction: float = 0.5,
    max_fraction: float = 0.9,
    min_lines: int = 8,
    seed: int = 0,
) -> list[Song]:
    """The songs followed by up to ``copies`` labelled excerpts of each.

    An excerpt of a song of ``n`` lines keeps ``max(min_lines, floor(n * f))`` consecutive lines,
    ``f`` drawn uniformly from ``[min_fraction, max_fraction]``, starting at a line where the
    label changes (or at the first line) chosen uniformly among those that leave room for it.
    Songs shorter than ``min_lines + 4`` lines or with fewer than three sections get none, and
    an excerpt identical to its song is dropped. Excerpts are named ``<id>~excerpt<k>``. The
    result depends only on the songs and ``seed``, so every trial of a study trains on the same
    excerpts and their features come from the cache.

    Example:
        >>> song = Song("s", [f"line {i}" for i in range(16)], [0] * 4 + [1] * 4 + [0] * 4 + [1] * 4)
        >>> [(s.id, len(s.lines)) for s in song_excerpts([song], copies=1, seed=3)]
        [('s', 16), ('s~excerpt0', 9)]
    """
    if copies < 0:
        raise ValueError(f"copies must be >= 0, got {copies}")
    if not 0 < min_fraction <= max_fraction <= 1:
        raise ValueError(f"need 0 < min_fraction <= max_fraction <= 1, got {min_fraction}, {max_fraction}")
    rng = random.Random(seed)
    augmented: list[Song] = []
    for song in songs:
        augmented.append(song)
        labels = song.labels
        n = len(song.lines)
        if not copies or labels is None or n < min_lines + 4:
            continue
        section_starts = [0] + [i for i in range(1, n) if labels[i] != labels[i - 1]]
        if len(section_starts) < 3:
            continue
        for k in range(copies):
            length = max(min_lines, int(n * rng.uniform(min_fraction, max_fraction)))
            start = rng.choice([s for s in section_starts if s + length <= n] or [0])
            if length == n:
                continue
            augmented.append(
                Song(f"{song.id}~excerpt{k}", song.lines[start : start + length], labels[start : start + length])
            )
    return augmented
