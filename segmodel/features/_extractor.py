"""Turn the lines of a song into a fixed-width matrix of per-line features."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial

import numpy as np

from segmodel.features._config import FeatureConfig, check_feature_config
from segmodel.features._embeddings import SentenceEncoder
from segmodel.features._phonetics import Phonetics
from segmodel.features._pos import PosTagger
from segmodel.features._repetition import REPETITION_FEATURES, repetition_features
from segmodel.features._similarity import cosine_ssm
from segmodel.features._statistics import LINE_STATISTICS, line_statistics
from segmodel.features._text import NormalisedSong, normalise_lines
from segmodel.features._views import (
    char_ngram_ssm,
    head_ssm,
    pos_ssm,
    rhyme_ssm,
    syllable_counts,
    syllable_ssm,
    tail_ssm,
    word_overlap_ssm,
)

__all__ = ["FEATURE_VERSION", "FeatureExtractor"]

# Bump whenever a change here or in a view changes any feature value: it is part of the cache key.
FEATURE_VERSION = 1

POSITION_FEATURES = ("relative", "is_first", "is_last", "log_song_length")
LINE_FEATURES = ("log_words", "has_adlib", "adlib_only", "empty")


@dataclass(frozen=True)
class _ViewStatistics:
    """Which :data:`LINE_STATISTICS` a view reports, and its ``matches`` threshold."""

    match_threshold: float
    statistics: tuple[str, ...] = LINE_STATISTICS


# Binary views match at 1; fuzzy views at a level that, on lyrics, means "the same line, give or
# take a word". Syllables drop `max`: nearly every line has another of about its length, so it
# was 0.99 +- 0.05 on the training corpus, a constant.
_VIEWS = {
    "head": _ViewStatistics(0.99),
    "tail": _ViewStatistics(0.99),
    "word_overlap": _ViewStatistics(0.5),
    "char": _ViewStatistics(0.7),
    "rhyme": _ViewStatistics(0.99),
    "syllables": _ViewStatistics(0.99, tuple(s for s in LINE_STATISTICS if s != "max")),
    "pos": _ViewStatistics(0.9),
    "embeddings": _ViewStatistics(0.8),
}


class _Song:
    """One song's lines and its SSMs, each computed on first use (views share them)."""

    def __init__(
        self,
        lines: Sequence[str],
        *,
        config: FeatureConfig,
        phonetics: Phonetics,
        tagger: PosTagger,
        encoder: SentenceEncoder,
    ) -> None:
        self.lines = lines
        self.n = len(lines)
        self._config = config
        self._phonetics = phonetics
        self._tagger = tagger
        self._encoder = encoder

    def ssm(self, view: str) -> np.ndarray:
        """The SSM of ``view``, one of the :data:`_VIEWS` names."""
        return getattr(self, view)

    @cached_property
    def normalised(self) -> NormalisedSong:
        return normalise_lines(self.lines)

    @cached_property
    def head(self) -> np.ndarray:
        return head_ssm(self.normalised, words=self._config.head.words)

    @cached_property
    def tail(self) -> np.ndarray:
        return tail_ssm(self.normalised, words=self._config.tail.words)

    @cached_property
    def word_overlap(self) -> np.ndarray:
        return word_overlap_ssm(self.normalised)

    @cached_property
    def char(self) -> np.ndarray:
        return char_ngram_ssm(self.normalised, ngram=self._config.char.ngram)

    @cached_property
    def rhyme(self) -> np.ndarray:
        return rhyme_ssm(self.normalised, self._phonetics)

    @cached_property
    def syllable_counts(self) -> np.ndarray:
        return syllable_counts(self.normalised, self._phonetics)

    @cached_property
    def syllables(self) -> np.ndarray:
        return syllable_ssm(self.syllable_counts)

    @cached_property
    def pos(self) -> np.ndarray:
        return pos_ssm(self.normalised, self._tagger)

    @cached_property
    def embeddings(self) -> np.ndarray:
        return cosine_ssm(self._encoder.encode([line.strip() for line in self.lines]))

    @cached_property
    def fused(self) -> np.ndarray:
        """Fuzzy repetition SSM: ``max(word Jaccard, char n-gram cosine)``."""
        return np.maximum(self.word_overlap, self.char)


@dataclass(frozen=True)
class _Block:
    """A group of columns and how to compute them for one song."""

    names: tuple[str, ...]
    compute: Callable[[_Song], np.ndarray]


