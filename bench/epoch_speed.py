"""Seconds per training epoch on the real corpus, for the architectures the original project used.

Run by hand (not in CI):

    .venv/bin/python bench/epoch_speed.py --data ../shared/data/lyrics

Trains each architecture for a few epochs with the feature cache warm (as every trial after the
first of a study) and reports the median epoch time (training + validation), plus the one-off
feature extraction time. The original project's code, measured on the same 2-core machine, took
60-100 s per epoch for 256x2 + attention and 59-66 s for 128x1, 35-43 s of it recomputing
features every epoch.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ARCHITECTURES = {
    "default (128x2, no attention, viterbi)": ("configs/default.yaml", []),
    "original 256x2 + boundary-aware attention": ("configs/original_all_features.yaml", []),
    "original 128x1, no attention": (
        "configs/original_all_features.yaml",
        ["model.hidden_dim=128", "model.num_layers=1", "model.attention_type=none"],
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "lyrics")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--extra", action="append", default=[], help="NAME=CONFIG:key=v,key=v")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ["SEGRUN_CACHE_DIR"] = tempfile.mkdtemp(prefix="segrun-bench-")

    import torch

    from segmodel.config import load_train_config
    from segmodel.features import extract_features
    from segmodel.trainer import load_splits, train

    architectures = dict(ARCHITECTURES)
    for item in args.extra:
        name, _, rest = item.partition("=")
        config, _, sets = rest.partition(":")
        architectures[name] = (config, [s for s in sets.split(",") if s])
    data = [f"data.train={args.data / 'train.jsonl'}", f"data.val={args.data / 'val.jsonl'}"]
    system = [f"system.threads={args.threads}", f"system.device={args.device}"]
    rows = []
    for name, (config_path, sets) in architectures.items():
        config = load_train_config(REPO / config_path, overrides=[*data, *system, *sets,
                                   f"training.max_epochs={args.epochs}", "training.patience=1000"])
        splits = load_splits(config.data)
        started = time.perf_counter()
        for songs in (splits.train, splits.val):
            extract_features(songs, config.features, cache_dir=os.environ["SEGRUN_CACHE_DIR"])
        features_seconds = time.perf_counter() - started
        result = train(config)
        epochs = [h.seconds for h in result.history[1:]] or [result.history[0].seconds]
        rows.append({
            "architecture": name,
            "parameters": result.num_parameters,
            "seconds_per_epoch_median": statistics.median(epochs),
            "seconds_per_epoch_all": [round(h.seconds, 3) for h in result.history],
            "feature_extraction_seconds_once": round(features_seconds, 2),
            "device": str(torch.cuda.get_device_name(0)) if args.device.startswith("cuda") else "cpu",
            "threads": args.threads,
        })
        print(f"{name}: {statistics.median(epochs):.2f} s/epoch ({result.num_parameters:,} parameters)", flush=True)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
