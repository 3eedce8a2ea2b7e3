"""Segment boundaries: where the label changes, and how well predicted boundaries hit gold ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from segmodel.metrics._validation import (
    LabelCorpus,
    LabelSequence,
    as_corpus,
    as_labels,
    check_same_shape,
)


@dataclass(frozen=True)
class BoundaryScores:
    """Boundary precision, recall and F1, each in [0, 1]."""

    precision: float
    recall: float
    f1: float


def boundary_positions(labels: LabelSequence) -> npt.NDArray[np.int64]:
    """Indices of the lines that start a new segment.

    Line ``i >= 1`` is a boundary iff ``labels[i] != labels[i - 1]``. Line 0 never is: every
    song starts a segment, so there is nothing to predict there.

    Example:
        >>> boundary_positions([0, 0, 1, 1, 0])
        array([2, 4])
    """
    array = as_labels(labels, name="labels")
    return np.flatnonzero(array[1:] != array[:-1]) + 1


def boundary_scores(
    gold: Sequence[LabelSequence],
    pred: Sequence[LabelSequence],
    *,
    tolerance: int = 0,
    average: Literal["micro", "macro"] = "micro",
) -> BoundaryScores:
    """Precision, recall and F1 of predicted segment boundaries against gold ones.

    A predicted boundary at line ``p`` can match a gold boundary at line ``g`` of the same song
    iff ``|p - g| <= tolerance`` (0: exact). Matching is one-to-one, and maximal: the number of
    true positives ``TP`` is the size of the largest matching, so one predicted boundary cannot
    hit two gold ones. With ``G`` gold and ``P`` predicted boundaries::

        precision = TP / P        recall = TP / G        F1 = 2 TP / (G + P)

    ``average="micro"`` sums ``TP``, ``G`` and ``P`` over songs before dividing;
    ``average="macro"`` computes the three scores per song and takes their unweighted mean over
    songs (so macro F1 is the mean of per-song F1s, not the F1 of mean precision and recall).

    Empty denominators, decided per song for ``"macro"`` and over all songs for ``"micro"``: with
    neither gold nor predicted boundaries the prediction is right, and precision, recall and F1
    are all 1.0. When only one side has boundaries, the undefined ratio is 0.0 (like
    scikit-learn's ``zero_division=0.0``): predicting no boundary where there are some, or
    some where there are none, is wrong.

    Args:
        gold: Reference labels, one 0/1 sequence per song.
        pred: Predicted labels, same number of songs and lines as ``gold``.
        tolerance: How many lines a predicted boundary may be off, ``>= 0``.
        average: ``"micro"`` or ``"macro"``, see above.

    Example:
        >>> gold = [[0, 0, 1, 1, 0, 0]]  # boundaries at lines 2 and 4
        >>> pred = [[0, 0, 0, 1, 1, 0]]  # boundaries at lines 3 and 5
        >>> boundary_scores(gold, pred)
        BoundaryScores(precision=0.0, recall=0.0, f1=0.0)
        >>> boundary_scores(gold, pred, tolerance=1)
        BoundaryScores(precision=1.0, recall=1.0, f1=1.0)
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | np.integer) or tolerance < 0:
        raise ValueError(f"tolerance must be an integer >= 0, got {tolerance!r}")
    if average not in ("micro", "macro"):
        raise ValueError(f"average must be 'micro' or 'macro', got {average!r}")
    gold_corpus = as_corpus(gold, name="gold")
    pred_corpus = as_corpus(pred, name="pred")
    check_same_shape(gold_corpus, pred_corpus)
    counts = count_boundary_matches(gold_corpus, pred_corpus, tolerance=int(tolerance))
    return counts.micro() if average == "micro" else counts.macro()


@dataclass(frozen=True)
class BoundaryCounts:
    """Per-song boundary counts: ``(songs,)`` arrays of matched, gold and predicted boundaries."""

    matched: npt.NDArray[np.int64]
    gold: npt.NDArray[np.int64]
    predicted: npt.NDArray[np.int64]

    def micro(self) -> BoundaryScores:
        """Scores of the counts summed over songs."""
        return _scores(self.matched.sum(), self.gold.sum(), self.predicted.sum())

    def macro(self) -> BoundaryScores:
        """Unweighted mean over songs of each song's scores."""
        if not len(self.gold):
            return BoundaryScores(1.0, 1.0, 1.0)  # no song, nothing missed or invented
        return _scores(self.matched, self.gold, self.predicted)


def count_boundary_matches(
    gold: LabelCorpus, pred: LabelCorpus, *, tolerance: int
) -> BoundaryCounts:
    """Match boundaries of two equally shaped corpora within ``tolerance`` lines, per song."""
    gold_lines = np.flatnonzero(gold.is_boundary)
    pred_lines = np.flatnonzero(pred.is_boundary)
    gold_songs = gold.song_of_line[gold_lines]
    pred_songs = pred.song_of_line[pred_lines]
    # Boundaries of neighbouring songs are >= 2 lines apart (a song's first line is never one);
    # spreading song s by s * tolerance lines makes that gap exceed the tolerance, so one sweep
    # over the whole corpus never matches across songs.
    matched = _greedy_match(
        (gold_lines + gold_songs * tolerance).tolist(),
        (pred_lines + pred_songs * tolerance).tolist(),
        tolerance,
    )
    n_songs = gold.n_songs
    return BoundaryCounts(
        matched=np.bincount(gold_songs[matched], minlength=n_songs),
        gold=gold.boundaries_per_song,
        predicted=pred.boundaries_per_song,
    )


def _greedy_match(gold: list[int], pred: list[int], tolerance: int) -> npt.NDArray[np.bool_]:
    """Which gold positions a maximum one-to-one matching within ``tolerance`` covers.

    Both lists are sorted. Gold position ``g`` may take any predicted position in
    ``[g - tolerance, g + tolerance]``. These windows all have the same width, so in gold order
    both their starts and their ends increase, and giving each gold position the leftmost free
    predicted position in its window yields a maximum matching (the classic greedy for matching
    points to intervals): a predicted position left of the current window is left of every later
    window, so skipping it loses nothing; and every later window that contains the leftmost free
    position also contains the free ones to its right, so taking it never blocks a later match
    that another choice would allow. One linear sweep instead of a general assignment solver.
    """
    matched = np.zeros(len(gold), dtype=bool)
    next_free = 0
    for index, position in enumerate(gold):
        while next_free < len(pred) and pred[next_free] < position - tolerance:
            next_free += 1
        if next_free < len(pred) and pred[next_free] <= position + tolerance:
            matched[index] = True
            next_free += 1
    return matched


def _scores(
    matched: npt.ArrayLike, gold: npt.ArrayLike, predicted: npt.ArrayLike
) -> BoundaryScores:
    """Precision, recall and F1 (averaged if the counts are per-song arrays); see
    :func:`boundary_scores` for the empty-denominator rule."""
    matched, gold, predicted = (
        np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in (matched, gold, predicted)
    )
    nothing_either = ((gold == 0) & (predicted == 0)).astype(np.float64)
    precision = np.divide(matched, predicted, out=nothing_either.copy(), where=predicted > 0)
    recall = np.divide(matched, gold, out=nothing_either.copy(), where=gold > 0)
    total = gold + predicted
    f1 = np.divide(2 * matched, total, out=np.ones_like(total), where=total > 0)
    return BoundaryScores(float(precision.mean()), float(recall.mean()), float(f1.mean()))
