"""Trainer building blocks: schedule, early stopping, calibration, batching, standardisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from segmodel.config import TrainingConfig
from segmodel.trainer import EarlyStopping, LearningRateSchedule, fit_calibrator
from segmodel.trainer._batching import SongTensors, Standardizer, iterate_batches


def schedule(**options) -> LearningRateSchedule:
    defaults = dict(learning_rate=1.0, min_learning_rate=0.0, warmup_epochs=0.0, max_epochs=10)
    return LearningRateSchedule(TrainingConfig(**{**defaults, **options}))


def test_warmup_starts_above_zero_and_reaches_peak():
    s = schedule(scheduler="none", warmup_epochs=2, warmup_start_factor=0.2)
    assert s.learning_rate(0.0) == pytest.approx(0.2)
    assert s.learning_rate(1.0) == pytest.approx(0.6)
    assert s.learning_rate(2.0) == pytest.approx(1.0)
    assert s.learning_rate(9.0) == pytest.approx(1.0)


def test_cosine_decays_to_floor_at_t_max():
    s = schedule(scheduler="cosine", cosine_t_max=4, min_learning_rate=0.01)
    assert s.learning_rate(0) == pytest.approx(1.0)
    assert s.learning_rate(2) == pytest.approx(0.5)
    assert s.learning_rate(4) == pytest.approx(0.01)
    assert s.learning_rate(7) == pytest.approx(0.01)


def test_cosine_restarts_jump_back_up():
    s = schedule(scheduler="cosine_restarts", restart_period=4)
    assert s.learning_rate(2) == pytest.approx(0.5)
    assert s.learning_rate(3.99) < 0.01
    assert s.learning_rate(4) == pytest.approx(1.0)


def test_plateau_halves_after_patience_epochs_without_improvement():
    s = schedule(scheduler="plateau", plateau_patience=2, plateau_factor=0.5)
    for value in (0.5, 0.6, 0.6, 0.59):
        s.end_epoch(value, higher_is_better=True)
    assert s.learning_rate(5) == pytest.approx(0.5)
    s.end_epoch(0.7, higher_is_better=True)
    assert s.learning_rate(6) == pytest.approx(0.5)


def test_early_stopping_triggers_on_drift_below_min_delta():
    stop = EarlyStopping(patience=3, min_delta=0.01, higher_is_better=True)
    improvements = [stop.update(v) for v in (0.5, 0.505, 0.509, 0.5095)]
    assert improvements == [True, False, False, False]
    assert stop.should_stop


def test_early_stopping_minimising():
    stop = EarlyStopping(patience=1, min_delta=0.0, higher_is_better=False)
    assert stop.update(1.0) and stop.update(0.9)
    assert not stop.update(0.95) and stop.should_stop


def test_temperature_scaling_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    labels = torch.as_tensor(rng.integers(0, 2, 4000))
    # True margin ±1 plus noise, reported 5x too confident.
    true_margin = torch.where(labels == 1, 1.0, -1.0) + torch.as_tensor(rng.normal(0, 1, 4000))
    calibrator = fit_calibrator("temperature", 5 * true_margin.float(), labels)
    assert calibrator.bias == 0.0
    # Two unit-variance Gaussians at ±1 have log-odds 2·m, so the best scale is 2 / 5.
    assert calibrator.scale == pytest.approx(0.4, abs=0.05)


def test_platt_learns_a_bias():
    labels = torch.tensor([1] * 800 + [0] * 200)
    margins = torch.zeros(1000)  # no information: the best answer is the base rate
    calibrator = fit_calibrator("platt", margins, labels)
    assert torch.sigmoid(torch.tensor(calibrator.bias)).item() == pytest.approx(0.8, abs=1e-3)


def test_standardizer_uses_train_statistics_and_survives_constant_columns():
    train = [np.array([[0.0, 1.0], [2.0, 1.0]], dtype=np.float32)]
    s = Standardizer.fit(train)
    out = s.transform(np.array([[1.0, 1.0]], dtype=np.float32))
    assert out.tolist() == [[0.0, 0.0]]
    assert np.isfinite(s.transform(np.array([[5.0, 3.0]], dtype=np.float32))).all()


def make_songs(lengths) -> SongTensors:
    matrices = [np.full((n, 3), i, dtype=np.float32) for i, n in enumerate(lengths)]
    labels = [[i % 2] * n for i, n in enumerate(lengths)]
    return SongTensors.build(matrices, labels, Standardizer(np.zeros(3, np.float32), np.ones(3, np.float32)))


def test_batches_cover_every_song_once_with_correct_masks():
    songs = make_songs([5, 1, 9, 3, 7, 2, 8])
    batches = list(iterate_batches(songs, batch_size=3, rng=np.random.default_rng(0)))
    seen = sorted(i for b in batches for i in b.indices)
    assert seen == list(range(7))
    for batch in batches:
        for row, index in enumerate(batch.indices):
            n = len(songs.features[index])
            assert batch.mask[row].sum() == n and batch.lengths[row] == n
            assert torch.all(batch.features[row, :n, 0] == index)


def test_length_bucketing_reduces_padding():
    lengths = list(np.random.default_rng(1).integers(5, 200, 400))
    songs = make_songs(lengths)

    def padding(bucketing: bool) -> int:
        batches = iterate_batches(songs, batch_size=16, rng=np.random.default_rng(0), length_bucketing=bucketing)
        return sum(int((~b.mask).sum()) for b in batches)

    assert padding(True) < 0.2 * padding(False)


def test_weighted_sampling_draws_heavier_songs_more_often():
    songs = make_songs([3] * 100)
    weights = np.array([10.0] + [1.0] * 99)
    drawn = [i for _ in range(20) for b in iterate_batches(
        songs, batch_size=10, rng=np.random.default_rng(_), sample_weights=weights) for i in b.indices]
    assert drawn.count(0) > 5 * (len(drawn) / 100)
    assert math.isclose(len(drawn), 2000)

