"""What the trainer reports after each epoch and at the end of a run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from segmodel.errors import TrainingError
from segmodel.metrics import SCORE_KEYS

__all__ = ["EpochMetrics", "REPORTED_METRICS", "TrainResult", "TrainingError"]

# Every metric name the trainer can hand to a callback or a study objective.
REPORTED_METRICS: tuple[str, ...] = (
    "train.loss",
    "val.loss",
    *(f"val.{key}" for key in SCORE_KEYS if key not in {"songs", "lines"}),
    "model.parameters",
    "epoch.seconds",
)


@dataclass
class EpochMetrics:
    """One epoch: losses, learning rate, wall time and every validation score."""

    epoch: int
    train_loss: float
    val_loss: float
    learning_rate: float
    seconds: float
    val: dict[str, float]
    num_parameters: int
    is_best: bool = False

    def flat(self) -> dict[str, float]:
        """Metrics under their reported names (``val.boundary_f1``, ``train.loss`` …)."""
        values = {f"val.{k}": float(v) for k, v in self.val.items() if k not in {"songs", "lines"}}
        values.update(
            {
                "train.loss": self.train_loss,
                "val.loss": self.val_loss,
                "model.parameters": float(self.num_parameters),
                "epoch.seconds": self.seconds,
            }
        )
        return values

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    """A finished run: the selected model's metrics and the whole history."""

    history: list[EpochMetrics]
    best_epoch: int
    val_metrics: dict[str, float]
    val_loss: float
    stop_reason: str
    feature_dim: int
    num_parameters: int
    seconds: float
    calibration: dict[str, Any] = field(default_factory=dict)
    test_metrics: dict[str, float] | None = None
    run_dir: Path | None = None
    data_digest: str | None = None

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    def flat(self) -> dict[str, float]:
        """Final metrics of the selected model under their reported names."""
        values = {f"val.{k}": float(v) for k, v in self.val_metrics.items() if k not in {"songs", "lines"}}
        best = next((h for h in self.history if h.epoch == self.best_epoch), None)
        values.update(
            {
                "train.loss": best.train_loss if best else float("nan"),
                "val.loss": self.val_loss,
                "model.parameters": float(self.num_parameters),
                "epoch.seconds": self.seconds / max(1, self.epochs_run),
            }
        )
        return values
