"""Self-similarity matrices of each view, on hand-made lines with hand-computed values."""

import numpy as np
import pytest

from segmodel.features._phonetics import Phonetics
from segmodel.features._pos import PosTagger
from segmodel.features._similarity import cosine_ssm, jaccard_ssm, ngram_counts, ratio_ssm
from segmodel.features._text import normalise_lines
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


def _rhyme(first: str, second: str) -> float:
    return float(rhyme_ssm(normalise_lines([first, second]), Phonetics())[0, 1])


def test_jaccard_is_intersection_over_union_of_word_sets():
    ssm = word_overlap_ssm(normalise_lines(["a b c", "b c d", "a a a", "..."]))
    # {a,b,c} vs {b,c,d}: 2 / 4; {a,b,c} vs {a}: 1 / 3; repeated words count once.
    assert ssm[0, 1] == pytest.approx(0.5)
    assert ssm[0, 2] == pytest.approx(1 / 3)
    assert ssm[1, 2] == 0.0
    # An empty line is similar to nothing, itself included.
    assert ssm[3].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert np.array_equal(ssm, ssm.T)


def test_jaccard_of_empty_input_is_an_empty_matrix():
    assert jaccard_ssm([]).shape == (0, 0)


def test_char_ngram_cosine_by_hand():
    song = normalise_lines(["ab", "ba", "ab"])
    # Unigrams of " ab " and " ba " are the same bag {" ": 2, a: 1, b: 1}.
    assert char_ngram_ssm(song, ngram=1)[0, 1] == pytest.approx(1.0)
    # Bigrams {" a", "ab", "b "} and {" b", "ba", "a "} share nothing.
    assert char_ngram_ssm(song, ngram=2)[0, 1] == 0.0
    assert char_ngram_ssm(song, ngram=2)[0, 2] == pytest.approx(1.0)


def test_char_ngram_cosine_of_partly_shared_trigrams():
    # " abc " -> {" ab", "abc", "bc "}; " abd " -> {" ab", "abd", "bd "}: cosine 1 / 3.
    ssm = char_ngram_ssm(normalise_lines(["abc", "abd"]), ngram=3)
    assert ssm[0, 1] == pytest.approx(1 / 3)


def test_lines_shorter_than_the_ngram_still_match_themselves():
    ssm = char_ngram_ssm(normalise_lines(["a", "a", "b"]), ngram=6)
    assert ssm[0, 1] == pytest.approx(1.0)
    assert ssm[0, 2] == 0.0


def test_ngram_counts_and_cosine_helpers():
    counts = ngram_counts([np.array([5, 6, 5, 6]), np.array([6]), np.array([6, 5])], 2)
    assert counts.tolist() == [[2.0, 1.0], [0.0, 0.0], [0.0, 1.0]]
    assert cosine_ssm(counts)[0, 2] == pytest.approx(1 / np.sqrt(5))
    assert ratio_ssm(np.array([3, 6, 0])).tolist() == [
        [1.0, 0.5, 0.0],
        [0.5, 1.0, 0.0],
        [0.0, 0.0, 0.0],
    ]


def test_head_and_tail_compare_the_first_and_last_words():
    song = normalise_lines(
        ["I walk alone tonight", "I walk with you tonight", "Alone", "so alone tonight"]
    )
    assert head_ssm(song, words=2)[0].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert tail_ssm(song, words=1)[0].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert tail_ssm(song, words=2)[0].tolist() == [1.0, 0.0, 0.0, 1.0]
    # A line shorter than k words is compared as a whole.
    assert head_ssm(song, words=3)[2].tolist() == [0.0, 0.0, 1.0, 0.0]


def test_rhyme_is_high_for_true_rhymes_and_low_otherwise():
    assert _rhyme("all through the night", "under the light") == pytest.approx(1.0)
    assert _rhyme("all through the night", "put it on the table") == 0.0
    # Same stressed vowel only (assonance): 0.2.
    assert _rhyme("all through the night", "it's about time") == pytest.approx(0.2)


def test_rhyme_of_g_dropped_and_unknown_words():
    # "lovin'" is read as "loving": identical to itself; with "nothin'" it shares the stressed
    # vowel AH and the last syllable IH NG: 0.2 + 0.3.
    assert _rhyme("I keep lovin'", "you keep lovin'") == pytest.approx(1.0)
    assert _rhyme("I keep lovin'", "you got nothin'") == pytest.approx(0.5)
    # Words missing from the CMU dictionary are compared by spelling.
    assert _rhyme("skrrt", "skrrt skrrt") == pytest.approx(1.0)
    assert _rhyme("skrrt", "dirt") == pytest.approx(0.3)
    assert _rhyme("my shawty", "at the party") == pytest.approx(1.0)


def test_rhyme_ignores_adlibs_and_empty_lines():
    ssm = rhyme_ssm(normalise_lines(["out tonight (yeah)", "so bright", "..."]), Phonetics())
    assert ssm[0, 1] == pytest.approx(1.0)
    assert ssm[2].tolist() == [0.0, 0.0, 0.0]


def test_syllable_similarity_is_the_ratio_of_counts():
    song = normalise_lines(["literally", "I love you", "oh", "..."])
    counts = syllable_counts(song, Phonetics())
    assert counts.tolist() == [4.0, 3.0, 1.0, 0.0]
    ssm = syllable_ssm(counts)
    assert ssm[0, 1] == pytest.approx(0.75)
    assert ssm[0, 2] == pytest.approx(0.25)
    assert ssm[3, 3] == 0.0


def test_pos_similarity_compares_tag_sequences():
    song = normalise_lines(["she was very happy", "he was so sad", "happy very was she", "..."])
    ssm = pos_ssm(song, PosTagger())
    assert ssm[0, 1] == pytest.approx(1.0)  # PRON VERB ADV ADJ twice
    assert 0.3 < ssm[0, 2] < 1.0  # same tags, other order: unigrams match, n-grams do not
    assert ssm[3].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_ngram_counts_with_an_alphabet_too_large_to_pack_into_integers():
    # 2,000 symbols ** 6 overflows int64, so the n-grams are compared as rows instead.
    sequence = np.arange(2000) * 7919
    counts = ngram_counts([sequence, sequence[:10], np.array([1, 2])], 6)
    assert counts.shape == (3, 1995)
    assert counts[0].tolist() == [1.0] * 1995
    assert counts[1].sum() == 5.0
    assert counts[2].sum() == 0.0
