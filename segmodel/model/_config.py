"""The model's hyperparameters."""

from __future__ import annotations

import math
from dataclasses import dataclass

from segmodel.errors import InputError

__all__ = ["ATTENTION_TYPES", "DECODINGS", "NUM_LABELS", "ModelConfig"]

#: Labels a line can take: 0 verse, 1 chorus.
NUM_LABELS = 2
ATTENTION_TYPES = ("none", "self", "localized", "boundary_aware")
DECODINGS = ("argmax", "viterbi", "crf")


@dataclass
class ModelConfig:
    """Architecture and decoding of :class:`~segmodel.model.SegmentationTagger`.

    Fields that only matter for one choice are ignored otherwise: ``attention_*`` and
    ``positional_encoding`` when ``attention_type`` is ``"none"``, ``attention_window`` unless it
    is ``"localized"``, ``switch_penalty`` unless ``decoding`` is ``"viterbi"``. That keeps every
    point of a search space valid without conditional parameters.

    Attributes:
        hidden_dim: LSTM hidden units per direction.
        num_layers: Stacked BiLSTM layers.
        layer_dropout: Dropout between LSTM layers; only applied when ``num_layers > 1``.
        dropout: Dropout before the classifier.
        attention_type: ``none``, ``self`` (all lines), ``localized`` (lines within
            ``attention_window``) or ``boundary_aware`` (self-attention biased towards lines of
            the same section, see :class:`~segmodel.model.BoundaryBias`).
        attention_heads: Attention heads.
        attention_dim: Attention width; ``None`` picks ``2 * hidden_dim``. Either is rounded up
            to a multiple of ``attention_heads`` (each head gets an equal share), so a search
            over heads and widths never produces an unbuildable model.
        attention_dropout: Dropout on attention weights and on the attention residual branch.
        attention_window: ``localized``: how many lines each side a line may attend to.
        positional_encoding: Add sinusoidal line positions before attention.
        decoding: ``argmax`` per line, ``viterbi`` (penalised label changes) or ``crf``
            (learned transitions, trained with an extra sequence loss).
        switch_penalty: ``viterbi``: cost, in log-probability units, of each verse/chorus change.
        repeat_tying: Weight in [0, 1] pulling the logits of lines that repeat each other word
            for word towards their mean (:func:`~segmodel.model.tie_repeated_lines`), in
            training and prediction; 0 switches it off.

    Raises:
        InputError: A value is out of range (key ``model.<field>``).

    Example:
        >>> ModelConfig(hidden_dim=50, attention_heads=3).resolved_attention_dim
        102
        >>> ModelConfig(attention_dim=128, attention_heads=6).resolved_attention_dim
        132
    """

    hidden_dim: int = 128
    num_layers: int = 2
    layer_dropout: float = 0.2
    dropout: float = 0.25
    attention_type: str = "none"
    attention_heads: int = 4
    attention_dim: int | None = None
    attention_dropout: float = 0.1
    attention_window: int = 7
    positional_encoding: bool = False
    decoding: str = "viterbi"
    switch_penalty: float = 1.0
    repeat_tying: float = 0.0

    def __post_init__(self) -> None:
        for name in ("hidden_dim", "num_layers", "attention_heads", "attention_window"):
            _check(self, name, getattr(self, name) >= 1, "must be >= 1")
        for name in ("layer_dropout", "dropout", "attention_dropout"):
            _check(self, name, 0.0 <= getattr(self, name) < 1.0, "must be in [0, 1)")
        _check(
            self,
            "attention_type",
            self.attention_type in ATTENTION_TYPES,
            f"must be one of {', '.join(ATTENTION_TYPES)}",
        )
        _check(
            self, "decoding", self.decoding in DECODINGS, f"must be one of {', '.join(DECODINGS)}"
        )
        _check(
            self,
            "switch_penalty",
            math.isfinite(self.switch_penalty) and self.switch_penalty >= 0,
            "must be a finite number >= 0",
        )
        _check(self, "repeat_tying", 0.0 <= self.repeat_tying <= 1.0, "must be in [0, 1]")
        if self.attention_dim is not None:
            _check(self, "attention_dim", self.attention_dim >= 1, "must be >= 1")

    @property
    def resolved_attention_dim(self) -> int:
        """``attention_dim`` (default ``2 * hidden_dim``) rounded up to a multiple of the heads."""
        width = self.attention_dim if self.attention_dim is not None else 2 * self.hidden_dim
        heads = self.attention_heads
        return -(-width // heads) * heads


def _check(config: ModelConfig, name: str, condition: bool, message: str) -> None:
    if not condition:
        raise InputError(f"{message}, got {getattr(config, name)!r}", key=f"model.{name}")
