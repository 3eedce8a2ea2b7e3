"""Splits from a config: files, carved val/test slices, synthetic corpus."""

from __future__ import annotations

from segmodel.config import DataConfig
from segmodel.data import synthesize_songs, write_songs
from segmodel.trainer import load_splits


def test_carved_slices_are_disjoint_deterministic_and_sized(tmp_path):
    path = tmp_path / "train.jsonl"
    write_songs(synthesize_songs(400, seed=0), path)
    config = DataConfig(train=str(path), val_fraction=0.2, test_fraction=0.25)
    first, second = load_splits(config), load_splits(config)
    ids = [{s.id for s in getattr(first, split)} for split in ("train", "val", "test")]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert sum(len(i) for i in ids) == 400
    assert 0.15 < len(ids[2]) / 400 < 0.35 and 0.1 < len(ids[1]) / 400 < 0.3
    assert [s.id for s in second.test] == [s.id for s in first.test]


def test_the_test_carve_does_not_move_when_val_comes_from_a_file(tmp_path):
    train, val = tmp_path / "train.jsonl", tmp_path / "val.jsonl"
    write_songs(synthesize_songs(200, seed=0), train)
    write_songs(synthesize_songs(20, seed=9), val)
    with_val = load_splits(DataConfig(train=str(train), val=str(val), test_fraction=0.2))
    without = load_splits(DataConfig(train=str(train), test_fraction=0.2))
    assert [s.id for s in with_val.test] == [s.id for s in without.test]
    assert len(with_val.val) == 20


def test_synthetic_splits_do_not_share_songs():
    splits = load_splits(DataConfig())
    train_lines = {s.lines for s in splits.train}
    assert not any(s.lines in train_lines for s in splits.val)
    assert len(splits.train) == 600 and len(splits.val) == 150 and splits.test == []
