"""Boundary positions and boundary precision/recall/F1 (exact, relaxed, micro, macro)."""

import doctest

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from segmodel.metrics import BoundaryScores, boundary_positions, boundary_scores
from segmodel.metrics import _boundary


def test_docstring_examples_run() -> None:
    result = doctest.testmod(_boundary)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([0, 0, 1, 1, 0], [2, 4]),
        ([1, 0, 0], [1]),
        ([0, 1, 0, 1], [1, 2, 3]),
        ([1, 1, 1], []),
        ([1], []),
        ([], []),
        (np.array([True, False]), [1]),
    ],
)
def test_boundary_positions(labels, expected) -> None:
    assert boundary_positions(labels).tolist() == expected


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 2, 1], r"labels\[1\]: label 2 is not 0 \(verse\) or 1 \(chorus\)"),
        ([0.0, 1.0], "integer labels 0 .* got dtype float64"),
        ([[0, 1]], r"1-D .* shape \(1, 2\)"),
        ("0101", "not a string"),
    ],
)
def test_boundary_positions_rejects_bad_labels(labels, message) -> None:
    with pytest.raises(ValueError, match=message):
        boundary_positions(labels)


# Three songs. A: gold boundaries 2, 4, pred 2. B: gold none, pred 2. C: gold 2, pred 2.
GOLD = [[0, 0, 1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0, 0]]
PRED = [[0, 0, 1, 1, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0, 0]]


def test_micro_sums_counts_over_songs() -> None:
    # TP = 1 + 0 + 1, gold = 2 + 0 + 1, pred = 1 + 1 + 1.
    scores = boundary_scores(GOLD, PRED)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 * 2 / (3 + 3))


def test_macro_averages_per_song_scores() -> None:
    # Per song (P, R, F1): A (1, 1/2, 2/3), B (0, 0, 0) as it invents a boundary, C (1, 1, 1).
    scores = boundary_scores(GOLD, PRED, average="macro")
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(1.5 / 3)
    assert scores.f1 == pytest.approx((2 / 3 + 0 + 1) / 3)


def test_tolerance_accepts_near_misses() -> None:
    gold = [[0, 0, 1, 1, 0, 0, 0, 0]]  # boundaries 2, 4
    pred = [[0, 0, 0, 1, 1, 1, 1, 0]]  # boundaries 3, 7
    assert boundary_scores(gold, pred).f1 == 0.0
    assert boundary_scores(gold, pred, tolerance=1) == BoundaryScores(0.5, 0.5, 0.5)
    assert boundary_scores(gold, pred, tolerance=3) == BoundaryScores(1.0, 1.0, 1.0)


def test_one_predicted_boundary_matches_at_most_one_gold_boundary() -> None:
    gold = [[0, 0, 1, 0, 0, 0]]  # boundaries 2, 3
    pred = [[0, 0, 0, 1, 1, 1]]  # boundary 3, within 1 of both
    assert boundary_scores(gold, pred, tolerance=1) == BoundaryScores(1.0, 0.5, 2 / 3)
    assert boundary_scores(pred, gold, tolerance=1) == BoundaryScores(0.5, 1.0, 2 / 3)


def test_matching_is_maximal_not_nearest_first() -> None:
    # Gold 4 is as near to pred 3 as gold 2 is; taking (4, 3) would leave gold 2 unmatched.
    gold = [[0, 0, 1, 1, 0, 0]]  # boundaries 2, 4
    pred = [[0, 0, 0, 1, 1, 0]]  # boundaries 3, 5
    assert boundary_scores(gold, pred, tolerance=1) == BoundaryScores(1.0, 1.0, 1.0)


def test_no_match_across_songs() -> None:
    # Gold boundary on song 0's last line, pred boundary on song 1's second line: 2 lines apart
    # in the concatenated corpus, but in different songs.
    gold = [[0, 0, 1], [0, 0, 0]]
    pred = [[0, 0, 0], [0, 1, 1]]
    assert boundary_scores(gold, pred, tolerance=2).f1 == 0.0


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_no_boundaries_anywhere_is_perfect(average) -> None:
    songs = [[0, 0], [1, 1, 1], [0]]
    assert boundary_scores(songs, songs, average=average) == BoundaryScores(1.0, 1.0, 1.0)
    assert boundary_scores([], [], average=average) == BoundaryScores(1.0, 1.0, 1.0)


@pytest.mark.parametrize("average", ["micro", "macro"])
def test_boundaries_on_one_side_only_score_zero(average) -> None:
    flat = [[0, 0, 0, 0]]
    varied = [[0, 1, 1, 0]]
    assert boundary_scores(varied, flat, average=average) == BoundaryScores(0.0, 0.0, 0.0)
    assert boundary_scores(flat, varied, average=average) == BoundaryScores(0.0, 0.0, 0.0)


def test_macro_counts_a_song_without_any_boundary_as_perfect() -> None:
    gold = [[0, 0, 1, 1], [1, 1, 1]]
    pred = [[0, 0, 0, 1], [1, 1, 1]]
    # Song 0 misses (F1 0), song 1 has nothing to find (F1 1).
    assert boundary_scores(gold, pred, average="macro").f1 == 0.5
    assert boundary_scores(gold, pred, average="micro").f1 == 0.0


def _maximum_matching_size(gold: np.ndarray, pred: np.ndarray, tolerance: int) -> int:
    if not gold.size or not pred.size:
        return 0
    allowed = np.abs(gold[:, None] - pred[None, :]) <= tolerance
    rows, cols = linear_sum_assignment(allowed, maximize=True)
    return int(allowed[rows, cols].sum())


@pytest.mark.parametrize("tolerance", [0, 1, 2, 3])
def test_greedy_matching_equals_an_optimal_assignment(tolerance) -> None:
    rng = np.random.default_rng(tolerance)
    for _ in range(60):
        n_lines = int(rng.integers(1, 25))
        gold = (rng.random(n_lines) < 0.4).astype(int)
        pred = (rng.random(n_lines) < 0.4).astype(int)
        gold_positions = boundary_positions(gold)
        pred_positions = boundary_positions(pred)
        matched = _maximum_matching_size(gold_positions, pred_positions, tolerance)
        expected_f1 = (
            1.0
            if not gold_positions.size + pred_positions.size
            else 2 * matched / (gold_positions.size + pred_positions.size)
        )
        assert boundary_scores([gold], [pred], tolerance=tolerance).f1 == pytest.approx(expected_f1)


@pytest.mark.parametrize(
    ("gold", "pred", "kwargs", "message"),
    [
        ([[0, 1], [0]], [[0, 1]], {}, "gold has 2 songs but pred has 1"),
        ([[0, 1], [0, 0, 1]], [[0, 1], [0, 0]], {}, "song 1: gold has 3 lines but pred has 2"),
        ([[0, 1], [0, 3]], [[0, 1], [0, 0]], {}, r"gold song 1, line 1: label 3 is not 0"),
        ([[0, 1]], [[0, 1]], {"tolerance": -1}, "tolerance must be an integer >= 0, got -1"),
        ([[0, 1]], [[0, 1]], {"tolerance": 1.5}, "tolerance must be an integer"),
        ([[0, 1]], [[0, 1]], {"average": "weighted"}, "average must be 'micro' or 'macro'"),
        ("0101", "0101", {}, "gold must be a sequence of songs"),
        ([0, 1, 1], [0, 1, 1], {}, "gold song 0 must be a sequence of 0/1 labels, got int"),
    ],
)
def test_boundary_scores_rejects_bad_input(gold, pred, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        boundary_scores(gold, pred, **kwargs)
