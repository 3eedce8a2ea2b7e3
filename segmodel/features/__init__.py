"""Per-line features from self-similarity matrices (SSMs) of a song's lines.

Each enabled *view* (word overlap, character n-grams, rhyme, syllables, part of speech, first and
last words, optional sentence embeddings) compares every pair of lines of a song; each line is
then described by a fixed set of statistics of its row (best match elsewhere, similarity to its
neighbours, a novelty score at the boundary before it) and by repeated-block cues from diagonal
runs. :func:`extract_features` does a whole corpus and caches the result on disk.

Example:
    >>> extractor = FeatureExtractor(FeatureConfig(pos=ViewToggle(enabled=False)))
    >>> features = extractor.song_features(["Hold on", "Hold on, hold on", "I'm coming home"])
    >>> features.shape == (3, extractor.dim)
    True
"""

from segmodel.features._cache import FeatureSet, extract_features, feature_cache_key
from segmodel.features._config import (
    CharView,
    EmbeddingView,
    FeatureConfig,
    HeadTailView,
    RepetitionView,
    ViewToggle,
    check_feature_config,
)
from segmodel.features._extractor import FEATURE_VERSION, FeatureExtractor
from segmodel.features._repeats import repeated_line_pairs

__all__ = [
    "FEATURE_VERSION",
    "CharView",
    "EmbeddingView",
    "FeatureConfig",
    "FeatureExtractor",
    "FeatureSet",
    "HeadTailView",
    "RepetitionView",
    "ViewToggle",
    "check_feature_config",
    "extract_features",
    "feature_cache_key",
    "repeated_line_pairs",
]
