"""The train / val / test songs a config asks for."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from segmodel.data import Song, SynthConfig, load_songs, synthesize_songs

__all__ = ["Splits", "load_splits"]


@dataclass(frozen=True)
class Splits:
    """Songs per split; ``test`` is empty when the config names none."""

    train: list[Song]
    val: list[Song]
    test: list[Song]


def _in_val(song_id: str, fraction: float) -> bool:
    # Hash of the id, not a shuffled index: the same song lands in the same split whatever the
    # file order, seed or size of the corpus.
    digest = hashlib.sha256(song_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def load_splits(data) -> Splits:  # data: segmodel.config.DataConfig
    """Load (or synthesise) the songs of every split of a ``DataConfig``."""
    synthetic = data.synthetic
    synth_config = SynthConfig.with_difficulty(synthetic.difficulty)

    def synth(n_songs: int, offset: int) -> list[Song]:
        # Distinct seeds per split so val songs are not copies of train songs.
        return synthesize_songs(n_songs, seed=synthetic.seed + offset, config=synth_config)

    train = load_songs(data.train) if data.train else synth(synthetic.train_songs, 0)
    if data.val:
        val = load_songs(data.val)
    elif data.train:
        val = [s for s in train if _in_val(s.id, data.val_fraction)]
        train = [s for s in train if not _in_val(s.id, data.val_fraction)]
    else:
        val = synth(synthetic.val_songs, 1)
    if data.test:
        test = load_songs(data.test)
    elif not data.train and synthetic.test_songs:
        test = synth(synthetic.test_songs, 2)
    else:
        test = []
    return Splits(train=train, val=val, test=test)
