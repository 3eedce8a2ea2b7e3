"""Input checks shared by the metrics: label sequences in, flat numpy arrays out.

Corpus-level metrics work on every song's labels concatenated into one array (so that numpy does
the work once per corpus, not once per song) plus each song's length. Positions in error
messages are 0-based song indices and 0-based line indices, as in the caller's sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

LabelSequence = Sequence[int] | npt.NDArray[np.integer] | npt.NDArray[np.bool_]
"""One label per line: 0 (verse) or 1 (chorus)."""


def as_labels(labels: LabelSequence, *, name: str) -> npt.NDArray[np.int8]:
    """``labels`` as a 1-D int8 array, checked to hold only 0 and 1."""
    if isinstance(labels, str | bytes):
        raise ValueError(f"{name} must be a sequence of 0/1 labels, not a string")
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per line), got shape {array.shape}")
    _check_values(array, name=name, lengths=None)
    return array.astype(np.int8, copy=False)


def as_probabilities(
    probabilities: Sequence[float] | npt.NDArray[np.floating], *, name: str
) -> npt.NDArray[np.float64]:
    """``probabilities`` as a 1-D float array, checked to lie in [0, 1]."""
    array = np.asarray(probabilities, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one probability per line), got shape {array.shape}")
    outside = ~((array >= 0.0) & (array <= 1.0))  # NaN fails both comparisons, so it is caught too
    if outside.any():
        index = int(np.flatnonzero(outside)[0])
        raise ValueError(f"{name}[{index}] = {float(array[index])} is not a probability in [0, 1]")
    return array


@dataclass(frozen=True)
class LabelCorpus:
    """The labels of several songs, concatenated line after line.

    Attributes:
        labels: ``(lines,)`` int8 array, song after song.
        lengths: ``(songs,)`` number of lines of each song.
    """

    labels: npt.NDArray[np.int8]
    lengths: npt.NDArray[np.int64]

    @property
    def n_songs(self) -> int:
        return len(self.lengths)

    @property
    def n_lines(self) -> int:
        return len(self.labels)

    @cached_property
    def starts(self) -> npt.NDArray[np.int64]:
        """Index in :attr:`labels` of each song's first line."""
        return np.cumsum(self.lengths) - self.lengths

    @cached_property
    def is_boundary(self) -> npt.NDArray[np.bool_]:
        """Whether each line starts a new segment: its label differs from the previous line's
        label in the same song. A song's first line is never a boundary."""
        boundary = np.zeros(self.n_lines, dtype=bool)
        boundary[1:] = self.labels[1:] != self.labels[:-1]
        boundary[self.starts[self.lengths > 0]] = False
        return boundary

    @cached_property
    def song_of_line(self) -> npt.NDArray[np.int64]:
        """Song index of each line."""
        return np.repeat(np.arange(self.n_songs), self.lengths)

    @cached_property
    def boundaries_per_song(self) -> npt.NDArray[np.int64]:
        """Number of boundaries in each song."""
        return np.bincount(self.song_of_line[self.is_boundary], minlength=self.n_songs)


def as_corpus(songs: Sequence[LabelSequence], *, name: str) -> LabelCorpus:
    """Check ``songs`` (one label sequence per song) and concatenate them."""
    if isinstance(songs, str | bytes) or not isinstance(songs, Sequence | np.ndarray):
        raise ValueError(
            f"{name} must be a sequence of songs (one label sequence each), "
            f"got {type(songs).__name__}"
        )
    lengths = np.empty(len(songs), dtype=np.int64)
    for index, song in enumerate(songs):
        if isinstance(song, str | bytes) or not hasattr(song, "__len__"):
            raise ValueError(
                f"{name} song {index} must be a sequence of 0/1 labels, got {type(song).__name__}"
            )
        lengths[index] = len(song)
    if not len(songs) or not lengths.sum():
        return LabelCorpus(np.zeros(0, dtype=np.int8), lengths)
    # Empty songs are left out: numpy reads [] as float and would promote the whole corpus.
    labels = np.concatenate([np.asarray(song) for song in songs if len(song)])
    if labels.ndim != 1:
        raise ValueError(f"{name}: every song must be a flat sequence of labels (one per line)")
    _check_values(labels, name=name, lengths=lengths)
    return LabelCorpus(labels.astype(np.int8, copy=False), lengths)


def check_same_shape(gold: LabelCorpus, pred: LabelCorpus) -> None:
    """Raise if ``pred`` does not have as many songs as ``gold``, each as long as its gold song."""
    if gold.n_songs != pred.n_songs:
        raise ValueError(f"gold has {gold.n_songs} songs but pred has {pred.n_songs}")
    mismatched = np.flatnonzero(gold.lengths != pred.lengths)
    if mismatched.size:
        song = int(mismatched[0])
        raise ValueError(
            f"song {song}: gold has {gold.lengths[song]} lines but pred has {pred.lengths[song]}"
        )


def _check_values(labels: np.ndarray, *, name: str, lengths: npt.NDArray[np.int64] | None) -> None:
    if labels.size and labels.dtype.kind not in "biu":  # [] is a float array to numpy
        raise ValueError(
            f"{name} must hold integer labels 0 (verse) or 1 (chorus), got dtype {labels.dtype}"
        )
    invalid = np.flatnonzero((labels != 0) & (labels != 1))
    if not invalid.size:
        return
    index = int(invalid[0])
    if lengths is None:
        place = f"{name}[{index}]"
    else:
        ends = np.cumsum(lengths)
        song = int(np.searchsorted(ends, index, side="right"))
        place = f"{name} song {song}, line {index - (ends[song] - lengths[song])}"
    raise ValueError(f"{place}: label {labels[index]} is not 0 (verse) or 1 (chorus)")
