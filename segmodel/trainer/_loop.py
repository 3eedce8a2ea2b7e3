"""The training loop: one function, read top to bottom.

``train(config)`` loads the songs, computes (or loads cached) features, builds the tagger and
the loss, trains with AdamW and the configured schedule, validates after every epoch, hands the
epoch's metrics to an optional callback that may stop training (this is how a study prunes),
keeps the best epoch by the selection metric, calibrates probabilities on validation and writes
a run directory.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from segmodel.config import TrainConfig
from segmodel.data import songs_digest
from segmodel.features import extract_features, repeated_line_pairs
from segmodel.loss import NonFiniteLossError, build_loss, class_weights_from_labels
from segmodel.metrics import expected_calibration_error, segmentation_scores
from segmodel.model import SegmentationTagger
from segmodel.trainer._batching import SongTensors, Standardizer, iterate_batches
from segmodel.trainer._calibration import fit_calibrator
from segmodel.trainer._device import resolve_device, seed_everything
from segmodel.trainer._early_stopping import EarlyStopping
from segmodel.trainer._evaluation import run_split
from segmodel.trainer._metrics import EpochMetrics, TrainingError, TrainResult
from segmodel.trainer._run_dir import RunDirectory, default_cache_dir
from segmodel.trainer._schedule import LearningRateSchedule
from segmodel.trainer._splits import load_splits

__all__ = ["EpochCallback", "train"]

logger = logging.getLogger(__name__)

EpochCallback = Callable[[EpochMetrics], bool | None]


def train(
    config: TrainConfig,
    *,
    on_epoch: EpochCallback | None = None,
    run_dir: str | Path | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train one tagger as ``config`` says and return its metrics.

    Args:
        config: A validated training config.
        on_epoch: Called after every epoch with its :class:`EpochMetrics`; a truthy return stops
            training after that epoch (``stop_reason == "callback"``). Exceptions it raises
            (e.g. a study's prune signal) propagate unchanged.
        run_dir: Folder for the resolved config, per-epoch metrics, checkpoint and calibration;
            None writes nothing.
        progress: Show a progress bar over epochs.

    Raises:
        TrainingError: the loss became NaN/inf, or the device ran out of memory.

    Example:
        >>> from segmodel.config import TrainConfig
        >>> config = TrainConfig()
        >>> config.data.synthetic.train_songs, config.data.synthetic.val_songs = 24, 8
        >>> config.training.max_epochs = 1
        >>> result = train(config)
        >>> result.epochs_run, 0.0 <= result.val_metrics["boundary_f1"] <= 1.0
        (1, True)
    """
    started = time.perf_counter()
    system, training = config.system, config.training
    seed_everything(system.seed)
    if system.threads:
        torch.set_num_threads(system.threads)
    device = resolve_device(system.device)
    use_amp = system.amp and device.type == "cuda"

    # Data and features: features come from the on-disk cache after the first run.
    splits = load_splits(config.data)
    cache_dir = system.cache_dir or default_cache_dir()
    featurised = {
        name: extract_features(songs, config.features, cache_dir=cache_dir)
        for name, songs in (("train", splits.train), ("val", splits.val), ("test", splits.test))
        if songs
    }
    train_features = featurised["train"]
    standardizer = Standardizer.fit(train_features.matrices)
    tie_repeats = config.model.repeat_tying > 0
    tensors = {
        name: SongTensors.build(
            fs.matrices,
            [s.labels for s in getattr(splits, name)],
            standardizer,
            repeats=[repeated_line_pairs(s.lines) for s in getattr(splits, name)] if tie_repeats else None,
        )
        for name, fs in featurised.items()
    }
    train_labels = [s.labels for s in splits.train]
    val_gold = [list(s.labels) for s in splits.val]

    # Model, loss, optimiser, schedule.
    model = SegmentationTagger(train_features.dim, config.model).to(device)
    num_parameters = sum(p.numel() for p in model.parameters())
    class_weights = (
        class_weights_from_labels(train_labels, cap=config.loss.class_weight_cap)
        if config.loss.class_weights
        else None
    )
    loss_fn = build_loss(config.loss, class_weights=class_weights).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=training.learning_rate, weight_decay=training.weight_decay
    )
    schedule = LearningRateSchedule(training)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    higher_is_better = training.selection_metric != "loss"
    stopper = EarlyStopping(
        patience=training.patience, min_delta=training.min_delta, higher_is_better=higher_is_better
    )
    sample_weights = _chorus_weights(train_labels) if training.weighted_sampling else None
    rng = np.random.default_rng(system.seed)
    steps_per_epoch = math.ceil(len(tensors["train"]) / training.batch_size)
    output = RunDirectory(run_dir, config) if run_dir is not None else None

    history: list[EpochMetrics] = []
    top_states: list[tuple[float, int, dict[str, torch.Tensor]]] = []  # (signed value, epoch, state)
    stop_reason = "max_epochs"
    epochs = range(1, training.max_epochs + 1)
    bar = _progress_bar(epochs, enabled=progress)
    for epoch in bar:
        epoch_started = time.perf_counter()
        model.train()
        total_loss, total_lines = 0.0, 0
        batches = iterate_batches(
            tensors["train"],
            batch_size=training.batch_size,
            rng=rng,
            length_bucketing=training.length_bucketing,
            sample_weights=sample_weights,
        )
        for step, batch in enumerate(batches):
            learning_rate = schedule.learning_rate(epoch - 1 + step / steps_per_epoch)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate
            batch = batch.to(device)
            try:
                with _autocast(device, use_amp):
                    logits = model(batch.features, batch.lengths, batch.repeats)
                logits = logits.float()
                loss = loss_fn(logits, batch.labels, batch.mask).total
                loss = loss + model.sequence_loss(logits, batch.labels, batch.mask)
                if not torch.isfinite(loss):
                    raise NonFiniteLossError(f"training loss is {loss.item()}")
            except NonFiniteLossError as error:
                raise TrainingError(f"epoch {epoch}, batch {step + 1}: {error}") from error
            except torch.OutOfMemoryError as error:
                raise TrainingError(f"epoch {epoch}: out of memory on {device}: {error}") from error
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if training.gradient_clip_norm:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), training.gradient_clip_norm)
            scaler.step(optimizer)
            scaler.update()
            lines = int(batch.lengths.sum())
            total_loss += loss.item() * lines
            total_lines += lines

        val = run_split(model, tensors["val"], device=device, loss_fn=loss_fn)
        scores = segmentation_scores(val_gold, val.predictions)
        selection = val.loss if training.selection_metric == "loss" else scores[training.selection_metric]
        signed = selection if higher_is_better else -selection
        is_best = not history or signed > max(value for value, _, _ in top_states)
        _keep_top(top_states, signed, epoch, model, k=training.average_top_k)
        stopper.update(selection)
        schedule.end_epoch(selection, higher_is_better=higher_is_better)
        metrics = EpochMetrics(
            epoch=epoch,
            train_loss=total_loss / max(1, total_lines),
            val_loss=val.loss,
            learning_rate=learning_rate,
            seconds=time.perf_counter() - epoch_started,
            val=scores,
            num_parameters=num_parameters,
            is_best=is_best,
        )
        history.append(metrics)
        logger.info(
            "epoch %d: train loss %.4f, val loss %.4f, val boundary F1 %.4f, macro F1 %.4f (%.1fs)",
            epoch, metrics.train_loss, val.loss, scores["boundary_f1"], scores["macro_f1"], metrics.seconds,
        )
        _show(bar, metrics, best=max(v for v, _, _ in top_states) * (1 if higher_is_better else -1))
        if output is not None:
            output.write_history(history)
            if is_best:
                output.write_checkpoint(model, config, train_features, standardizer, calibration=None)
        if on_epoch is not None and on_epoch(metrics):
            stop_reason = "callback"
            break
        if stopper.should_stop:
            stop_reason = "early_stopping"
            break

    # The selected model: the best epoch, or the average of the k best epochs' weights.
    best_epoch = max(top_states)[1]
    model.load_state_dict(_average([state for _, _, state in top_states]))
    val = run_split(model, tensors["val"], device=device, loss_fn=loss_fn)
    val_scores = segmentation_scores(val_gold, val.predictions)

    margins = torch.cat([song_logits[:, 1] - song_logits[:, 0] for song_logits in val.logits])
    flat_gold = torch.as_tensor([label for song in val_gold for label in song])
    calibrator = fit_calibrator(config.calibration.method, margins, flat_gold)
    raw_probs = torch.sigmoid(margins).numpy()
    calibrated = calibrator.chorus_probability(torch.cat(val.logits)).numpy()
    calibration = {
        **calibrator.to_dict(),
        "ece_before": expected_calibration_error(raw_probs, flat_gold.numpy()),
        "ece_after": expected_calibration_error(calibrated, flat_gold.numpy()),
    }

    test_scores = None
    if "test" in tensors:
        test = run_split(model, tensors["test"], device=device)
        test_scores = segmentation_scores([list(s.labels) for s in splits.test], test.predictions)

    result = TrainResult(
        history=history,
        best_epoch=best_epoch,
        val_metrics=val_scores,
        val_loss=val.loss,
        stop_reason=stop_reason,
        feature_dim=train_features.dim,
        num_parameters=num_parameters,
        seconds=time.perf_counter() - started,
        calibration=calibration,
        test_metrics=test_scores,
        run_dir=output.path if output is not None else None,
        data_digest=songs_digest([*splits.train, *splits.val, *splits.test])[:16],
    )
    if output is not None:
        output.write_checkpoint(model, config, train_features, standardizer, calibration=calibrator)
        output.write_result(result)
    return result


