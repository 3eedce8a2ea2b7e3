"""The training config: typed dataclasses, loaded from YAML and checked by a JSON Schema.

A config has the sections ``data``, ``features``, ``model``, ``loss``, ``training``,
``calibration``, ``system`` and ``output``. Every key has a default (the dataclass field), a
documented meaning and range (``schemas/train-config.schema.json``). Files are validated before
anything is built, so every mistake is reported with its file, line and column.

Example:
    >>> config = TrainConfig()
    >>> config.model.hidden_dim, config.training.selection_metric
    (128, 'boundary_f1')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from segmodel._dataclasses import from_mapping, to_mapping
from segmodel.errors import InputError
from segmodel.features import FeatureConfig
from segmodel.loss import LossConfig
from segmodel.model import ModelConfig
from segmodel.yamlconfig import apply_overrides, check_schema, load_schema, load_yaml, to_plain

__all__ = [
    "CalibrationConfig",
    "DataConfig",
    "OutputConfig",
    "SyntheticDataConfig",
    "SystemConfig",
    "TrainConfig",
    "TrainingConfig",
    "check_train_config",
    "load_train_config",
    "train_config_from_mapping",
]

SCHEMA_NAME = "train-config.schema.json"


@dataclass
class SyntheticDataConfig:
    """The bundled synthetic corpus, used for every split whose path is null."""

    train_songs: int = 600
    val_songs: int = 150
    test_songs: int = 0
    seed: int = 13
    difficulty: float = 1.0


@dataclass
class ExcerptConfig:
    """Labelled excerpts of the training songs added to the training set (see
    :func:`segmodel.data.song_excerpts`): each keeps between ``min_fraction`` and 90 % of its
    song, starting where a section starts."""

    copies: int = 0
    min_fraction: float = 0.5


@dataclass
class DataConfig:
    """Where songs come from. Relative paths are resolved against the config file."""

    train: str | None = None
    val: str | None = None
    test: str | None = None
    # Share of train carved off (deterministically, by song id) as validation when val is null
    # and train is a file.
    val_fraction: float = 0.15
    # Share of train carved off (by song id, disjoint from the val carve) as an in-distribution
    # test slice when test is null and train is a file; 0 = none.
    test_fraction: float = 0.0
    # Excerpts of the training songs, added to train after the val/test carves; 0 copies = none.
    excerpts: ExcerptConfig = field(default_factory=ExcerptConfig)
    synthetic: SyntheticDataConfig = field(default_factory=SyntheticDataConfig)


@dataclass
class TrainingConfig:
    """Optimisation, schedule, early stopping and batching."""

    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 0.01
    max_epochs: int = 30
    patience: int = 6
    min_delta: float = 0.002
    gradient_clip_norm: float | None = 1.0
    scheduler: str = "cosine"
    warmup_epochs: float = 1.0
    warmup_start_factor: float = 0.1
    cosine_t_max: int | None = None
    restart_period: int = 10
    plateau_factor: float = 0.5
    plateau_patience: int = 2
    min_learning_rate: float = 1e-5
    selection_metric: str = "boundary_f1"
    average_top_k: int = 1
    weighted_sampling: bool = False
    length_bucketing: bool = True


@dataclass
class CalibrationConfig:
    """Post-hoc probability calibration fitted on validation after training."""

    method: str = "temperature"


@dataclass
class SystemConfig:
    """Seed, device and threads: where and how reproducibly training runs."""

    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    amp: bool = True
    cache_dir: str | None = None


@dataclass
class OutputConfig:
    """Where a training run writes its run directory."""

    dir: str = "results/runs"
    name: str | None = None
    save_checkpoint: bool = True


@dataclass
class TrainConfig:
    """A complete, validated training configuration."""

    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    system: SystemConfig = field(default_factory=SystemConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (for YAML/JSON output and hashing)."""
        return to_mapping(self)


def check_train_config(
    document: Any,
    *,
    path: str | Path,
    overrides: Mapping[str, str] | None = None,
    prefix: tuple[Any, ...] = (),
) -> None:
    """Schema and cross-field checks of a loaded config document; raises InputError."""
    if document is None:
        document = CommentedMap()
    check_schema(document, load_schema(SCHEMA_NAME), path=path, overrides=overrides, prefix=prefix)


def train_config_from_mapping(
    document: Any, *, path: str | Path = "<config>", base_dir: str | Path | None = None
) -> TrainConfig:
    """Validate a config mapping and build a :class:`TrainConfig`.

    ``base_dir`` resolves relative data paths (default: the folder of ``path``).
    """
    document = CommentedMap() if document is None else document
    check_train_config(document, path=path)
    config = from_mapping(TrainConfig, to_plain(document))
    base = Path(base_dir) if base_dir is not None else Path(path).resolve().parent
    for split in ("train", "val", "test"):
        value = getattr(config.data, split)
        if value is not None and not Path(value).is_absolute():
            setattr(config.data, split, str((base / value).resolve()))
    return config


def load_train_config(path: str | Path, *, overrides: Iterable[str] = ()) -> TrainConfig:
    """Load, override (``section.key=value``), validate and build a training config file.

    Raises:
        InputError: naming ``path`` (or the offending ``--set``) with line and column.
    """
    path = Path(path)
    document = load_yaml(path)
    if document is None:
        document = CommentedMap()
    if not isinstance(document, Mapping):
        raise InputError("a training config must be a mapping of sections", path=path, line=1)
    applied = apply_overrides(document, overrides)
    check_train_config(document, path=path, overrides=applied)
    return train_config_from_mapping(document, path=path)

