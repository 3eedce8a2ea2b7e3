"""Coarse part-of-speech tags of a line's words, from textblob's offline pattern tagger."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["COARSE_TAGS", "PosTagger", "coarse_tag"]

COARSE_TAGS = (
    "NOUN",
    "VERB",
    "ADJ",
    "ADV",
    "PRON",
    "DET",
    "ADP",
    "CONJ",
    "NUM",
    "PRT",
    "INTJ",
    "X",
)

# Penn Treebank tag prefixes, longest first so that "PRP" wins over "PR"-less fallbacks.
_PENN_PREFIXES = (
    ("PRP", "PRON"),
    ("WRB", "ADV"),
    ("WDT", "DET"),
    ("PDT", "DET"),
    ("WP", "PRON"),
    ("EX", "PRON"),
    ("NN", "NOUN"),
    ("VB", "VERB"),
    ("MD", "VERB"),
    ("JJ", "ADJ"),
    ("RB", "ADV"),
    ("DT", "DET"),
    ("IN", "ADP"),
    ("TO", "ADP"),
    ("CC", "CONJ"),
    ("CD", "NUM"),
    ("RP", "PRT"),
    ("UH", "INTJ"),
)
_CODE = {tag: code for code, tag in enumerate(COARSE_TAGS)}


@lru_cache(maxsize=256)
def coarse_tag(penn: str) -> str:
    """Universal-style coarse tag of a Penn Treebank tag.

    Example:
        >>> coarse_tag("VBD"), coarse_tag("PRP$"), coarse_tag("SYM")
        ('VERB', 'PRON', 'X')
    """
    for prefix, coarse in _PENN_PREFIXES:
        if penn.startswith(prefix):
            return coarse
    return "X"


class PosTagger:
    """Tag word tuples with coarse tags; each distinct line is tagged once per instance.

    Tags come from the lexicon with suffix rules for unknown words; Brill's contextual rules are
    skipped because they made tagging the training lyrics about six times slower. The tagger sees
    one line at a time, so caching by the line's words is exact, and choruses make the cache pay
    off. textblob is imported on first use (it takes about a second).

    Example:
        >>> codes = PosTagger().codes(("she", "was", "very", "happy"))
        >>> [COARSE_TAGS[code] for code in codes]
        ['PRON', 'VERB', 'ADV', 'ADJ']
    """

    def __init__(self) -> None:
        self._parser: Any = None
        self._codes: dict[tuple[str, ...], np.ndarray] = {}

    def codes(self, words: tuple[str, ...]) -> np.ndarray:
        """Indices into :data:`COARSE_TAGS` of the coarse tag of each word."""
        cached = self._codes.get(words)
        if cached is None:
            if self._parser is None:
                from textblob.en import parser

                self._parser = parser
            tagged = self._parser.find_tags(list(words)) if words else []
            cached = np.array([_CODE[coarse_tag(tag)] for _, tag in tagged], dtype=np.int64)
            self._codes[words] = cached
        return cached
