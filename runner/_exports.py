"""Study results a person and a program can use, rebuilt from the storage alone.

```
results/<study>/
  hyperopt_results.json   every trial (state, params, values, metrics, epochs, reason), best, Pareto front
  best_config.yaml        the base config with the chosen trial's values (comments and layout kept)
  pareto_configs/         multi-objective: one trainable config per other Pareto-optimal trial
  hyperopt_summary.txt    the human summary
  hyperopt_logs/          one YAML log per trial (written by the trial itself)
```
Every file is written atomically: a reader, or a crash during export, never sees a torn file.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from runner._provenance import mask_storage_url
from runner._spec import StudySpec, trial_config_document
from runner._recovery import rerun_status
from runner._trial import EPOCHS_ATTR, FAILURE_ATTR, FEATURE_DIM_ATTR, METRICS_ATTR, SEEDS_ATTR, VALUES_ATTR
from segmodel.atomic import write_json_atomic, write_text_atomic
from segmodel.yamlconfig import dump_yaml

__all__ = ["choose_best", "pareto_trials", "retrain_report", "write_exports"]

_GROUPS = {
    "architecture": ("model.hidden_dim", "model.num_layers", "model.layer_dropout", "model.dropout"),
    "attention": ("model.attention",),
    "decoding": ("model.decoding", "model.switch_penalty", "model.repeat_tying"),
    "loss": ("loss.",),
    "training": ("training.",),
    "features": ("features.",),
}


def _feasible(trial: FrozenTrial) -> bool:
    # Trial.set_constraint stores one system attr per constraint ("constraints:<name>"), not a
    # "constraints" list; FrozenTrial.constraints reads both layouts.
    return all(value <= 0 for value in trial.constraints.values())


def pareto_trials(spec: StudySpec, study: optuna.Study) -> list[FrozenTrial]:
    """Feasible complete trials no other feasible complete trial dominates."""
    signs = [1.0 if o.direction == "maximize" else -1.0 for o in spec.objectives]
    trials = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if _feasible(t)]

    def dominates(a: FrozenTrial, b: FrozenTrial) -> bool:
        better_or_equal = all(s * x >= s * y for s, x, y in zip(signs, a.values, b.values, strict=True))
        return better_or_equal and any(s * x > s * y for s, x, y in zip(signs, a.values, b.values, strict=True))

    return [t for t in trials if not any(dominates(o, t) for o in trials if o is not t)]


def choose_best(spec: StudySpec, study: optuna.Study) -> FrozenTrial | None:
    """The trial whose config is exported: best primary value among the Pareto-optimal trials.

    Ties on the primary objective go to the better second objective, then to the earlier trial.
    For a single objective this is simply the best feasible complete trial.
    """
    front = pareto_trials(spec, study)
    if not front:
        return None
    signs = [1.0 if o.direction == "maximize" else -1.0 for o in spec.objectives]
    return min(front, key=lambda t: (*(-s * v for s, v in zip(signs, t.values, strict=True)), t.number))


def _trial_record(
    spec: StudySpec, trial: FrozenTrial, rerun_by: dict[int, int], pending: set[int]
) -> dict[str, Any]:
    metrics = trial.user_attrs.get(METRICS_ATTR, {})
    duration = trial.duration.total_seconds() if trial.duration else None
    values = None
    if trial.values is not None:
        values = {o.metric: v for o, v in zip(spec.objectives, trial.values, strict=True)}
    return {
        "number": trial.number,
        "state": trial.state.name,
        "params": trial.params,
        "values": values,
        "boundary_f1": metrics.get("val.boundary_f1"),
        "macro_f1": metrics.get("val.macro_f1"),
        "chorus_f1": metrics.get("val.chorus_f1"),
        "val_loss": metrics.get("val.loss"),
        "metrics": metrics,
        "epochs_run": trial.user_attrs.get(EPOCHS_ATTR),
        "seeds": trial.user_attrs.get(SEEDS_ATTR),
        "intermediate_values": {str(k): v for k, v in sorted(trial.intermediate_values.items())},
        "duration_seconds": duration,
        "failure_reason": trial.user_attrs.get(FAILURE_ATTR),
        "rerun_by_trial": rerun_by.get(trial.number),
        "will_be_retried": trial.number in pending,
        "enqueued": bool(trial.user_attrs.get("segrun.enqueued")),
        "feasible": _feasible(trial),
    }


def retrain_report(spec: StudySpec, trial_number: int) -> dict[str, Any] | None:
    """retrain.json when it is about ``trial_number`` (a stale one about another trial is ignored)."""
    try:
        report = json.loads((spec.results_dir / "retrain.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or report.get("trial") != trial_number or not report.get("val"):
        return None
    return report


def _config_for(spec: StudySpec, trial: FrozenTrial):
    return trial_config_document(spec, trial.user_attrs.get(VALUES_ATTR) or trial.params)


def write_exports(spec: StudySpec, study: optuna.Study) -> dict[str, Any]:
    """Write every export of ``study`` into ``spec.results_dir``; return the results dict."""
    out = spec.results_dir
    out.mkdir(parents=True, exist_ok=True)
    trials = study.get_trials(deepcopy=False)
    best = choose_best(spec, study)
    front = pareto_trials(spec, study) if len(spec.objectives) > 1 else []
    rerun_by, pending = rerun_status(trials)
    dims = [t.user_attrs[FEATURE_DIM_ATTR] for t in trials if FEATURE_DIM_ATTR in t.user_attrs]
    results = {
        "study_name": spec.name,
        "storage": mask_storage_url(spec.storage),
        "spec": str(spec.path),
        "spec_fingerprint": spec.fingerprint,
        "objectives": [{"metric": o.metric, "direction": o.direction} for o in spec.objectives],
        "n_trials_target": spec.budget.n_trials,
        "counts": dict(Counter(t.state.name for t in trials)),
        "best_trial": best.number if best else None,
        "best_score": best.values[0] if best else None,
        "best_values": dict(zip([o.metric for o in spec.objectives], best.values, strict=True)) if best else None,
        "best_params": best.params if best else None,
        "pareto_front": [
            {"number": t.number, "values": dict(zip([o.metric for o in spec.objectives], t.values, strict=True)),
             "params": t.params}
            for t in sorted(front, key=lambda t: t.number)
        ],
        "feature_dim": dims[-1] if dims else None,
        "wall_seconds": _wall_seconds(trials),
        "exported_at": datetime.now().isoformat(timespec="seconds"),
        "trials": [_trial_record(spec, t, rerun_by, pending) for t in trials],
    }
    write_json_atomic(out / "hyperopt_results.json", _finite(results))
    if best is not None:
        write_text_atomic(out / "best_config.yaml", _config_text(spec, best, "best"))
        for trial in front:
            if trial.number != best.number:
                write_text_atomic(out / "pareto_configs" / f"trial_{trial.number:03d}.yaml",
                                  _config_text(spec, trial, "Pareto-optimal"))
    write_text_atomic(out / "hyperopt_summary.txt", _summary(spec, study, results, best))
    return results


def _config_text(spec: StudySpec, trial: FrozenTrial, role: str) -> str:
    values = ", ".join(f"{o.metric} {v:.4f}" for o, v in zip(spec.objectives, trial.values, strict=True))
    header = (
        f"# {role} config of study {spec.name!r}: trial {trial.number} ({values}).\n"
        f"# Train it with: segrun train {spec.results_dir / 'best_config.yaml'}\n"
    )
    return header + dump_yaml(_config_for(spec, trial))


def _wall_seconds(trials: list[FrozenTrial]) -> float | None:
    starts = [t.datetime_start for t in trials if t.datetime_start]
    ends = [t.datetime_complete for t in trials if t.datetime_complete]
    if not starts or not ends:
        return None
    return (max(ends) - min(starts)).total_seconds()


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: write them as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _group_of(name: str) -> str:
    for group, prefixes in _GROUPS.items():
        if any(name.startswith(p) for p in prefixes):
            return group
    return "other"


def _summary(spec: StudySpec, study: optuna.Study, results: dict, best: FrozenTrial | None) -> str:
    primary = spec.primary
    lines = [f"Study {spec.name}", "=" * (6 + len(spec.name)), ""]
    lines.append("Objectives: " + ", ".join(f"{o.metric} ({o.direction})" for o in spec.objectives))
    counts = results["counts"]
    lines.append(
        f"Trials: {sum(counts.values())} (target {spec.budget.n_trials}) - "
        + ", ".join(f"{counts.get(s, 0)} {s.lower()}" for s in ("COMPLETE", "PRUNED", "FAIL", "RUNNING"))
    )
    if results["wall_seconds"] is not None:
        lines.append(f"Wall time: {results['wall_seconds'] / 60:.1f} min")
    epochs = [t.get("epochs_run") or 0 for t in results["trials"]]
    full = spec.budget.epochs_per_trial * len(epochs)
    if full:
        lines.append(f"Epochs trained: {sum(epochs)} of {full} without pruning ({1 - sum(epochs) / full:.0%} saved)")
    lines.append("")
    if best is None:
        lines.append("No complete trial yet.")
        return "\n".join(lines) + "\n"
    lines.append(f"Best trial: #{best.number}  {primary.metric} = {best.values[0]:.4f}")
    for objective, value in zip(spec.objectives[1:], best.values[1:], strict=True):
        lines.append(f"            {objective.metric} = {value:.4f}")
    metrics = best.user_attrs.get(METRICS_ATTR, {})
    extra = [f"{k} {metrics[k]:.4f}" for k in ("val.macro_f1", "val.chorus_f1", "val.boundary_f1_relaxed_1")
             if k in metrics]
    if extra:
        lines.append("            " + ", ".join(extra))
    seeds = best.user_attrs.get(SEEDS_ATTR)
    if seeds:
        per_seed = ", ".join(f"seed {r['seed']} {r['values'][0]:.4f}" for r in seeds)
        lines.append(f"            mean of {len(seeds)} seeds: {per_seed}")
    retrained = retrain_report(spec, best.number)
    if retrained:
        cells = ", ".join(f"{name} {retrained['val'][name]['mean']:.4f} ± {retrained['val'][name]['std']:.4f}"
                          for name in ("boundary_f1", "macro_f1") if name in retrained["val"])
        lines.append(f"Retrained on seeds {', '.join(map(str, retrained['seeds']))} (retrain.json): val {cells}")
    baselines = [t for t in results["trials"] if t["enqueued"] and t["state"] == "COMPLETE"]
    if baselines:
        base_value = baselines[0]["values"][primary.metric]
        lines.append(f"Enqueued baseline (trial #{baselines[0]['number']}): {base_value:.4f} "
                     f"-> gain {best.values[0] - base_value:+.4f}")
    lines += ["", "Best parameters:"]
    grouped: dict[str, list[str]] = {}
    for name, value in sorted(best.params.items()):
        grouped.setdefault(_group_of(name), []).append(f"    {name}: {value}")
    for group in [*_GROUPS, "other"]:
        if group in grouped:
            lines.append(f"  {group}")
            lines += grouped[group]
    values = [t.values[0] for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if len(values) > 1:
        quartiles = statistics.quantiles(values, n=4)
        lines += ["", f"{primary.metric} over complete trials: min {min(values):.4f}, "
                      f"q1 {quartiles[0]:.4f}, median {quartiles[1]:.4f}, q3 {quartiles[2]:.4f}, max {max(values):.4f}"]
    failures = [t for t in results["trials"] if t["state"] == "FAIL"]
    if failures:
        lines += ["", "Failed trials:"]
        lines += [f"  #{t['number']}: {t['failure_reason']}" for t in failures]
    lines += ["", f"Retrain the best config: segrun train {Path(spec.results_dir) / 'best_config.yaml'}",
              f"Resume the study:        segrun {spec.path}"]
    return "\n".join(lines) + "\n"
