"""Feature configuration: which self-similarity views describe each line."""

from __future__ import annotations

from dataclasses import dataclass, field

from segmodel.errors import InputError

__all__ = [
    "CharView",
    "EmbeddingView",
    "FeatureConfig",
    "HeadTailView",
    "RepetitionView",
    "ViewToggle",
    "check_feature_config",
]


@dataclass
class HeadTailView:
    """Exact match of the first (head) or last (tail) ``words`` normalised words of two lines."""

    enabled: bool = True
    words: int = 2


@dataclass
class ViewToggle:
    """A view without parameters: on or off."""

    enabled: bool = True


@dataclass
class CharView:
    """Cosine similarity of character ``ngram``-gram count vectors."""

    enabled: bool = True
    ngram: int = 3


@dataclass
class RepetitionView:
    """Repeated-block cues from diagonal runs of the fused fuzzy SSM.

    Two lines count as repeated when ``max(word Jaccard, char cosine) >= threshold``; a repeated
    block is a diagonal run of at least ``min_run`` such pairs.
    """

    enabled: bool = True
    threshold: float = 0.7
    min_run: int = 2


@dataclass
class EmbeddingView:
    """Cosine similarity of sentence embeddings (optional extra ``segrun[embeddings]``)."""

    enabled: bool = False
    batch_size: int = 64


@dataclass
class FeatureConfig:
    """Which views are computed, and the SSM neighbourhood half-width ``window``.

    Example:
        >>> config = FeatureConfig()
        >>> config.char.ngram, config.embeddings.enabled, config.window
        (3, False, 2)
    """

    head: HeadTailView = field(default_factory=HeadTailView)
    tail: HeadTailView = field(default_factory=HeadTailView)
    word_overlap: ViewToggle = field(default_factory=ViewToggle)
    char: CharView = field(default_factory=CharView)
    rhyme: ViewToggle = field(default_factory=ViewToggle)
    syllables: ViewToggle = field(default_factory=ViewToggle)
    pos: ViewToggle = field(default_factory=ViewToggle)
    repetition: RepetitionView = field(default_factory=RepetitionView)
    embeddings: EmbeddingView = field(default_factory=EmbeddingView)
    window: int = 2


def _require_int(value: object, key: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"must be an integer >= {low}, got {value!r}", key=f"features.{key}")


def check_feature_config(config: FeatureConfig) -> None:
    """Raise :class:`InputError` naming the key when a value is out of range.

    The JSON Schema checks config files; this guards configs built in code.

    Example:
        >>> check_feature_config(FeatureConfig(window=0))
        Traceback (most recent call last):
        ...
        segmodel.errors.InputError: features.window: must be an integer >= 1, got 0
    """
    _require_int(config.window, "window", 1)
    _require_int(config.head.words, "head.words", 1)
    _require_int(config.tail.words, "tail.words", 1)
    _require_int(config.char.ngram, "char.ngram", 1)
    _require_int(config.repetition.min_run, "repetition.min_run", 1)
    _require_int(config.embeddings.batch_size, "embeddings.batch_size", 1)
    threshold = config.repetition.threshold
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 < threshold <= 1
    ):
        raise InputError(
            f"must be a number in (0, 1], got {threshold!r}", key="features.repetition.threshold"
        )