def _position_features(song: _Song) -> np.ndarray:
    line = np.arange(song.n)
    relative = line / (song.n - 1) if song.n > 1 else np.zeros(song.n)
    return np.column_stack(
        [relative, line == 0, line == song.n - 1, np.full(song.n, np.log(song.n))]
    )


def _line_features(song: _Song) -> np.ndarray:
    normalised = song.normalised
    word_counts = np.array([len(words) for words in normalised.words])
    return np.column_stack(
        [np.log1p(word_counts), normalised.has_adlib, normalised.adlib_only, word_counts == 0]
    )


def _view_statistics(
    song: _Song, *, view: str, columns: list[int], window: int, match_threshold: float
) -> np.ndarray:
    stats = line_statistics(song.ssm(view), window=window, match_threshold=match_threshold)
    return stats[:, columns]


class FeatureExtractor:
    """Per-line features of songs: self-similarity statistics of every enabled view.

    Columns, in order (see :attr:`names`):

    - ``position.*``: relative position, first/last line, log of the song's length (once);
    - ``line.*``: log(1 + words), has an ad-lib, is only an ad-lib, has no words;
    - for each enabled view (head, tail, word_overlap, char, rhyme, syllables, pos,
      embeddings): the :data:`LINE_STATISTICS` of its SSM, named ``view.statistic``
      (syllables without ``max``, which is about 1 for every line, but with
      ``syllables.log_count``, log(1 + syllables of the line));
    - ``repetition.*`` when enabled: :data:`REPETITION_FEATURES` of the fused SSM
      ``max(word Jaccard, char n-gram cosine)``.

    Args:
        config: Which views to compute; defaults to :class:`FeatureConfig`'s defaults.
        device: Torch device for the embedding model (only used when that view is on).

    Raises:
        InputError: For out-of-range config values, and (on first use) when embeddings are on
            but their optional packages are missing.

    Example:
        >>> extractor = FeatureExtractor()
        >>> features = extractor.song_features(["a b c", "x y z", "a b c"])
        >>> features.shape == (3, extractor.dim), features.dtype
        (True, dtype('float32'))
        >>> float(features[0, extractor.names.index("word_overlap.max")])
        1.0
    """

    def __init__(self, config: FeatureConfig | None = None, *, device: str | None = None) -> None:
        # A private copy: names and columns must not drift if the caller edits its config later.
        self.config = FeatureConfig() if config is None else copy.deepcopy(config)
        check_feature_config(self.config)
        self._phonetics = Phonetics()
        self._tagger = PosTagger()
        self._encoder = SentenceEncoder(batch_size=self.config.embeddings.batch_size, device=device)
        self._blocks = self._plan()
        self.names: list[str] = [name for block in self._blocks for name in block.names]
        self.dim: int = len(self.names)

    def _plan(self) -> list[_Block]:
        config = self.config
        blocks = [
            _Block(tuple(f"position.{name}" for name in POSITION_FEATURES), _position_features),
            _Block(tuple(f"line.{name}" for name in LINE_FEATURES), _line_features),
        ]
        for view, spec in _VIEWS.items():
            if not getattr(config, view).enabled:
                continue
            statistics = partial(
                _view_statistics,
                view=view,
                columns=[LINE_STATISTICS.index(statistic) for statistic in spec.statistics],
                window=config.window,
                match_threshold=spec.match_threshold,
            )
            names = tuple(f"{view}.{statistic}" for statistic in spec.statistics)
            blocks.append(_Block(names, statistics))
            if view == "syllables":
                blocks.append(
                    _Block(("syllables.log_count",), lambda song: np.log1p(song.syllable_counts))
                )
        if config.repetition.enabled:
            blocks.append(
                _Block(
                    tuple(f"repetition.{name}" for name in REPETITION_FEATURES),
                    lambda song: repetition_features(
                        song.fused,
                        threshold=config.repetition.threshold,
                        min_run=config.repetition.min_run,
                    ),
                )
            )
        return blocks

    def song_features(self, lines: Sequence[str]) -> np.ndarray:
        """Features of one song's lines: float32, shape ``(len(lines), dim)``, all finite."""
        song = _Song(
            lines,
            config=self.config,
            phonetics=self._phonetics,
            tagger=self._tagger,
            encoder=self._encoder,
        )
        if song.n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        columns = [block.compute(song).reshape(song.n, -1) for block in self._blocks]
        return np.hstack(columns).astype(np.float32)
