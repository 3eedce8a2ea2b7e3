"""What the study trained on, and what the repeat-line heuristic scores on the same val songs.

The heuristic (a line is chorus iff it occurs twice in its song) needs no training, so it is the
floor every trial should clear. The songs are loaded the way every trial loads them: from the
spec's base config, with the spec's data overrides.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from runner._spec import StudySpec
from segmodel.baselines import repeat_line_baseline
from segmodel.config import train_config_from_mapping
from segmodel.data import Song, corpus_stats
from segmodel.errors import InputError
from segmodel.metrics import segmentation_scores
from segmodel.trainer import load_splits

__all__ = ["DataSummary", "SplitSummary", "summarize_data"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplitSummary:
    """Size and label balance of one split."""

    name: str
    source: str
    songs: int
    lines: int
    chorus_rate: float
    lines_per_song_median: float


@dataclass(frozen=True)
class DataSummary:
    """Data, features and the repeat-line heuristic's validation scores of a study.

    ``problem`` says why the songs could not be read (the report is being built on a machine
    without the data files); ``splits`` and ``repeat_line_scores`` are then empty.
    """

    splits: list[SplitSummary] = field(default_factory=list)
    features_on: list[str] = field(default_factory=list)
    features_off: list[str] = field(default_factory=list)
    searched_feature_keys: list[str] = field(default_factory=list)
    repeat_line_scores: dict[str, float] = field(default_factory=dict)
    problem: str | None = None


def summarize_data(spec: StudySpec) -> DataSummary:
    """Summarise the data and features of ``spec`` and score the repeat-line heuristic on val.

    ``repeat_line_scores`` uses the trainer's metric names (``val.boundary_f1``, ...), so they
    sit next to a trial's metrics. Unreadable data is not an error here: the summary carries
    the reason in ``problem``.
    """
    config = train_config_from_mapping(spec.base_document, path=f"{spec.path} (base config)",
                                       base_dir=spec.path.parent)
    features_on, features_off = _feature_views(asdict(config.features))
    searched = [p.name for p in spec.search_space if p.name.startswith("features.")]
    try:
        splits = load_splits(config.data)
    except (InputError, OSError) as error:
        logger.warning("report without data summary: %s", error)
        return DataSummary(features_on=features_on, features_off=features_off, searched_feature_keys=searched,
                           problem=str(error))
    sources = {"train": config.data.train, "val": config.data.val, "test": config.data.test}
    summaries = [
        _split_summary(name, songs, _source(name, sources[name], config.data))
        for name, songs in (("train", splits.train), ("val", splits.val), ("test", splits.test))
        if songs
    ]
    scores: dict[str, float] = {}
    if splits.val:
        raw = segmentation_scores([s.labels for s in splits.val], [repeat_line_baseline(s.lines) for s in splits.val])
        scores = {f"val.{k}": float(v) for k, v in raw.items() if k not in {"songs", "lines"}}
    return DataSummary(summaries, features_on, features_off, searched, scores)


def _split_summary(name: str, songs: list[Song], source: str) -> SplitSummary:
    stats = corpus_stats(songs)
    return SplitSummary(name, source, int(stats["songs"]), int(stats["lines"]), float(stats["chorus_rate"]),
                        float(stats["lines_per_song_median"]))


def _source(split: str, path: str | None, data: Any) -> str:
    if path:
        return str(path)
    if split == "val" and data.train:
        return f"{data.val_fraction:.0%} of {data.train} (by song id)"
    synthetic = data.synthetic
    return f"synthetic corpus (seed {synthetic.seed}, difficulty {synthetic.difficulty:g})"


def _feature_views(features: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``["char (ngram 3)", ...]`` for the enabled views and the names of the disabled ones."""
    on, off = [], []
    for name, options in features.items():
        if not isinstance(options, dict):  # a setting of every view, e.g. the SSM window
            on.append(f"{name} {options}")
        elif options.get("enabled"):
            settings = ", ".join(f"{k} {v}" for k, v in options.items() if k not in {"enabled", "batch_size"})
            on.append(f"{name} ({settings})" if settings else name)
        else:
            off.append(name)
    return on, off
