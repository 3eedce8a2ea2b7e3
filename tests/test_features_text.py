"""Line normalisation and word phonetics."""

import pytest

from segmodel.features._phonetics import Phonetics, RhymeKey, orthographic_rhyme
from segmodel.features._text import normalise_lines, words_of


def test_words_are_lower_case_without_punctuation_and_with_g_dropping_undone():
    assert words_of("Lovin\u2019 you, 'CAUSE I'm nothin'!") == (
        "loving",
        "you",
        "cause",
        "i'm",
        "nothing",
    )
    assert words_of("...  --  !!") == ()


def test_adlibs_are_set_apart_and_an_adlib_only_line_keeps_its_adlib():
    song = normalise_lines(
        ["Tote a fifty (Tote a fifty)", "(Yeah, yeah)", "Did you miss me? [Did you", "...", ""]
    )
    assert song.words == (
        ("tote", "a", "fifty"),
        ("yeah", "yeah"),
        ("did", "you", "miss", "me"),
        (),
        (),
    )
    assert song.has_adlib.tolist() == [True, True, True, False, False]
    assert song.adlib_only.tolist() == [False, True, False, False, False]
    assert song.texts[0] == "tote a fifty"


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("literally", 4),
        ("the", 1),
        ("beautiful", 3),
        ("night", 1),
        ("loving", 2),
        ("skrrt", 1),
        ("finna", 2),
        ("4", 1),
    ],
)
def test_syllable_counts(word, syllables):
    assert Phonetics().sound(word).syllables == syllables


def test_line_syllables_are_the_sum_over_words():
    assert Phonetics().syllables(("i", "love", "you", "literally")) == 7


def test_phonetic_rhyme_keys_start_at_the_last_stressed_vowel():
    phonetics = Phonetics()
    assert phonetics.sound("night").phonetic_rhyme == RhymeKey("AY T", "AY", "AY T")
    assert phonetics.sound("loving").phonetic_rhyme == RhymeKey("AH V IH NG", "AH", "IH NG")
    # "the" has no stressed vowel: the key still starts at the vowel, not at "DH".
    assert phonetics.sound("the").phonetic_rhyme == RhymeKey("AH", "AH", "AH")


def test_words_outside_the_dictionary_get_only_a_spelling_key():
    sound = Phonetics().sound("shawty")
    assert sound.phonetic_rhyme is None
    assert sound.orthographic_rhyme == RhymeKey("y", "y", "ty")
    assert orthographic_rhyme("table") == RhymeKey("able", "a", "le")
    assert orthographic_rhyme("123") is None


def test_lookups_are_memoised_per_instance():
    first, second = Phonetics(), Phonetics()
    assert first.sound("night") is first.sound("night")
    assert first.sound("night") is not second.sound("night")
    assert first.syllables(()) == 0
