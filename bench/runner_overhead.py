"""segrun's own bookkeeping per trial: the real `segrun SPEC` loop with training stubbed out.

Run by hand:

    .venv/bin/python bench/runner_overhead.py --trials 500                      # SQLite
    .venv/bin/python bench/runner_overhead.py --trials 500 --storage postgresql+psycopg2://...

``bench/study_overhead.py`` times Optuna alone (sampler + the writes a trial needs). This runs
segrun's study loop (``run_study``) on a quickstart-shaped spec (6 parameters, one conditional,
median pruner, 3 epochs per trial) with ``segmodel``'s ``train`` replaced by a stub that reports
three epochs instantly: what is left is sampling, pruning, the trial's storage writes
(parameters, per-epoch reports, attributes, its value), recovery checks and the trial log.
``--cli`` runs the whole `segrun SPEC` command instead, which adds the exports (rewritten while
they stay within a tenth of the run's time) and the HTML report (drawn at the start, at most once
a minute, and at the end). Trials are timed from the storage's start/end stamps.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import textwrap
import time
from pathlib import Path

import optuna

import runner._trial
from runner._spec import load_spec
from runner._study import run_study
from runner.cli import main as segrun
from segmodel.trainer import EpochMetrics, TrainResult

SPEC = """\
study:
  name: overhead-{stamp}
  seed: 7
  results_dir: results
  sampler: {{type: tpe, multivariate: true, constant_liar: false, n_startup_trials: 10}}
  pruner: {{type: median, n_startup_trials: 4}}
base: {{}}
search_space:
  model.hidden_dim: {{type: categorical, choices: [32, 64, 96, 128]}}
  model.num_layers: {{type: int, low: 1, high: 2}}
  model.layer_dropout: {{type: float, low: 0.0, high: 0.4, when: {{model.num_layers: {{gt: 1}}}}}}
  training.learning_rate: {{type: float, low: 1.0e-3, high: 1.0e-2, log: true}}
  loss.boundary_weight: {{type: float, low: 1.0, high: 3.0}}
  model.switch_penalty: {{type: float, low: 0.0, high: 3.0}}
objectives: [{{metric: val.boundary_f1, direction: maximize}}]
budget: {{n_trials: {trials}, epochs: {{min: 3, max: 3}}, max_failed_trials: null}}
"""


def instant_train(config, *, on_epoch=None, **_):
    """Three epochs whose score depends smoothly on the parameters; no data, no model."""
    lr, weight = config.training.learning_rate, config.loss.boundary_weight
    final = 0.7 - abs(lr - 3e-3) * 20 - abs(weight - 2.0) * 0.05 + config.model.hidden_dim / 2000
    history = []
    for epoch in (1, 2, 3):
        value = final * epoch / 3
        metrics = EpochMetrics(epoch=epoch, train_loss=1.0 / epoch, val_loss=1.0 - value, learning_rate=lr,
                               seconds=0.0, num_parameters=1000,
                               val={"boundary_f1": value, "macro_f1": value, "chorus_rate": 0.3})
        history.append(metrics)
        if on_epoch is not None and on_epoch(metrics):
            break
    best = history[-1]
    return TrainResult(history=history, best_epoch=best.epoch, val_metrics=best.val, val_loss=best.val_loss,
                       stop_reason="max_epochs", feature_dim=77, num_parameters=1000, seconds=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--storage", help="storage URL (default: the spec's SQLite file)")
    parser.add_argument("--cli", action="store_true", help="run the whole segrun command (exports, report)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="segrun-overhead-"))
    spec = folder / "spec.yaml"
    spec.write_text(textwrap.dedent(SPEC.format(stamp=time.time_ns(), trials=args.trials)))
    runner._trial.train = instant_train
    started = time.perf_counter()
    if args.cli:
        code = segrun([str(spec), "--no-progress"] + (["--storage", args.storage] if args.storage else []))
    else:
        code = run_study(load_spec(spec, storage=args.storage), progress=False).exit_code
    wall = time.perf_counter() - started
    storage = args.storage or f"sqlite:///{folder / 'results' / 'optuna_study.db'}"
    trials = optuna.load_study(study_name=spec.read_text().split("name: ")[1].split()[0],
                               storage=storage).get_trials(deepcopy=False)
    ends = sorted(t.datetime_complete for t in trials)
    first = min(t.datetime_start for t in trials)
    gaps = [(b - a).total_seconds() for a, b in zip([first, *ends[:-1]], ends, strict=True)]
    blocks = [gaps[i : i + 100] for i in range(0, len(gaps), 100)]
    print(json.dumps({
        "exit_code": code,
        "mode": "segrun command" if args.cli else "run_study",
        "storage": storage.split("://")[0],
        "trials": len(trials),
        "states": {s.name: sum(t.state == s for t in trials) for s in {t.state for t in trials}},
        "mean_ms_per_trial": round(1000 * sum(gaps) / len(gaps), 1),
        "mean_ms_per_trial_by_100": [round(1000 * sum(b) / len(b), 1) for b in blocks],
        "wall_s": round(wall, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
