"""One training config on several seeds: val (and test) scores per seed, mean ± sample std.

Run by hand (the quality experiments of docs/benchmarks.md were run this way):

    .venv/bin/python bench/config_seeds.py docs/configs/lyrics_session2_trial2.yaml --seeds 2,3,4 \\
        --set data.train=$D/train.jsonl --set data.val=$D/val.jsonl --set system.threads=1 \\
        --set model.repeat_tying=0.5

Each seed is a plain ``segmodel`` training run (the epoch is selected on val, as everywhere);
nothing is written but one JSON line per seed (``--out``, appended) and the summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from pathlib import Path

from segmodel.config import load_train_config
from segmodel.trainer import train

REPORTED = ("boundary_f1", "macro_f1", "chorus_f1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--out", type=Path, help="append one JSON line per seed here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        config = load_train_config(args.config, overrides=[*args.set, f"system.seed={seed}"])
        result = train(config)
        row = {"config": str(args.config), "overrides": args.set, "seed": seed, "best_epoch": result.best_epoch,
               "epochs": result.epochs_run, "seconds": round(result.seconds, 1),
               "val": {k: result.val_metrics[k] for k in REPORTED},
               "test": {k: result.test_metrics[k] for k in REPORTED} if result.test_metrics else None}
        rows.append(row)
        print(f"seed {seed}: val boundary F1 {row['val']['boundary_f1']:.4f}, macro F1 {row['val']['macro_f1']:.4f}"
              f" (best epoch {result.best_epoch} of {result.epochs_run}, {row['seconds']} s)", flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
    for split in ("val", "test"):
        if all(r[split] for r in rows):
            cells = []
            for metric in REPORTED:
                values = [r[split][metric] for r in rows]
                spread = statistics.stdev(values) if len(values) > 1 else 0.0
                cells.append(f"{metric} {statistics.fmean(values):.4f} ± {spread:.4f}")
            print(f"{split}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
