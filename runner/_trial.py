"""One trial: sample → merged, validated config → train with a pruning callback → outcome.

With ``budget.seeds_per_trial`` above 1 the config is trained once per seed (``system.seed``,
``+1``, …) and scored by the mean over seeds, so a config that was only lucky once does not win.
The pruner watches the first seed only: a weak config is stopped before the extra seeds are paid
for, and every trial's reported curve means the same thing.

A trial ends in exactly one of three states, each recorded with its reason: COMPLETE (values of
every objective), PRUNED (the pruner stopped it; epochs run kept), FAIL (a reason, never a fake
score). Failures that say nothing about the parameters — an interrupted run, a dead worker — are
marked ``segrun.retry`` so the next run re-runs them.
"""

from __future__ import annotations

import copy
import logging
import math
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from runner._provenance import provenance
from runner._pruning import CURVE_ATTR, PrimaryMedianRule
from runner._search_space import suggest
from runner._spec import StudySpec, trial_config_document
from segmodel.atomic import write_text_atomic
from segmodel.config import TrainConfig, train_config_from_mapping
from segmodel.errors import InputError, TrainingError
from segmodel.trainer import EpochMetrics, TrainResult, train
from segmodel.yamlconfig import dump_yaml, to_plain

__all__ = [
    "FAILURE_ATTR",
    "METRICS_ATTR",
    "RETRY_ATTR",
    "SEEDS_ATTR",
    "TrialOutcome",
    "Interrupted",
    "run_trial",
    "trial_log_path",
]

logger = logging.getLogger(__name__)

FAILURE_ATTR = "segrun.failure"
METRICS_ATTR = "segrun.metrics"
VALUES_ATTR = "segrun.values"
EPOCHS_ATTR = "segrun.epochs"
RETRY_ATTR = "segrun.retry"
WORKER_ATTR = "segrun.worker"
FEATURE_DIM_ATTR = "segrun.feature_dim"
SEEDS_ATTR = "segrun.seeds"


class Interrupted(BaseException):
    """SIGINT/SIGTERM arrived; carries the exit status (130 or 143).

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it.
    """

    def __init__(self, exit_code: int) -> None:
        super().__init__(f"interrupted (exit {exit_code})")
        self.exit_code = exit_code


class TrialTimeout(Exception):
    """The trial ran past the spec's ``budget.trial_timeout``."""


@dataclass
class TrialOutcome:
    """How a trial ended (what was told to Optuna)."""

    number: int
    state: TrialState
    values: list[float] | None = None
    reason: str | None = None
    epochs: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    data_digest: str | None = None
    traceback: str | None = None


def trial_log_path(results_dir: Path, number: int) -> Path:
    return results_dir / "hyperopt_logs" / f"trial_{number:03d}.yaml"


