"""The final step of a study: retrain the chosen config on several seeds, report mean ± std.

A study picks its best trial on one seed's validation score (or a few seeds', with
``budget.seeds_per_trial``), and validation scores swing by a few points between seeds.
Retraining the chosen config on seeds the study never used tells how good it really is; a trial
that was only lucky shows up here as a lower mean.
"""

from __future__ import annotations

import argparse
import logging
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runner._exports import choose_best, retrain_report
from runner._spec import StudySpec, trial_config_document
from runner._train_schema import config_value
from runner._trial import SEEDS_ATTR, VALUES_ATTR
from segmodel.atomic import write_json_atomic
from segmodel.config import train_config_from_mapping
from segmodel.errors import InputError
from segmodel.trainer import train
from segmodel.yamlconfig import apply_overrides

__all__ = ["add_retrain_command", "final_retrain", "print_retrain", "retrain_best", "summarize_seeds"]

logger = logging.getLogger(__name__)

_REPORTED = ("boundary_f1", "boundary_f1_relaxed_1", "macro_f1", "chorus_f1", "pk", "windowdiff")


def summarize_seeds(runs: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """``{metric: {"mean", "std", "min", "max"}}`` over runs (sample std; 0 for a single run).

    Example:
        >>> summarize_seeds([{"f1": 0.5}, {"f1": 0.7}])["f1"]["mean"]
        0.6
    """
    summary = {}
    for key in runs[0]:
        values = [float(run[key]) for run in runs]
        summary[key] = {
            "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values),
            "max": max(values),
        }
    return summary


def retrain_best(
    spec: StudySpec,
    study,
    *,
    seeds: Sequence[int] | None = None,
    count: int = 3,
    overrides: Sequence[str] = (),
    trial_number: int | None = None,
) -> dict[str, Any]:
    """Train the chosen (or given) trial's config once per seed; write ``retrain.json``.

    ``seeds=None`` takes ``count`` seeds the trial never trained on (the ones after its own), so
    the lucky run that made the trial win is not counted again.
    """
    if trial_number is None:
        chosen = choose_best(spec, study)
        if chosen is None:
            raise InputError(f"study {spec.name!r} has no complete trial to retrain", path=spec.path)
    else:
        chosen = next((t for t in study.get_trials(deepcopy=False) if t.number == trial_number), None)
        if chosen is None:
            raise InputError(f"study {spec.name!r} has no trial {trial_number}", path="--trial")
    document = trial_config_document(spec, chosen.user_attrs.get(VALUES_ATTR) or chosen.params)
    study_seeds = _study_seeds(chosen, document)
    applied = apply_overrides(document, overrides)
    if seeds is None:
        seeds = [max(study_seeds) + offset for offset in range(1, count + 1)]
    runs = []
    for seed in seeds:
        apply_overrides(document, [f"system.seed={seed}"])
        config = train_config_from_mapping(document, path=f"{spec.path} (retrain of trial {chosen.number})",
                                           base_dir=spec.path.parent)
        run_dir = spec.results_dir / "retrain" / f"trial_{chosen.number:03d}_seed_{seed}"
        result = train(config, run_dir=run_dir, progress=True)
        record = {"seed": seed, "run_dir": str(run_dir), "best_epoch": result.best_epoch,
                  "seconds": result.seconds, "val": {k: result.val_metrics[k] for k in _REPORTED}}
        if result.test_metrics is not None:
            record["test"] = {k: result.test_metrics[k] for k in _REPORTED}
        runs.append(record)
        logger.info("seed %d: val boundary F1 %.4f", seed, result.val_metrics["boundary_f1"])
    report = {
        "study": spec.name,
        "trial": chosen.number,
        "study_value": chosen.values[0] if chosen.values else None,  # None: pruned or failed
        "seeds": list(seeds),
        "study_seeds": study_seeds,
        "overrides": list(applied.values()),
        "requested_overrides": list(overrides),
        "val": summarize_seeds([r["val"] for r in runs]),
        "test": summarize_seeds([r["test"] for r in runs]) if all("test" in r for r in runs) else None,
        "runs": runs,
    }
    write_json_atomic(spec.results_dir / "retrain.json", report)
    return report


def final_retrain(spec: StudySpec, study) -> dict[str, Any] | None:
    """The spec's final step (``retrain:``), unless ``retrain.json`` already holds it.

    Returns the report, or None when the spec asks for no final step or it was done before for
    the same trial, seeds and overrides (a resumed, finished study does not retrain again).
    """
    plan = spec.retrain
    chosen = choose_best(spec, study)
    if not plan.seeds or chosen is None:
        return None
    previous = retrain_report(spec, chosen.number)
    if (previous and len(previous.get("seeds", ())) == plan.seeds
            and previous.get("requested_overrides") == list(plan.overrides)):
        return None
    logger.info("final step: retraining trial %d on %d unused seeds", chosen.number, plan.seeds)
    return retrain_best(spec, study, count=plan.seeds, overrides=plan.overrides, trial_number=chosen.number)


def _study_seeds(trial, document) -> list[int]:
    """The seeds the study trained ``trial`` on."""
    records = trial.user_attrs.get(SEEDS_ATTR)
    if records:
        return [record["seed"] for record in records]
    return [int(config_value(document, "system.seed"))]


def add_retrain_command(commands) -> None:
    retrain = commands.add_parser(
        "retrain", help="retrain the study's chosen config on several seeds; report mean ± std"
    )
    retrain.add_argument("target", type=Path, metavar="RESULTS_OR_SPEC")
    retrain.add_argument("--seeds", help="comma-separated seeds (default: three seeds the study did not "
                                          "train the trial on, e.g. 1,2,3 after seed 0)")
    retrain.add_argument("--trial", type=int, metavar="N", help="retrain trial N instead of the chosen one")
    retrain.add_argument("--storage", help="storage URL (default: the spec's, or $SEGRUN_STORAGE)")
    retrain.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                         help="override the config, e.g. data.test_fraction=0.15 to also score an "
                              "in-distribution slice carved from train")
    retrain.set_defaults(handler=_cmd_retrain)


def _parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"expected comma-separated integers, got {text!r}", path="--seeds") from None
    if not seeds:
        raise InputError("give at least one seed", path="--seeds")
    return seeds


def _cmd_retrain(args: argparse.Namespace) -> int:
    from runner._commands import _load_existing, resolve_spec

    spec = resolve_spec(args.target, args.storage)
    seeds = _parse_seeds(args.seeds) if args.seeds is not None else None
    report = retrain_best(spec, _load_existing(spec), seeds=seeds,
                          overrides=args.set, trial_number=args.trial)
    print_retrain(spec, report)
    return 0


def print_retrain(spec: StudySpec, report: dict[str, Any]) -> None:
    """The retrain report as a few lines on stdout."""
    value = report["study_value"]
    known = f"study value {value:.4f}" if value is not None else "no study value: it did not complete"
    print(f"trial {report['trial']} ({known}) retrained on seeds {', '.join(map(str, report['seeds']))}:")
    for split in ("val", "test"):
        if report[split]:
            cells = ", ".join(f"{k} {v['mean']:.4f} ± {v['std']:.4f}" for k, v in report[split].items())
            print(f"  {split}: {cells}")
    print(f"-> {spec.results_dir / 'retrain.json'}")
