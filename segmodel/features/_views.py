"""One self-similarity matrix per view, from a normalised song.

Each function documents its formula; all pairwise work is delegated to the vectorised helpers
of :mod:`._similarity`.
"""

from __future__ import annotations

import numpy as np

from segmodel.features._phonetics import Phonetics, RhymeKey
from segmodel.features._pos import PosTagger
from segmodel.features._similarity import (
    cosine_ssm,
    exact_match_ssm,
    jaccard_ssm,
    ngram_counts,
    ratio_ssm,
    weighted_match_ssm,
)
from segmodel.features._text import NormalisedSong

__all__ = [
    "char_ngram_ssm",
    "head_ssm",
    "pos_ssm",
    "rhyme_ssm",
    "syllable_counts",
    "syllable_ssm",
    "tail_ssm",
    "word_overlap_ssm",
]

# Weights of the rhyme-key parts: equal full rhyming parts make a perfect rhyme (1.0); a shared
# stressed vowel (assonance) or a shared last syllable (feminine rhyme) earn partial credit.
RHYME_WEIGHTS = {"full": 0.5, "vowel": 0.2, "final": 0.3}
_LINE_EDGE = -1  # a POS code no tag has


def head_ssm(song: NormalisedSong, *, words: int) -> np.ndarray:
    """1 where two lines start with the same ``words`` words (fewer if a line is shorter)."""
    return exact_match_ssm([line[:words] or None for line in song.words])


def tail_ssm(song: NormalisedSong, *, words: int) -> np.ndarray:
    """1 where two lines end with the same ``words`` words (fewer if a line is shorter)."""
    return exact_match_ssm([line[-words:] or None for line in song.words])


def word_overlap_ssm(song: NormalisedSong) -> np.ndarray:
    """Jaccard similarity of the lines' word sets."""
    return jaccard_ssm(song.words)


def char_ngram_ssm(song: NormalisedSong, *, ngram: int) -> np.ndarray:
    """Cosine similarity of character ``ngram``-gram counts of ``" " + text + " "``.

    The spaces mark word edges at the line's ends too; a text shorter than ``ngram`` is padded so
    that short lines still have one n-gram. Lines without words have none.
    """
    sequences = [
        np.frombuffer(f" {text} ".ljust(ngram).encode("utf-32-le"), dtype=np.uint32)
        if text
        else np.zeros(0, dtype=np.uint32)
        for text in song.texts
    ]
    return cosine_ssm(ngram_counts(sequences, ngram))


def rhyme_ssm(song: NormalisedSong, phonetics: Phonetics) -> np.ndarray:
    """Rhyme similarity of the lines' last words.

    ``S = 0.5 [full rhyming parts equal] + 0.2 [stressed vowels equal] + 0.3 [last syllables
    equal]`` over CMU phones when both words are in the dictionary, over spelling-based keys
    (:func:`orthographic_rhyme`) otherwise. Lines without words rhyme with nothing.
    """
    sounds = [phonetics.sound(line[-1]) if line else None for line in song.words]
    phonetic = [sound.phonetic_rhyme if sound else None for sound in sounds]
    orthographic = [sound.orthographic_rhyme if sound else None for sound in sounds]
    in_dictionary = np.array([key is not None for key in phonetic])
    both_known = in_dictionary[:, None] & in_dictionary[None, :]
    return np.where(both_known, _rhyme_key_ssm(phonetic), _rhyme_key_ssm(orthographic))


def _rhyme_key_ssm(keys: list[RhymeKey | None]) -> np.ndarray:
    columns = [[getattr(key, part) if key else None for key in keys] for part in RHYME_WEIGHTS]
    return weighted_match_ssm(columns, weights=list(RHYME_WEIGHTS.values()))


def syllable_counts(song: NormalisedSong, phonetics: Phonetics) -> np.ndarray:
    """Syllables of each line (CMU dictionary, spelling-based guess for unknown words)."""
    return np.array([phonetics.syllables(line) for line in song.words], dtype=np.float64)


def syllable_ssm(counts: np.ndarray) -> np.ndarray:
    """``1 - |s_i - s_j| / max(s_i, s_j)`` of the syllable counts (0 for two empty lines)."""
    return ratio_ssm(counts)


def pos_ssm(song: NormalisedSong, tagger: PosTagger) -> np.ndarray:
    """Cosine similarity of coarse POS n-gram counts: unigrams, and bi- and trigrams of the tag
    sequence framed by line-edge markers (so word order and line edges count too)."""
    tags = [tagger.codes(line) for line in song.words]
    framed = [
        np.concatenate(([_LINE_EDGE], codes, [_LINE_EDGE])) if len(codes) else codes
        for codes in tags
    ]
    counts = np.hstack([ngram_counts(tags, 1), ngram_counts(framed, 2), ngram_counts(framed, 3)])
    return cosine_ssm(counts)
