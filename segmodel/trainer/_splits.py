"""The train / val / test songs a config asks for."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from segmodel.data import Song, SynthConfig, load_songs, song_excerpts, synthesize_songs

__all__ = ["Splits", "load_splits"]


@dataclass(frozen=True)
class Splits:
    """Songs per split; ``test`` is empty when the config names none."""

    train: list[Song]
    val: list[Song]
    test: list[Song]


def _carve(songs: list[Song], fraction: float, *, salt: str) -> tuple[list[Song], list[Song]]:
    """(kept, carved): songs whose salted id hash falls below ``fraction`` are carved off.

    A hash of the id, not a shuffled index: the same song lands in the same split whatever the
    file order, seed or corpus size. Different salts make the val and test carves independent.
    """

    def carved(song: Song) -> bool:
        digest = hashlib.sha256(f"{salt}:{song.id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < fraction

    return [s for s in songs if not carved(s)], [s for s in songs if carved(s)]


def load_splits(data) -> Splits:  # data: segmodel.config.DataConfig
    """Load (or synthesise) the songs of every split of a ``DataConfig``; train includes the
    excerpts ``data.excerpts`` asks for."""
    synthetic = data.synthetic
    synth_config = SynthConfig.with_difficulty(synthetic.difficulty)

    def synth(n_songs: int, offset: int) -> list[Song]:
        # Distinct seeds per split so val songs are not copies of train songs.
        return synthesize_songs(n_songs, seed=synthetic.seed + offset, config=synth_config)

    train = load_songs(data.train) if data.train else synth(synthetic.train_songs, 0)
    test: list[Song] = []
    if data.test:
        test = load_songs(data.test)
    elif data.train and data.test_fraction > 0:
        train, test = _carve(train, data.test_fraction, salt="test")
    elif not data.train and synthetic.test_songs:
        test = synth(synthetic.test_songs, 2)
    if data.val:
        val = load_songs(data.val)
    elif data.train:
        train, val = _carve(train, data.val_fraction, salt="val")
    else:
        val = synth(synthetic.val_songs, 1)
    if data.excerpts.copies:
        # After the carves, so no excerpt of a val or test song is trained on. A fixed seed:
        # every trial and seed trains on the same excerpts, whose features are cached once.
        train = song_excerpts(train, copies=data.excerpts.copies, min_fraction=data.excerpts.min_fraction, seed=0)
    return Splits(train=train, val=val, test=test)
