"""A trained run loaded back for prediction and evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from segmodel._dataclasses import from_mapping
from segmodel.config import TrainConfig
from segmodel.data import Song
from segmodel.errors import InputError
from segmodel.features import FeatureExtractor, repeated_line_pairs
from segmodel.metrics import segmentation_scores
from segmodel.model import SegmentationTagger
from segmodel.trainer._batching import SongTensors, Standardizer
from segmodel.trainer._calibration import Calibrator
from segmodel.trainer._evaluation import run_split
from segmodel.trainer._run_dir import CHECKPOINT_NAME

__all__ = ["SongPrediction", "TrainedModel"]


@dataclass(frozen=True)
class SongPrediction:
    """Labels (0 verse, 1 chorus) and calibrated chorus probabilities of one song's lines."""

    song_id: str
    labels: list[int]
    chorus_probabilities: list[float]


class TrainedModel:
    """The checkpoint of a run directory, ready to label songs.

    Example:
        >>> model = TrainedModel.load("results/runs/my-run")  # doctest: +SKIP
        >>> model.predict([song])[0].labels  # doctest: +SKIP
    """

    def __init__(self, checkpoint: dict, *, device: torch.device | None = None) -> None:
        self.config = from_mapping(TrainConfig, checkpoint["config"])
        self.device = device or torch.device("cpu")
        self.extractor = FeatureExtractor(self.config.features)
        self.standardizer = Standardizer.from_state(checkpoint["standardizer"])
        self.model = SegmentationTagger(checkpoint["input_dim"], self.config.model)
        self.model.load_state_dict(checkpoint["model_state"])
        self.model.to(self.device).eval()
        self.calibrator = Calibrator(**(checkpoint.get("calibration") or {}))

    @classmethod
    def load(cls, run_dir: str | Path, *, device: torch.device | None = None) -> TrainedModel:
        """Load ``RUN_DIR/model.pt`` (or a checkpoint file given directly)."""
        path = Path(run_dir)
        if path.is_dir():
            path = path / CHECKPOINT_NAME
        if not path.is_file():
            raise InputError("no checkpoint here (expected a run directory with model.pt)", path=path)
        try:
            # weights_only: a checkpoint is tensors and plain values; never unpickle objects.
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 - any unreadable checkpoint is a user-facing error
            raise InputError(f"cannot read checkpoint: {error}", path=path) from None
        return cls(checkpoint, device=device)

    def _run(self, songs: Sequence[Song]):
        matrices = [self.extractor.song_features(song.lines) for song in songs]
        repeats = None
        if self.config.model.repeat_tying > 0:
            repeats = [repeated_line_pairs(song.lines) for song in songs]
        tensors = SongTensors.build(matrices, [None] * len(songs), self.standardizer, repeats=repeats)
        return run_split(self.model, tensors, device=self.device)

    def predict(self, songs: Sequence[Song]) -> list[SongPrediction]:
        """Label every line of every song."""
        output = self._run(songs)
        return [
            SongPrediction(
                song_id=song.id,
                labels=[int(x) for x in labels],
                chorus_probabilities=self.calibrator.chorus_probability(logits).tolist(),
            )
            for song, labels, logits in zip(songs, output.predictions, output.logits, strict=True)
        ]

    def evaluate(self, songs: Sequence[Song]) -> dict[str, float]:
        """Scores against the songs' gold labels (same keys as ``segrun score``)."""
        missing = [song.id for song in songs if song.labels is None]
        if missing:
            raise InputError(f"songs without labels cannot be scored: {', '.join(missing[:5])}")
        predictions = self.predict(songs)
        return segmentation_scores([list(s.labels) for s in songs], [p.labels for p in predictions])


