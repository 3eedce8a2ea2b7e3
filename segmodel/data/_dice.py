"""Seeded random choices that stay the same across Python versions.

Python guarantees that :meth:`random.Random.random` yields the same sequence for the same seed
in every version, but not :meth:`~random.Random.choice`, :meth:`~random.Random.randint` or
:meth:`~random.Random.shuffle`, whose algorithms have changed before. :class:`Dice` derives every
choice from ``random()`` alone, so a synthetic corpus is byte-identical wherever it is built.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["Dice"]

T = TypeVar("T")


class Dice:
    """A seeded source of random choices.

    Args:
        seed: Any string; equal strings give equal sequences (strings are hashed with SHA-512
            by :class:`random.Random`, never with the per-process salted ``hash()``).

    Example:
        >>> one, other = Dice("demo"), Dice("demo")
        >>> [one.between(1, 6) for _ in range(8)] == [other.between(1, 6) for _ in range(8)]
        True
        >>> Dice("demo").choice(["verse", "chorus"])
        'chorus'

    """

    def __init__(self, seed: str) -> None:
        self._random = random.Random(seed)

    def uniform(self) -> float:
        """A float in ``[0, 1)``."""
        return self._random.random()

    def chance(self, probability: float) -> bool:
        """``True`` with ``probability``."""
        return self._random.random() < probability

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``; ``n`` must be positive."""
        return min(int(self._random.random() * n), n - 1)

    def between(self, low: int, high: int) -> int:
        """An integer in ``[low, high]``."""
        return low + self.below(high - low + 1)

    def choice(self, items: Sequence[T]) -> T:
        """One of ``items``, uniformly."""
        return items[self.below(len(items))]

    def weighted(self, cumulative_weights: Sequence[float]) -> int:
        """An index drawn with probability proportional to its weight.

        ``cumulative_weights`` are the running sums of the weights (as from
        :func:`itertools.accumulate`).
        """
        point = self._random.random() * cumulative_weights[-1]
        return min(bisect.bisect_right(cumulative_weights, point), len(cumulative_weights) - 1)

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` items from distinct positions of ``items`` (all if fewer), in random order."""
        pool = list(items)
        return [pool.pop(self.below(len(pool))) for _ in range(min(k, len(pool)))]
