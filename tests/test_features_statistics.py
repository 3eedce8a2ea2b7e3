"""Per-line SSM statistics and repeated-block cues, on hand-made matrices."""

import numpy as np
import pytest

from segmodel.features._repetition import REPETITION_FEATURES, diagonal_runs, repetition_features
from segmodel.features._statistics import LINE_STATISTICS, line_statistics


def _column(stats: np.ndarray, name: str, names=LINE_STATISTICS) -> list[float]:
    return stats[:, names.index(name)].round(6).tolist()


def _same_line_ssm(keys: str) -> np.ndarray:
    """1 where two lines carry the same letter: a song written as a string of line types."""
    codes = np.array([ord(key) for key in keys])
    return (codes[:, None] == codes[None, :]).astype(float)


# A 4-line SSM with distinct off-diagonal values, so every statistic can be checked by hand.
HAND_SSM = np.array(
    [
        [1.0, 0.2, 0.4, 0.6],
        [0.2, 1.0, 0.8, 0.0],
        [0.4, 0.8, 1.0, 0.5],
        [0.6, 0.0, 0.5, 1.0],
    ]
)


def test_row_statistics_exclude_the_diagonal():
    stats = line_statistics(HAND_SSM, window=2, match_threshold=0.5)
    assert _column(stats, "max") == [0.6, 0.8, 0.8, 0.6]
    assert _column(stats, "mean") == pytest.approx([0.4, 1 / 3, 1.7 / 3, 1.1 / 3])
    # Lines >= 0.5 other than itself: line 0 -> {3}, 1 -> {2}, 2 -> {1, 3}, 3 -> {0, 2}.
    assert _column(stats, "matches") == pytest.approx(np.log1p([1, 1, 2, 2]).tolist())


def test_neighbour_statistics():
    stats = line_statistics(HAND_SSM, window=2, match_threshold=0.5)
    assert _column(stats, "prev") == [0.0, 0.2, 0.8, 0.5]
    assert _column(stats, "next") == [0.2, 0.8, 0.5, 0.0]
    # The two lines before / after, cut at the song's ends.
    assert _column(stats, "before") == pytest.approx([0.0, 0.2, 0.6, 0.25])
    assert _column(stats, "after") == pytest.approx([0.3, 0.4, 0.5, 0.0])


def test_novelty_is_foote_checkerboard_at_the_boundary_before_each_line():
    stats = line_statistics(HAND_SSM, window=2, match_threshold=0.5)
    # Line 2: blocks {0,1} and {2,3}: within (0.2 + 0.5) / 2, across (0.4+0.6+0.8+0.0) / 4.
    # Line 1: blocks {0} and {1,2}: within 0.8, across (0.2 + 0.4) / 2.
    # Line 3: blocks {1,2} and {3}: within 0.8, across (0.0 + 0.5) / 2.
    assert _column(stats, "novelty") == pytest.approx([0.0, 0.5, 0.35 - 0.45, 0.55])


def test_novelty_peaks_where_two_homogeneous_blocks_meet():
    stats = line_statistics(_same_line_ssm("aaaabbbb"), window=2, match_threshold=0.5)
    novelty = _column(stats, "novelty")
    assert int(np.argmax(novelty)) == 4
    assert novelty[4] == pytest.approx(1.0)


def test_distinct_lines_have_max_below_one_even_with_a_unit_diagonal():
    stats = line_statistics(np.eye(5) + 0.1 * (1 - np.eye(5)), window=2, match_threshold=0.5)
    assert _column(stats, "max") == [0.1] * 5
    assert _column(stats, "matches") == [0.0] * 5


@pytest.mark.parametrize("n", [0, 1])
def test_songs_without_pairs_get_zeros(n):
    stats = line_statistics(np.ones((n, n)), window=2, match_threshold=0.5)
    assert stats.shape == (n, len(LINE_STATISTICS))
    assert not stats.any()


