"""Songs as tensors, standardised features, and padded batches with little padding."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from segmodel.model import repeat_matrix

__all__ = ["Batch", "Standardizer", "SongTensors", "iterate_batches"]


@dataclass(frozen=True)
class Standardizer:
    """Per-column z-scores with statistics from the training lines only."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, matrices: Sequence[np.ndarray]) -> Standardizer:
        stacked = np.concatenate(matrices, axis=0).astype(np.float64)
        mean = stacked.mean(axis=0)
        std = stacked.std(axis=0)
        # A constant column (a view that never fires on this corpus) stays 0, not inf.
        return cls(mean=mean.astype(np.float32), scale=np.where(std > 1e-8, std, 1.0).astype(np.float32))

    def transform(self, matrix: np.ndarray) -> np.ndarray:
        return ((matrix - self.mean) / self.scale).astype(np.float32)

    def state(self) -> dict[str, torch.Tensor]:
        return {"mean": torch.from_numpy(self.mean), "scale": torch.from_numpy(self.scale)}

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor]) -> Standardizer:
        return cls(mean=state["mean"].numpy(), scale=state["scale"].numpy())


@dataclass
class SongTensors:
    """One split, ready for the model: standardised features and labels per song.

    ``repeats`` holds each song's repeated-line index pairs
    (:func:`~segmodel.features.repeated_line_pairs`) when the model ties repeated lines.
    """

    features: list[torch.Tensor]
    labels: list[torch.Tensor]
    repeats: list[torch.Tensor] | None = None

    @classmethod
    def build(
        cls,
        matrices: Sequence[np.ndarray],
        labels: Sequence[Sequence[int] | None],
        standardizer: Standardizer,
        *,
        repeats: Sequence[np.ndarray] | None = None,
    ) -> SongTensors:
        return cls(
            features=[torch.from_numpy(standardizer.transform(m)) for m in matrices],
            labels=[
                torch.as_tensor(
                    song_labels if song_labels is not None else [0] * len(m), dtype=torch.long
                )
                for m, song_labels in zip(matrices, labels, strict=True)
            ],
            repeats=[torch.from_numpy(p) for p in repeats] if repeats is not None else None,
        )

    def __len__(self) -> int:
        return len(self.features)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(f) for f in self.features])


@dataclass
class Batch:
    """Padded batch: ``features`` (B, T, D), ``labels`` (B, T), ``mask`` (B, T), ``lengths`` (B,),
    and ``repeats`` (B, T, T, see :func:`~segmodel.model.repeat_matrix`) when the songs have them."""

    features: torch.Tensor
    labels: torch.Tensor
    mask: torch.Tensor
    lengths: torch.Tensor
    indices: list[int]
    repeats: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        return Batch(
            features=self.features.to(device, non_blocking=True),
            labels=self.labels.to(device, non_blocking=True),
            mask=self.mask.to(device, non_blocking=True),
            lengths=self.lengths,  # the BiLSTM wants lengths on the CPU
            indices=self.indices,
            repeats=self.repeats.to(device, non_blocking=True) if self.repeats is not None else None,
        )


def collate(songs: SongTensors, indices: Sequence[int]) -> Batch:
    lengths = torch.tensor([len(songs.features[i]) for i in indices], dtype=torch.long)
    steps = int(lengths.max())
    mask = torch.arange(steps)[None, :] < lengths[:, None]
    repeats = None
    if songs.repeats is not None:
        repeats = repeat_matrix([songs.repeats[i] for i in indices], steps)
    return Batch(
        features=pad_sequence([songs.features[i] for i in indices], batch_first=True),
        labels=pad_sequence([songs.labels[i] for i in indices], batch_first=True),
        mask=mask,
        lengths=lengths,
        indices=list(indices),
        repeats=repeats,
    )


def iterate_batches(
    songs: SongTensors,
    *,
    batch_size: int,
    rng: np.random.Generator | None = None,
    length_bucketing: bool = True,
    sample_weights: np.ndarray | None = None,
) -> Iterator[Batch]:
    """Batches over ``songs``; shuffled when ``rng`` is given, in order otherwise.

    With ``length_bucketing`` songs are shuffled, cut into pools of 50 batches, sorted by length
    inside a pool and batched, and the batches shuffled: batches hold songs of similar length
    (little padding) while the order stays random. ``sample_weights`` draws the epoch's songs
    with replacement in proportion to the weights (same number of songs per epoch).
    """
    n = len(songs)
    if rng is None:
        order = np.arange(n)
    elif sample_weights is not None:
        order = rng.choice(n, size=n, replace=True, p=sample_weights / sample_weights.sum())
    else:
        order = rng.permutation(n)
    if length_bucketing:
        lengths = songs.lengths
        pool = batch_size * 50
        chunks = [order[i : i + pool] for i in range(0, n, pool)]
        order = np.concatenate([c[np.argsort(lengths[c], kind="stable")] for c in chunks])
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if rng is not None and length_bucketing:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    for indices in batches:
        yield collate(songs, indices.tolist())
