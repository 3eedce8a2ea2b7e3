"""Configuration of the training loss."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NoReturn

from segmodel.errors import InputError

__all__ = ["LOSS_TYPES", "LossConfig"]

LOSS_TYPES = ("boundary_aware_cross_entropy", "cross_entropy")


@dataclass
class LossConfig:
    """Which loss trains the tagger, and how strongly each term counts.

    ``type="cross_entropy"`` is plain (class-weighted, label-smoothed) cross-entropy: the boundary
    weight and the three regulariser lambdas are then ignored. See
    :class:`~segmodel.loss.BoundaryAwareCrossEntropy` for every term's formula.

    Attributes:
        type: ``"boundary_aware_cross_entropy"`` or ``"cross_entropy"``.
        label_smoothing: Probability mass spread uniformly over the classes, in ``[0, 0.5)``.
        boundary_weight: Cross-entropy weight of the first line of every gold segment after the
            first, ``>= 1`` (1 turns boundary weighting off).
        segment_consistency_lambda: Weight of the flicker penalty inside gold segments, ``>= 0``.
        conf_penalty_lambda: Weight of the penalty on probabilities above ``conf_threshold``,
            ``>= 0``.
        conf_threshold: Highest class probability that goes unpenalised, in ``(0.5, 1]``: with
            two classes the top probability is never below 0.5, and 1 never penalises.
        entropy_lambda: Weight of the entropy bonus (Pereyra et al. 2017), ``>= 0``.
        class_weights: Weight classes by inverse training-set frequency.
        class_weight_cap: Largest allowed ratio between two class weights, ``>= 1``.

    Raises:
        InputError: A value is out of range; ``key`` is ``loss.<field>``.

    Example:
        >>> LossConfig(boundary_weight=3.0).boundary_weight
        3.0
        >>> LossConfig(label_smoothing=0.7)
        Traceback (most recent call last):
        ...
        segmodel.errors.InputError: loss.label_smoothing: must be in [0, 0.5), got 0.7
    """

    type: str = "boundary_aware_cross_entropy"
    label_smoothing: float = 0.1
    boundary_weight: float = 2.0
    segment_consistency_lambda: float = 0.02
    conf_penalty_lambda: float = 0.0
    conf_threshold: float = 0.95
    entropy_lambda: float = 0.0
    class_weights: bool = True
    class_weight_cap: float = 5.0

    def __post_init__(self) -> None:
        # The JSON schema checks files; this also guards configs built in code or from
        # values an Optuna search space suggested.
        if self.type not in LOSS_TYPES:
            allowed = ", ".join(map(repr, LOSS_TYPES))
            self._reject("type", f"must be one of {allowed}, got {self.type!r}")
        if not 0.0 <= self.label_smoothing < 0.5:
            self._reject("label_smoothing", f"must be in [0, 0.5), got {self.label_smoothing}")
        if not 1.0 <= self.boundary_weight < math.inf:
            self._reject(
                "boundary_weight", f"must be a finite number >= 1, got {self.boundary_weight}"
            )
        for name in ("segment_consistency_lambda", "conf_penalty_lambda", "entropy_lambda"):
            value = getattr(self, name)
            if not 0.0 <= value < math.inf:
                self._reject(name, f"must be a finite number >= 0, got {value}")
        if not 0.5 < self.conf_threshold <= 1.0:
            self._reject("conf_threshold", f"must be in (0.5, 1], got {self.conf_threshold}")
        if not 1.0 <= self.class_weight_cap < math.inf:
            self._reject(
                "class_weight_cap", f"must be a finite number >= 1, got {self.class_weight_cap}"
            )

    @staticmethod
    def _reject(field: str, message: str) -> NoReturn:
        raise InputError(message, key=f"loss.{field}")
