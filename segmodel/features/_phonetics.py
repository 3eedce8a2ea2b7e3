"""Rhymes and syllables of words: CMU pronouncing dictionary, spelling heuristics for the rest.

Lyrics are full of words no dictionary has (``skrrt``, ``shawty``, ``finna``). Every word gets
both a phonetic description, when the CMU dictionary knows it, and an orthographic one; two
words are compared phonetically when both are in the dictionary, by spelling otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pronouncing

__all__ = ["Phonetics", "RhymeKey", "WordSound", "orthographic_rhyme", "orthographic_syllables"]

_VOWEL_GROUP = re.compile(r"[aeiouy]+")
# Last vowel group and its coda; a silent final "e" rides along ("time" -> "ime").
_ORTHOGRAPHIC_RHYME = re.compile(r"([aeiouy]+)[^aeiouy]*?(?:[^aeiouy]e)?$")
_LETTERS = re.compile(r"[^a-z]")


@dataclass(frozen=True)
class RhymeKey:
    """The parts of a word's ending that decide how well it rhymes with another.

    Attributes:
        full: Everything from the stressed vowel of the last stressed syllable to the end
            (``"AY T"`` for *night*); equal ``full`` parts make a perfect rhyme.
        vowel: The vowel that starts ``full`` (assonance); for a word without a vowel
            (``hmm``, ``skrrt``), ``full`` itself.
        final: The last syllable's vowel and coda (``"IH NG"`` for *loving*), so feminine
            rhymes such as *loving*/*nothing* still share something.
    """

    full: str
    vowel: str
    final: str


@dataclass(frozen=True)
class WordSound:
    """What the views need to know about one word."""

    phonetic_rhyme: RhymeKey | None  # None when the CMU dictionary lacks the word
    orthographic_rhyme: RhymeKey | None  # None when the word has no letters ("4")
    syllables: int


def _strip_stress(phones: list[str]) -> list[str]:
    return [phone.rstrip("012") for phone in phones]


def _phonetic_rhyme(phones: str) -> RhymeKey:
    # pronouncing.rhyming_part returns the whole word when no vowel after the first phone carries
    # stress ("the" -> "DH AH0"): drop the onset so that the part starts at a vowel.
    part = pronouncing.rhyming_part(phones).split()
    vowels = [index for index, phone in enumerate(part) if phone[-1].isdigit()]
    if not vowels:
        plain = " ".join(_strip_stress(part))
        return RhymeKey(full=plain, vowel=plain, final=plain)
    part = part[vowels[0] :]
    last_vowel = vowels[-1] - vowels[0]
    plain = _strip_stress(part)
    return RhymeKey(full=" ".join(plain), vowel=plain[0], final=" ".join(plain[last_vowel:]))


def orthographic_rhyme(word: str) -> RhymeKey | None:
    """Spelling-based rhyme key: last vowel group plus coda, and the last two letters.

    Example:
        >>> orthographic_rhyme("time")
        RhymeKey(full='ime', vowel='i', final='me')
        >>> orthographic_rhyme("skrrt")
        RhymeKey(full='skrrt', vowel='skrrt', final='rt')
    """
    letters = _LETTERS.sub("", word.lower())
    if not letters:
        return None
    match = _ORTHOGRAPHIC_RHYME.search(letters)
    if match is None:
        return RhymeKey(full=letters, vowel=letters, final=letters[-2:])
    return RhymeKey(full=match.group(0), vowel=match.group(1), final=letters[-2:])


def orthographic_syllables(word: str) -> int:
    """Syllables guessed from spelling: vowel groups, minus a silent final ``e``; at least 1.

    Example:
        >>> [orthographic_syllables(word) for word in ("finna", "shawty", "skrrt", "shade")]
        [2, 2, 1, 1]
    """
    letters = _LETTERS.sub("", word.lower())
    groups = len(_VOWEL_GROUP.findall(letters))
    if groups > 1 and letters.endswith("e") and not letters.endswith(("le", "ee", "ye")):
        groups -= 1
    return max(groups, 1)


class Phonetics:
    """Per-word rhyme keys and syllable counts, memoised per instance.

    Example:
        >>> phonetics = Phonetics()
        >>> phonetics.sound("night").phonetic_rhyme
        RhymeKey(full='AY T', vowel='AY', final='AY T')
        >>> phonetics.sound("skrrt").phonetic_rhyme is None, phonetics.sound("literally").syllables
        (True, 4)
    """

    def __init__(self) -> None:
        self._sounds: dict[str, WordSound] = {}

    def sound(self, word: str) -> WordSound:
        """Rhyme keys and syllable count of ``word`` (a normalised, lower-case word)."""
        cached = self._sounds.get(word)
        if cached is None:
            cached = self._sounds[word] = self._look_up(word)
        return cached

    def syllables(self, words: tuple[str, ...]) -> int:
        """Syllables of a line: the sum over its words."""
        return sum(self.sound(word).syllables for word in words)

    @staticmethod
    def _look_up(word: str) -> WordSound:
        pronunciations = pronouncing.phones_for_word(word) or pronouncing.phones_for_word(
            word.strip("'")
        )
        orthographic = orthographic_rhyme(word)
        if pronunciations:
            phones = pronunciations[0]
            return WordSound(
                phonetic_rhyme=_phonetic_rhyme(phones),
                orthographic_rhyme=orthographic,
                syllables=max(pronouncing.syllable_count(phones), 1),
            )
        syllables = orthographic_syllables(word) if orthographic is not None else 1
        return WordSound(phonetic_rhyme=None, orthographic_rhyme=orthographic, syllables=syllables)
