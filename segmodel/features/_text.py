"""Line normalisation: lower-case words, with parenthesised ad-libs set apart.

Rap lyrics are full of ad-libs, ``"Big Folks with me tote a fifty (Tote a fifty)"``: the echo in
parentheses would make lines look more (or less) alike than their main text is, so similarity is
computed on the main text and the presence of an ad-lib becomes a feature of its own. A line that
is nothing but an ad-lib, ``"(Yeah)"``, keeps the ad-lib as its text: it is the whole line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["NormalisedSong", "normalise_lines", "words_of"]

# An ad-lib runs to its closing bracket, or to the end of the line when the bracket is unclosed.
_ADLIB = re.compile(r"\([^)]*(?:\)|$)|\[[^\]]*(?:\]|$)")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# "lovin'" -> "loving", so that g-dropped and full spellings are the same word.
_G_DROP = re.compile(r"(?<=[^\W\d_])in'(?![^\W_])")
# Words are runs of letters/digits, with inner apostrophes kept ("don't", "you's").
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words_of(text: str) -> tuple[str, ...]:
    """Lower-cased words of ``text``, punctuation dropped and g-dropping undone.

    Example:
        >>> words_of("Lovin' you, 'cause I'm NOTHIN' without you...")
        ('loving', 'you', 'cause', "i'm", 'nothing', 'without', 'you')
    """
    text = text.lower().translate(_APOSTROPHES)
    return tuple(_WORD.findall(_G_DROP.sub("ing", text)))


@dataclass(frozen=True)
class NormalisedSong:
    """The lines of one song, normalised once for every view.

    Attributes:
        words: Words of each line's main text (ad-libs removed unless the line is all ad-lib).
        has_adlib: Whether each line contains a parenthesised ad-lib.
        adlib_only: Whether each line consists of nothing but ad-libs.
    """

    words: tuple[tuple[str, ...], ...]
    has_adlib: np.ndarray
    adlib_only: np.ndarray

    @property
    def texts(self) -> list[str]:
        """Each line's words joined by single spaces."""
        return [" ".join(words) for words in self.words]


def normalise_lines(lines: Sequence[str]) -> NormalisedSong:
    """Normalise every line of a song.

    Example:
        >>> song = normalise_lines(["Tote a fifty (Tote a fifty)", "(Yeah!)", "..."])
        >>> song.words
        (('tote', 'a', 'fifty'), ('yeah',), ())
        >>> song.has_adlib.tolist(), song.adlib_only.tolist()
        ([True, True, False], [False, True, False])
    """
    words: list[tuple[str, ...]] = []
    has_adlib = np.zeros(len(lines), dtype=bool)
    adlib_only = np.zeros(len(lines), dtype=bool)
    for index, line in enumerate(lines):
        main = words_of(_ADLIB.sub(" ", line))
        adlib_words = words_of(" ".join(_ADLIB.findall(line)))
        has_adlib[index] = bool(adlib_words)
        if not main and adlib_words:
            adlib_only[index] = True
            main = adlib_words
        words.append(main)
    return NormalisedSong(words=tuple(words), has_adlib=has_adlib, adlib_only=adlib_only)
