"""Inverse-frequency class weights from the training labels."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["class_weights_from_labels"]


def class_weights_from_labels(
    label_sequences: Sequence[Sequence[int]],
    *,
    cap: float,
    num_classes: int = 2,
) -> torch.Tensor:
    """Class weights inversely proportional to class frequency, averaging 1 over lines.

    With ``n_c`` lines of class ``c`` and ``N = sum_c n_c``:

    1. raw weight ``r_c = 1 / n_c``;
    2. cap: ``r_c = min(r_c, cap * min_k r_k)``, so no weight exceeds ``cap`` times the weight of
       the most frequent class. A class with no lines has ``r_c = inf`` and so gets exactly the
       capped maximum: an unseen class is up-weighted as far as allowed, never infinitely;
    3. normalise: ``w_c = r_c * N / sum_k n_k r_k``, so the mean weight over all lines,
       ``sum_c n_c w_c / N``, is 1 and the loss keeps its scale.

    Without capping this is scikit-learn's ``"balanced"`` weighting, ``w_c = N / (K n_c)``.

    Args:
        label_sequences: Gold labels, one sequence per song (0 verse, 1 chorus).
        cap: Largest allowed ratio between two class weights; finite and ``>= 1``
            (1 gives equal weights).
        num_classes: Number of classes; labels must lie in ``[0, num_classes)``.

    Returns:
        Float32 tensor of shape ``(num_classes,)``.

    Raises:
        ValueError: No lines at all, a label outside ``[0, num_classes)``, or a bad ``cap``.

    Example:
        >>> class_weights_from_labels([[0, 0, 0], [0, 1]], cap=10.0)
        tensor([0.6250, 2.5000])
        >>> class_weights_from_labels([[0, 0, 0], [0, 1]], cap=2.0)
        tensor([0.8333, 1.6667])
    """
    if not 1.0 <= cap < math.inf:
        raise ValueError(f"cap must be a finite number >= 1, got {cap}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    songs = [np.asarray(labels, dtype=np.int64).reshape(-1) for labels in label_sequences]
    labels = np.concatenate(songs) if songs else np.empty(0, dtype=np.int64)
    if labels.size == 0:
        raise ValueError("cannot compute class weights: the label sequences hold no lines")
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        song_ends = np.cumsum([len(song) for song in songs])
        song = int(np.searchsorted(song_ends, bad[0], side="right"))
        line = int(bad[0] - (song_ends[song - 1] if song else 0))
        raise ValueError(
            f"label {labels[bad[0]]} at song {song}, line {line} (0-based) "
            f"is outside [0, {num_classes})"
        )

    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    with np.errstate(divide="ignore"):
        raw = 1.0 / counts
    capped = np.minimum(raw, cap * raw.min())
    weights = capped * counts.sum() / np.sum(counts * capped)
    return torch.tensor(weights, dtype=torch.float32)
