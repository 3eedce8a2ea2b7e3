"""Repeated-line pairs: the same normalised words, nothing else."""

import numpy as np

from segmodel.features import repeated_line_pairs


def test_repeats_ignore_case_punctuation_adlibs_and_g_dropping():
    lines = ["Lovin' you, baby", "something else", "LOVING YOU baby!", "loving you baby (yeah)", "you baby"]
    pairs = repeated_line_pairs(lines)
    assert pairs.tolist() == [[0, 2], [0, 3], [2, 0], [2, 3], [3, 0], [3, 2]]
    assert pairs.dtype == np.int64


def test_wordless_lines_and_unique_lines_repeat_nothing():
    assert repeated_line_pairs(["...", "...", "(", "one", "two"]).shape == (0, 2)
    assert repeated_line_pairs([]).shape == (0, 2)