def test_two_identical_lines():
    stats = line_statistics(np.ones((2, 2)), window=3, match_threshold=0.5)
    assert np.isfinite(stats).all()
    assert _column(stats, "max") == [1.0, 1.0]
    assert _column(stats, "novelty") == [0.0, -1.0]  # nothing new at line 1: it repeats line 0


def test_line_statistics_rejects_a_non_square_matrix():
    with pytest.raises(ValueError, match="square"):
        line_statistics(np.ones((2, 3)), window=1, match_threshold=0.5)


def _repetition(keys: str, **options) -> dict[str, list[float]]:
    options = {"threshold": 0.7, "min_run": 2} | options
    features = repetition_features(_same_line_ssm(keys), **options)
    return {
        name: features[:, index].round(6).tolist() for index, name in enumerate(REPETITION_FEATURES)
    }


def test_repeated_block_cues_fire_at_the_block_edges():
    cues = _repetition("abcxyabcz")
    assert cues["in_run"] == [1, 1, 1, 0, 0, 1, 1, 1, 0]
    assert cues["start"] == [1, 0, 0, 0, 0, 1, 0, 0, 0]
    assert cues["end"] == [0, 0, 1, 0, 0, 0, 0, 1, 0]
    assert cues["prev_end"] == [0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert cues["next_start"] == [0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert cues["first_occurrence"] == [1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert cues["run_length"] == pytest.approx([np.log(4)] * 3 + [0, 0] + [np.log(4)] * 3 + [0])
    assert cues["repeats"] == pytest.approx([np.log(2)] * 3 + [0, 0] + [np.log(2)] * 3 + [0])
    assert cues["relative_run_length"] == [1, 1, 1, 0, 0, 1, 1, 1, 0]


def test_a_block_sung_three_times():
    cues = _repetition("abxabyab")
    assert cues["in_run"] == [1, 1, 0, 1, 1, 0, 1, 1]
    assert cues["start"] == [1, 0, 0, 1, 0, 0, 1, 0]
    assert cues["first_occurrence"] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert cues["repeats"] == pytest.approx(
        [np.log(3), np.log(3), 0, np.log(3), np.log(3), 0, np.log(3), np.log(3)]
    )


def test_relative_cues_single_out_the_longest_block():
    cues = _repetition("abcxabcyzqyz")  # "abc" twice (length 3), "yz" twice (length 2)
    assert cues["relative_run_length"] == pytest.approx(
        [1, 1, 1, 0, 1, 1, 1, 2 / 3, 2 / 3, 0, 2 / 3, 2 / 3]
    )


def test_runs_shorter_than_min_run_are_ignored_but_soft_paths_remain():
    cues = _repetition("abcxyabcz", min_run=4)
    assert cues["in_run"] == [0] * 9
    assert cues["relative_repeats"] == [0] * 9
    # Line 1 (b) lies on the diagonal (0,5), (1,6), (2,7): all three cells are 1.
    assert cues["path"][1] == pytest.approx(1.0)
    # Line 0 has nothing before it on that diagonal; line 3 only its predecessor's match.
    assert cues["path_back"][0] == pytest.approx(0.5)
    assert cues["path_back"][3] == pytest.approx(0.5)
    assert cues["path_forward"][3] == pytest.approx(0.0)


def test_diagonal_runs_of_a_repeated_line():
    runs = diagonal_runs((_same_line_ssm("aaa") > 0) & ~np.eye(3, dtype=bool), min_run=1)
    # (0,1),(1,2) on lag 1; (0,2) on lag 2.
    assert runs.first.tolist() == [0, 0]
    assert runs.lag.tolist() == [1, 2]
    assert runs.length.tolist() == [2, 1]


@pytest.mark.parametrize("n", [0, 1])
def test_repetition_of_tiny_songs_is_all_zeros(n):
    features = repetition_features(np.ones((n, n)), threshold=0.7, min_run=1)
    assert features.shape == (n, len(REPETITION_FEATURES))
    assert not features.any()
