"""Calibration of chorus probabilities: expected calibration error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from segmodel.metrics._validation import LabelSequence, as_labels, as_probabilities


def expected_calibration_error(
    probabilities: Sequence[float] | npt.NDArray[np.floating],
    labels: LabelSequence,
    *,
    n_bins: int = 15,
) -> float:
    """Expected calibration error (ECE) of per-line chorus probabilities (Guo et al. 2017).

    Each line is predicted as its more probable class: chorus iff ``p > 0.5`` (a tie goes to
    verse, as ``argmax([1 - p, p])`` does). Its confidence is that class's probability,
    ``max(p, 1 - p)``. Lines are put into ``M = n_bins`` equal-width confidence bins
    ``B_m = ((m - 1) / M, m / M]``, ``m = 1 .. M``, and with ``n`` lines::

        ECE = sum_m |B_m| / n * |acc(B_m) - conf(B_m)|

    where ``acc(B_m)`` is the fraction of the bin's lines predicted correctly and ``conf(B_m)``
    their mean confidence. Empty bins add nothing; bins below 0.5 are always empty, as a
    confidence is at least 0.5. 0.0 is perfectly calibrated.

    Args:
        probabilities: Chorus probability of every line, all songs concatenated.
        labels: Gold label of every line, 0 (verse) or 1 (chorus).
        n_bins: Number of confidence bins, ``>= 1``.

    Example:
        >>> # confidences 0.9, 0.8, 0.7, 0.6 in four bins; only the last prediction is wrong
        >>> round(expected_calibration_error([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0]), 4)
        0.3
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    chorus_probability = as_probabilities(probabilities, name="probabilities")
    gold = as_labels(labels, name="labels")
    if chorus_probability.shape != gold.shape:
        raise ValueError(
            f"probabilities has {chorus_probability.size} lines but labels has {gold.size}"
        )
    if not gold.size:
        raise ValueError("probabilities and labels have no lines to score")
    predicted_chorus = chorus_probability > 0.5
    confidence = np.where(predicted_chorus, chorus_probability, 1.0 - chorus_probability)
    correct = predicted_chorus == gold.astype(bool)
    bin_index = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    # |B_m| * |acc - conf| = |correct lines - summed confidence| in the bin: no empty-bin 0/0.
    correct_per_bin = np.bincount(bin_index, weights=correct, minlength=n_bins)
    confidence_per_bin = np.bincount(bin_index, weights=confidence, minlength=n_bins)
    return float(np.abs(correct_per_bin - confidence_per_bin).sum() / gold.size)
