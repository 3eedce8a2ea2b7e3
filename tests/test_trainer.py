"""Training end to end on small synthetic corpora: learning, determinism, stopping, run dirs."""

from __future__ import annotations

import json

import pytest
import torch

from segmodel.baselines import repeat_line_baseline
from segmodel.config import TrainConfig, load_train_config
from segmodel.errors import TrainingError
from segmodel.metrics import segmentation_scores
from segmodel.trainer import TrainedModel, load_splits, train


def small_config(**training) -> TrainConfig:
    config = TrainConfig()
    config.data.synthetic.train_songs = 240
    config.data.synthetic.val_songs = 60
    config.model.hidden_dim = 32
    config.model.num_layers = 1
    config.training.max_epochs = training.pop("max_epochs", 6)
    config.training.learning_rate = training.pop("learning_rate", 5e-3)
    config.system.threads = 1
    for key, value in training.items():
        setattr(config.training, key, value)
    return config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    config = small_config(max_epochs=10)
    return config, train(config, run_dir=run_dir), run_dir


def test_short_training_clearly_beats_the_repeat_baseline(trained):
    config, result, _ = trained
    val = load_splits(config.data).val
    baseline = segmentation_scores([list(s.labels) for s in val], [repeat_line_baseline(s.lines) for s in val])
    assert result.val_metrics["boundary_f1"] > baseline["boundary_f1"] + 0.1
    assert result.val_metrics["macro_f1"] > baseline["macro_f1"] + 0.05


def test_history_has_every_reported_metric(trained):
    _, result, _ = trained
    first = result.history[0].flat()
    for key in ("train.loss", "val.loss", "val.boundary_f1", "val.pk", "val.windowdiff", "val.chorus_rate",
                "val.boundary_f1_relaxed_1", "model.parameters", "epoch.seconds"):
        assert key in first
    assert [h.epoch for h in result.history] == list(range(1, result.epochs_run + 1))
    best = max(result.history, key=lambda h: h.val["boundary_f1"])
    assert result.best_epoch == best.epoch


def test_run_directory_reloads_and_reproduces_the_validation_scores(trained):
    config, result, run_dir = trained
    assert {p.name for p in run_dir.iterdir()} >= {"config.yaml", "metrics.json", "model.pt", "result.json"}
    history = json.loads((run_dir / "metrics.json").read_text())
    assert len(history) == result.epochs_run
    assert load_train_config(run_dir / "config.yaml") == config
    model = TrainedModel.load(run_dir)
    val = load_splits(config.data).val
    assert model.evaluate(val) == pytest.approx(result.val_metrics)
    prediction = model.predict(val[:1])[0]
    assert len(prediction.labels) == len(val[0].lines)
    assert all(0.0 <= p <= 1.0 for p in prediction.chorus_probabilities)


def test_same_seed_same_metrics_on_cpu():
    first = train(small_config(max_epochs=2))
    second = train(small_config(max_epochs=2))
    assert [h.val for h in first.history] == [h.val for h in second.history]
    assert [h.train_loss for h in first.history] == [h.train_loss for h in second.history]


def test_early_stopping_fires_when_nothing_improves():
    # A learning rate of ~0 cannot improve anything: stop after exactly `patience` stale epochs.
    result = train(small_config(max_epochs=10, learning_rate=1e-12, min_learning_rate=0.0, patience=2,
                                warmup_epochs=0.0))
    assert result.stop_reason == "early_stopping"
    assert result.epochs_run == 3


def test_callback_can_stop_training_and_exceptions_propagate():
    seen = []
    result = train(small_config(max_epochs=5), on_epoch=lambda m: seen.append(m.epoch) or m.epoch == 2)
    assert seen == [1, 2] and result.stop_reason == "callback" and result.epochs_run == 2

    class Prune(Exception):
        pass

    def prune(_metrics):
        raise Prune

    with pytest.raises(Prune):
        train(small_config(max_epochs=3), on_epoch=prune)


def test_nan_loss_stops_training_with_a_reason(monkeypatch):
    from segmodel.model import SegmentationTagger

    original = SegmentationTagger.forward
    calls = {"n": 0}

    def poisoned(self, features, lengths, repeats=None):
        calls["n"] += 1
        logits = original(self, features, lengths, repeats)
        return logits * float("nan") if calls["n"] > 3 and self.training else logits

    monkeypatch.setattr(SegmentationTagger, "forward", poisoned)
    with pytest.raises(TrainingError, match="not finite|nan"):
        train(small_config(max_epochs=3))


def test_average_top_k_reports_the_averaged_model():
    result = train(small_config(max_epochs=4, average_top_k=3))
    assert result.epochs_run == 4
    assert 0.0 <= result.val_metrics["boundary_f1"] <= 1.0


@pytest.mark.parametrize("decoding", ["argmax", "crf"])
def test_other_decodings_train(decoding):
    config = small_config(max_epochs=2)
    config.model.decoding = decoding
    result = train(config)
    assert torch.isfinite(torch.tensor(result.val_loss))


def test_repeat_tying_trains_and_a_reloaded_model_reproduces_its_scores(tmp_path):
    config = small_config(max_epochs=2)
    config.model.repeat_tying = 0.5
    result = train(config, run_dir=tmp_path / "run")
    model = TrainedModel.load(tmp_path / "run")
    assert model.config.model.repeat_tying == 0.5
    assert model.evaluate(load_splits(config.data).val) == pytest.approx(result.val_metrics)
