"""Sampler + storage time per trial for a study of cheap trials (no training).

Run by hand:

    .venv/bin/python bench/study_overhead.py --trials 500                      # SQLite
    .venv/bin/python bench/study_overhead.py --trials 500 --storage postgresql+psycopg2://...

Each trial samples the quickstart-sized search space with multivariate TPE (as segrun pins it)
and reports 3 intermediate values, like a pruned study's trials; the objective itself costs
nothing, so the time measured is Optuna's sampler plus the storage round trips of a trial.
segrun's own bookkeeping on top of this (attributes, trial log, recovery checks) is measured by
bench/runner_overhead.py.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import optuna


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--storage", help="storage URL, or 'memory' for the sampler alone (default: a fresh SQLite file)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = args.storage or f"sqlite:///{Path(tempfile.mkdtemp()) / 'overhead.db'}"
    backend = None if storage == "memory" else storage
    sampler = optuna.samplers.TPESampler(multivariate=True, constant_liar=False, seed=0, n_startup_trials=10)
    study = optuna.create_study(storage=backend, sampler=sampler, direction="maximize",
                                study_name=f"overhead-{time.time_ns()}")
    per_trial = []
    for _ in range(args.trials):
        started = time.perf_counter()
        trial = study.ask()
        x = trial.suggest_float("lr", 1e-4, 1e-2, log=True)
        h = trial.suggest_categorical("hidden", [32, 64, 96, 128])
        layers = trial.suggest_int("layers", 1, 3)
        if layers > 1:
            trial.suggest_float("layer_dropout", 0.0, 0.4)
        w = trial.suggest_float("boundary_weight", 1.0, 3.0)
        p = trial.suggest_float("switch_penalty", 0.0, 3.0)
        value = -abs(x - 3e-3) * 100 - abs(w - 2) - abs(p - 1) + h / 1000
        for epoch in range(1, 4):  # what segrun writes per epoch of a single-objective trial
            trial.report(value * epoch / 3, epoch)
        study.tell(trial, value)
        per_trial.append(time.perf_counter() - started)
    blocks = [per_trial[i : i + 100] for i in range(0, len(per_trial), 100)]
    summary = {
        "storage": storage.split("://")[0],
        "trials": args.trials,
        "mean_ms_per_trial": 1000 * sum(per_trial) / len(per_trial),
        "mean_ms_per_trial_by_100": [round(1000 * sum(b) / len(b), 1) for b in blocks],
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