def run_trial(
    spec: StudySpec,
    study: optuna.Study,
    trial: optuna.Trial,
    *,
    on_epoch: Callable[[optuna.Trial, EpochMetrics, int], None] | None = None,
) -> TrialOutcome:
    """Run ``trial`` to its end and tell ``study`` the outcome.

    ``on_epoch(trial, metrics, seed_number)`` lets the caller show progress (``seed_number``
    counts the trial's seeds from 1). :class:`Interrupted` is re-raised after the
    trial has been told as FAIL (reason "interrupted", marked for retry) and its log written.
    """
    started = time.perf_counter()
    primary = spec.primary
    maximize = primary.direction == "maximize"
    multi_objective = len(spec.objectives) > 1
    median_rule = _median_rule(spec, maximize) if multi_objective else None
    curve: list[float] = []
    epochs: list[dict[str, Any]] = []
    config_document = None
    seed_runs: list[int] = []  # seeds started so far; the last one is training now
    outcome: TrialOutcome

    def report(metrics: EpochMetrics) -> None:
        flat = metrics.flat()
        first_seed = len(seed_runs) == 1
        record = {"epoch": metrics.epoch, **flat, "learning_rate": metrics.learning_rate}
        if spec.budget.seeds_per_trial > 1:
            record["seed"] = seed_runs[-1]
        epochs.append(record)
        if first_seed:
            curve.append(flat[primary.metric])
            if multi_objective:  # single-objective trials keep it as their intermediate values
                trial.set_user_attr(CURVE_ATTR, curve)
        if on_epoch is not None:
            on_epoch(trial, metrics, len(seed_runs))
        if spec.budget.trial_timeout and time.perf_counter() - started > spec.budget.trial_timeout:
            where = f"epoch {metrics.epoch}" + (f" of seed {seed_runs[-1]}" if len(seed_runs) > 1 else "")
            raise TrialTimeout(f"trial timeout of {spec.budget.trial_timeout:g}s reached after {where}")
        if not first_seed:
            return
        value = curve[-1]
        if median_rule is not None:
            if metrics.epoch >= spec.budget.epochs_min and median_rule.should_prune_trial(study, curve):
                raise optuna.TrialPruned(f"pruned at epoch {metrics.epoch} (median rule on {primary.metric})")
        elif math.isfinite(value):
            trial.report(value, metrics.epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {metrics.epoch}")

    try:
        values = suggest(trial, spec)
        trial.set_user_attr(VALUES_ATTR, values)
        config_document = trial_config_document(spec, values)
        config = train_config_from_mapping(
            config_document, path=f"{spec.path} (trial {trial.number} config)",
            base_dir=spec.path.parent,
        )
        results: list[TrainResult] = []
        for seed in trial_seeds(config.system.seed, spec.budget.seeds_per_trial):
            seed_runs.append(seed)
            results.append(train(_with_seed(config, seed), on_epoch=report))
        result = results[0]
        flat = mean_metrics([r.flat() for r in results])
        trial.set_user_attr(METRICS_ATTR, flat)
        trial.set_user_attr(EPOCHS_ATTR, sum(r.epochs_run for r in results))
        trial.set_user_attr(FEATURE_DIM_ATTR, result.feature_dim)
        if len(results) > 1:
            trial.set_user_attr(SEEDS_ATTR, _seed_records(spec, seed_runs, results))
        for constraint in spec.constraints:
            trial.set_constraint(constraint.metric, constraint.violation(flat[constraint.metric]))
        objective_values = [flat[o.metric] for o in spec.objectives]
        bad = [o.metric for o, v in zip(spec.objectives, objective_values, strict=True) if not math.isfinite(v)]
        if bad:
            raise TrainingError(f"objective {', '.join(bad)} is not finite")
        study.tell(trial, objective_values)
        outcome = TrialOutcome(
            trial.number, TrialState.COMPLETE, values=objective_values, data_digest=result.data_digest
        )
    except optuna.TrialPruned as pruned:
        trial.set_user_attr(EPOCHS_ATTR, len(epochs))
        study.tell(trial, state=TrialState.PRUNED)
        outcome = TrialOutcome(trial.number, TrialState.PRUNED, reason=str(pruned) or "pruned")
    except (Interrupted, KeyboardInterrupt):
        _fail(study, trial, "interrupted", retry=True, epochs=len(epochs))
        _write_log(spec, trial, config_document, TrialOutcome(
            trial.number, TrialState.FAIL, reason="interrupted", epochs=epochs,
            seconds=time.perf_counter() - started))
        raise
    except (InputError, TrainingError, TrialTimeout) as error:
        outcome = _failed(study, trial, f"{type(error).__name__}: {error}", epochs=len(epochs))
    except Exception as error:  # noqa: BLE001 - any crash of one trial must not end the study
        logger.debug("trial %d crashed", trial.number, exc_info=True)
        reason = f"{type(error).__name__}: {error}"
        if _is_out_of_memory(error):
            reason = f"out of memory: {error}"
        outcome = _failed(study, trial, reason, epochs=len(epochs), trace=traceback.format_exc())
    outcome.epochs = epochs
    outcome.seconds = time.perf_counter() - started
    _write_log(spec, trial, config_document, outcome)
    return outcome


def trial_seeds(first: int, count: int) -> list[int]:
    """The seeds one trial trains on: ``first``, ``first + 1``, … (``count`` of them).

    Example:
        >>> trial_seeds(7, 3)
        [7, 8, 9]
    """
    return [first + offset for offset in range(count)]


def mean_metrics(runs: list[dict[str, float]]) -> dict[str, float]:
    """Metric-wise mean over seeds (the keys every run reported).

    Example:
        >>> mean_metrics([{"val.boundary_f1": 0.6}, {"val.boundary_f1": 0.7}])
        {'val.boundary_f1': 0.65}
    """
    keys = [key for key in runs[0] if all(key in run for run in runs[1:])]
    return {key: statistics.fmean(run[key] for run in runs) for key in keys}


def _with_seed(config: TrainConfig, seed: int) -> TrainConfig:
    if seed == config.system.seed:
        return config
    seeded = copy.deepcopy(config)
    seeded.system.seed = seed
    return seeded


def _seed_records(spec: StudySpec, seeds: list[int], results: list[TrainResult]) -> list[dict[str, Any]]:
    records = []
    for seed, result in zip(seeds, results, strict=True):
        flat = result.flat()
        records.append({
            "seed": seed,
            "values": [flat[o.metric] for o in spec.objectives],
            "best_epoch": result.best_epoch,
            "epochs_run": result.epochs_run,
        })
    return records


def _median_rule(spec: StudySpec, maximize: bool) -> PrimaryMedianRule | None:
    options = spec.pruner
    if options.get("type") == "none":
        return None
    return PrimaryMedianRule(
        maximize=maximize,
        n_startup_trials=options["n_startup_trials"],
        n_warmup_steps=options["n_warmup_steps"],  # the spec fills in budget.epochs.min
        interval_steps=options["interval_steps"],
    )


def _is_out_of_memory(error: BaseException) -> bool:
    return "out of memory" in str(error).lower()


def _fail(study: optuna.Study, trial: optuna.Trial, reason: str, *, retry: bool, epochs: int) -> None:
    trial.set_user_attr(FAILURE_ATTR, reason)
    trial.set_user_attr(EPOCHS_ATTR, epochs)
    if retry:
        trial.set_user_attr(RETRY_ATTR, True)
    study.tell(trial, state=TrialState.FAIL)


def _failed(study, trial, reason: str, *, epochs: int, trace: str | None = None) -> TrialOutcome:
    logger.warning("trial %d failed: %s", trial.number, reason)
    _fail(study, trial, reason, retry=False, epochs=epochs)
    return TrialOutcome(trial.number, TrialState.FAIL, reason=reason, traceback=trace)


def _write_log(spec: StudySpec, trial: optuna.Trial, config_document, outcome: TrialOutcome) -> None:
    config = to_plain(config_document) if config_document is not None else None
    log = {
        "trial": trial.number,
        "state": outcome.state.name,
        "reason": outcome.reason,
        "values": outcome.values,
        "params": dict(trial.params),
        "seconds": round(outcome.seconds, 3),
        "epochs": outcome.epochs,
        "provenance": {
            "study": spec.name,
            "spec_fingerprint": spec.fingerprint,
            "seed": (config or {}).get("system", {}).get("seed"),
            "device": (config or {}).get("system", {}).get("device"),
            "data_hash": outcome.data_digest,
            **provenance(),
        },
        "config": config,
    }
    if outcome.traceback:
        log["traceback"] = outcome.traceback
    write_text_atomic(trial_log_path(spec.results_dir, trial.number), dump_yaml(log))