def _chorus_weights(labels) -> np.ndarray:
    # Songs with choruses are the informative ones for boundaries; weight ∝ 1 + chorus share.
    return np.array([1.0 + (sum(song) / len(song)) for song in labels])


def _keep_top(top: list, signed: float, epoch: int, model: torch.nn.Module, *, k: int) -> None:
    state = {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}
    top.append((signed, epoch, state))
    # Earlier epoch wins a tie, so the reported best epoch is stable.
    top.sort(key=lambda item: (item[0], -item[1]), reverse=True)
    del top[k:]


def _average(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    if len(states) == 1:
        return states[0]
    averaged = copy.deepcopy(states[0])
    for name, tensor in averaged.items():
        if tensor.is_floating_point():
            averaged[name] = torch.stack([s[name] for s in states]).mean(dim=0)
    return averaged


def _autocast(device: torch.device, enabled: bool):
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.float16)


def _progress_bar(epochs: range, *, enabled: bool):
    if not enabled:
        return epochs
    from tqdm.auto import tqdm

    return tqdm(epochs, desc="training", unit="epoch", dynamic_ncols=True)


def _show(bar, metrics: EpochMetrics, *, best: float) -> None:
    if hasattr(bar, "set_postfix"):
        bar.set_postfix(loss=f"{metrics.train_loss:.3f}", val_f1=f"{metrics.val['boundary_f1']:.3f}",
                        best=f"{best:.3f}")
