"""Training, evaluation and prediction: the one narrow API the study runner drives.

``train(config, on_epoch=callback)`` is the whole contract: a validated :class:`TrainConfig`
in, :class:`EpochMetrics` out after every epoch (the callback may stop training), a
:class:`TrainResult` at the end.

Example:
    >>> from segmodel.config import TrainConfig
    >>> from segmodel.trainer import train
    >>> config = TrainConfig()
    >>> config.data.synthetic.train_songs, config.data.synthetic.val_songs = 24, 8
    >>> config.training.max_epochs = 3
    >>> seen = []
    >>> result = train(config, on_epoch=lambda m: seen.append(m.epoch) or m.epoch == 2)
    >>> seen, result.stop_reason
    ([1, 2], 'callback')
"""

from segmodel.trainer._calibration import Calibrator, fit_calibrator
from segmodel.trainer._early_stopping import EarlyStopping
from segmodel.trainer._inference import SongPrediction, TrainedModel
from segmodel.trainer._loop import EpochCallback, train
from segmodel.trainer._metrics import REPORTED_METRICS, EpochMetrics, TrainingError, TrainResult
from segmodel.trainer._run_dir import default_cache_dir
from segmodel.trainer._schedule import LearningRateSchedule
from segmodel.trainer._splits import Splits, load_splits

__all__ = [
    "REPORTED_METRICS",
    "Calibrator",
    "EarlyStopping",
    "EpochCallback",
    "EpochMetrics",
    "LearningRateSchedule",
    "SongPrediction",
    "Splits",
    "TrainResult",
    "TrainedModel",
    "TrainingError",
    "default_cache_dir",
    "fit_calibrator",
    "load_splits",
    "train",
]
