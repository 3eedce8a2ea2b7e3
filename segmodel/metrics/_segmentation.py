"""Probe-based segmentation errors: Pk (Beeferman et al. 1999), WindowDiff (Pevzner & Hearst 2002).

Both slide a probe of ``k`` lines over a song and count where gold and pred disagree inside it,
so a boundary predicted one line off costs a little rather than a whole miss. Lower is better,
0.0 is perfect. Corpus scores are the unweighted mean over songs of each song's score, like the
macro boundary F1: a 300-line prose item does not outweigh a dozen 30-line songs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from segmodel.metrics._validation import LabelCorpus, LabelSequence, as_labels


def pk(gold: LabelSequence, pred: LabelSequence, *, k: int | None = None) -> float:
    """Pk of one song: how often a probe of ``k`` lines is judged differently.

    For a song of ``N`` lines, probe each pair of lines ``(i, i + k)``, ``i = 0 .. N - k - 1``,
    and count the probes where gold and pred disagree on whether the two lines are in the same
    segment::

        Pk = 1 / (N - k) * sum_i [ (b_gold(i) > 0) != (b_pred(i) > 0) ]

    where ``b(i)`` is the number of boundaries among lines ``i + 1 .. i + k`` (line ``j`` is a
    boundary iff its label differs from line ``j - 1``'s).

    ``k`` defaults to half the mean gold segment length, ``N / (2 (B + 1))`` for ``B`` gold
    boundaries, rounded half up and clipped to ``[1, N - 1]`` so that there is at least one probe
    and every probe spans a line break. A song of fewer than two lines has no probe: its Pk is
    0.0, as nothing can be wrong.

    ``nltk.metrics.segmentation.pk(ref, hyp, k)`` gives the same value when ``ref`` and ``hyp``
    are strings over the ``N - 1`` line breaks, ``"1"`` where the next line is a boundary (pass
    ``k``: nltk's default divides by the number of boundaries, not of segments).

    Example:
        >>> gold = [0, 0, 0, 1, 1, 1]  # boundary at 3; k = round(6 / 4) = 2
        >>> pred = [0, 0, 0, 1, 0, 0]  # boundaries at 3 and 4
        >>> pk(gold, pred)  # only probe (3, 5) disagrees, of 4
        0.25
    """
    return _single_song_errors(gold, pred, k=k).mean_pk()


def windowdiff(gold: LabelSequence, pred: LabelSequence, *, k: int | None = None) -> float:
    """WindowDiff of one song: how often a probe of ``k`` lines holds a different boundary count.

    With the probes, ``b(i)`` and the default ``k`` of :func:`pk`::

        WindowDiff = 1 / (N - k) * sum_i [ b_gold(i) != b_pred(i) ]

    Unlike Pk it also counts a probe where both have a boundary but not as many. A song of fewer
    than two lines scores 0.0. ``nltk.metrics.segmentation.windowdiff(ref, hyp, k)`` agrees on
    the line-break strings described in :func:`pk`.

    Example:
        >>> gold = [0, 0, 0, 1, 1, 1]
        >>> pred = [0, 0, 0, 1, 0, 0]
        >>> windowdiff(gold, pred)  # probes (2, 4) and (3, 5) disagree, of 4
        0.5
    """
    return _single_song_errors(gold, pred, k=k).mean_windowdiff()


@dataclass(frozen=True)
class WindowErrors:
    """Per-song ``(songs,)`` arrays: probes where Pk and WindowDiff count an error, and probes."""

    pk_errors: npt.NDArray[np.int64]
    windowdiff_errors: npt.NDArray[np.int64]
    probes: npt.NDArray[np.int64]

    def mean_pk(self) -> float:
        """Mean Pk over songs with at least one probe (0.0 if there is none)."""
        return _mean_over_songs(self.pk_errors, self.probes)

    def mean_windowdiff(self) -> float:
        """Mean WindowDiff over songs with at least one probe (0.0 if there is none)."""
        return _mean_over_songs(self.windowdiff_errors, self.probes)


def window_errors(
    gold: LabelCorpus, pred: LabelCorpus, *, k: npt.NDArray[np.int64] | None = None
) -> WindowErrors:
    """Count Pk and WindowDiff errors of every song at once (equally shaped corpora).

    ``k`` holds each song's probe width; by default half its mean gold segment length.
    """
    lengths = gold.lengths
    if k is None:
        k = default_probe_width(lengths, gold.boundaries_per_song)
    probes = np.where(lengths >= 2, lengths - k, 0)
    song = np.repeat(np.arange(gold.n_songs), probes)
    first_probe_of_song = np.cumsum(probes) - probes
    first_line = gold.starts[song] + np.arange(probes.sum()) - first_probe_of_song[song]
    last_line = first_line + k[song]
    # Boundaries among lines first+1 .. last, from running boundary counts.
    gold_seen = np.cumsum(gold.is_boundary)
    pred_seen = np.cumsum(pred.is_boundary)
    gold_between = gold_seen[last_line] - gold_seen[first_line]
    pred_between = pred_seen[last_line] - pred_seen[first_line]
    n_songs = gold.n_songs
    return WindowErrors(
        pk_errors=np.bincount(song[(gold_between > 0) != (pred_between > 0)], minlength=n_songs),
        windowdiff_errors=np.bincount(song[gold_between != pred_between], minlength=n_songs),
        probes=probes,
    )


def default_probe_width(
    lengths: npt.NDArray[np.int64], gold_boundaries: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Half the mean gold segment length per song, rounded half up, clipped to ``[1, N - 1]``."""
    half_segment = np.floor(lengths / (2 * (gold_boundaries + 1)) + 0.5).astype(np.int64)
    return np.clip(half_segment, 1, np.maximum(lengths - 1, 1))


def _single_song_errors(
    gold: LabelSequence, pred: LabelSequence, *, k: int | None
) -> WindowErrors:
    gold_labels = as_labels(gold, name="gold")
    pred_labels = as_labels(pred, name="pred")
    n_lines = gold_labels.size
    if pred_labels.size != n_lines:
        raise ValueError(f"gold has {n_lines} lines but pred has {pred_labels.size}")
    probe_width = None
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        if n_lines >= 2 and k > n_lines - 1:
            raise ValueError(f"k must be at most {n_lines - 1} (lines - 1), got {k}")
        probe_width = np.array([k], dtype=np.int64)
    lengths = np.array([n_lines], dtype=np.int64)
    return window_errors(
        LabelCorpus(gold_labels, lengths), LabelCorpus(pred_labels, lengths), k=probe_width
    )


def _mean_over_songs(errors: npt.NDArray[np.int64], probes: npt.NDArray[np.int64]) -> float:
    probed = probes > 0
    if not probed.any():
        return 0.0
    return float(np.mean(errors[probed] / probes[probed]))
