"""The files of one training run, each written atomically.

```
RUN_DIR/
  config.yaml      resolved config (every default filled in): retrains the same model
  metrics.json     per-epoch metrics, rewritten after every epoch
  model.pt         selected checkpoint: weights, configs, feature standardisation, calibration
  result.json      final validation (and test) metrics, calibration, stop reason
```
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from segmodel.atomic import atomic_path, write_json_atomic, write_text_atomic
from segmodel.yamlconfig import dump_yaml

__all__ = ["CHECKPOINT_NAME", "RunDirectory", "default_cache_dir"]

CHECKPOINT_NAME = "model.pt"
CHECKPOINT_FORMAT = 1


def default_cache_dir() -> Path:
    """``$SEGRUN_CACHE_DIR``, else ``~/.cache/segrun`` (features are shared across runs)."""
    configured = os.environ.get("SEGRUN_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "segrun"


class RunDirectory:
    """Writer for one run directory; creates it and writes the resolved config at once."""

    def __init__(self, path: str | Path, config) -> None:  # config: TrainConfig
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path / "config.yaml", dump_yaml(config.to_dict()))

    def write_history(self, history) -> None:
        write_json_atomic(self.path / "metrics.json", [epoch.to_dict() for epoch in history])

    def write_checkpoint(self, model, config, features, standardizer, *, calibration) -> None:
        checkpoint: dict[str, Any] = {
            "format": CHECKPOINT_FORMAT,
            "input_dim": features.dim,
            "feature_names": list(features.names),
            "config": config.to_dict(),
            "standardizer": standardizer.state(),
            "calibration": calibration.to_dict() if calibration is not None else None,
            "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        }
        with atomic_path(self.path / CHECKPOINT_NAME) as temporary:
            torch.save(checkpoint, temporary)

    def write_result(self, result) -> None:
        summary = {
            "best_epoch": result.best_epoch,
            "epochs_run": result.epochs_run,
            "stop_reason": result.stop_reason,
            "seconds": result.seconds,
            "feature_dim": result.feature_dim,
            "num_parameters": result.num_parameters,
            "val_loss": result.val_loss,
            "val": result.val_metrics,
            "test": result.test_metrics,
            "calibration": result.calibration,
        }
        write_json_atomic(self.path / "result.json", summary)
