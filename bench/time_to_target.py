"""Time to target: best validation boundary F1 against whole-study wall clock on the real corpus.

Run by hand, on an otherwise idle machine:

    LYRICS_DATA=../shared/data/lyrics .venv/bin/python bench/time_to_target.py --minutes 15

Starts `specs/lyrics.yaml` as a fresh study with a cold feature cache (so feature extraction is
inside the clock), runs it for the given wall time, then reads every trial's completion time
from the storage and reports when the best-so-far value first crossed each target — the
original project's best after 82.9 hours and 117 trials (0.457) and its best hand-tuned run
(0.54). Writes docs/time_to_target.json and docs/time_to_target.png; ``--replot`` redraws the
figure from an existing JSON without running anything.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"original Optuna study (83 h, 117 trials)": 0.457, "original best hand-tuned run": 0.54}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=REPO / "specs" / "lyrics.yaml")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per trial (default: the config's)")
    parser.add_argument("--results", type=Path, default=None, help="study folder to keep (default: a temporary one)")
    parser.add_argument("--replot", action="store_true", help="only redraw OUT/time_to_target.png from its JSON")
    args = parser.parse_args()
    if args.replot:
        plot(json.loads((args.out / "time_to_target.json").read_text()), args.out / "time_to_target.png")
        return
    logging.basicConfig(level=logging.WARNING)
    os.environ["SEGRUN_CACHE_DIR"] = tempfile.mkdtemp(prefix="segrun-ttt-")  # cold cache

    from optuna.trial import TrialState

    from runner import load_spec, run_study
    from segmodel.yamlconfig import set_dotted

    spec = load_spec(args.spec)
    if args.threads:
        set_dotted(spec.base_document, "system.threads", args.threads)
    results = args.results or Path(tempfile.mkdtemp(prefix="segrun-ttt-results-"))
    spec = replace(spec, results_dir=results, storage=f"sqlite:///{results / 'study.db'}",
                   budget=replace(spec.budget, timeout=args.minutes * 60, n_trials=10_000))
    started_wall = time.time()
    run = run_study(spec, progress=True)
    points, best = [], None
    for trial in sorted(run.study.get_trials(states=(TrialState.COMPLETE,)), key=lambda t: t.datetime_complete):
        value = trial.values[0]
        if best is None or value > best:
            best = value
        points.append((trial.datetime_complete.timestamp() - started_wall, best, trial.number))
    reached = {}
    for name, target in TARGETS.items():
        hit = next((p for p in points if p[1] >= target), None)
        reached[name] = {"target": target, "seconds": None if hit is None else round(hit[0], 1),
                         "trial": None if hit is None else hit[2]}
    spec_path = args.spec.resolve()
    summary = {"spec": str(spec_path.relative_to(REPO) if spec_path.is_relative_to(REPO) else spec_path),
               "wall_minutes": round(run.seconds / 60, 2),
               "trials": len(run.study.trials), "seeds_per_trial": spec.budget.seeds_per_trial,
               "best": best, "targets": reached,
               "curve": [{"seconds": round(s, 1), "best": b, "trial": n} for s, b, n in points]}
    args.out.mkdir(exist_ok=True)
    (args.out / "time_to_target.json").write_text(json.dumps(summary, indent=2) + "\n")
    plot(summary, args.out / "time_to_target.png")
    print(json.dumps({k: v for k, v in summary.items() if k != "curve"}, indent=2))


def plot(summary: dict, path: Path) -> None:
    """Best-so-far value against wall time, with the original project's two marks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = summary["curve"]
    seeds = summary.get("seeds_per_trial", 1)
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.step([p["seconds"] / 60 for p in curve], [p["best"] for p in curve], where="post",
              label="segrun best so far" + (f" (each trial: mean of {seeds} seeds)" if seeds > 1 else ""))
    for (name, target), color in zip(TARGETS.items(), ("tab:red", "tab:orange"), strict=True):
        axis.axhline(target, color=color, linestyle="--", linewidth=1, label=f"{name}: {target}")
    axis.set_xlabel("wall time since start, incl. feature extraction (minutes)")
    axis.set_ylabel("best val strict boundary F1")
    axis.set_title("Time to target on the real lyrics corpus (2 CPU cores)")
    axis.legend(loc="lower right", fontsize=8)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
