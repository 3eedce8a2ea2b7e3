"""Expected calibration error of chorus probabilities."""

import doctest

import numpy as np
import pytest

from segmodel.metrics import _calibration, expected_calibration_error


def test_docstring_examples_run() -> None:
    result = doctest.testmod(_calibration)
    assert result.attempted > 0 and result.failed == 0


def test_confident_and_right_is_calibrated() -> None:
    assert expected_calibration_error([1.0, 0.0, 1.0], [1, 0, 1]) == 0.0


def test_confident_and_wrong_is_maximally_miscalibrated() -> None:
    assert expected_calibration_error([1.0, 0.0], [0, 1]) == 1.0


def test_lines_in_one_bin_are_averaged_before_comparing() -> None:
    # Chorus probabilities 0.55 and 0.65 both predict chorus; the first is right.
    probabilities, labels = [0.55, 0.65], [1, 0]
    # 15 bins of width 1/15 separate them: (|1 - 0.55| + |0 - 0.65|) / 2.
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.55)
    # 2 bins put both in (0.5, 1]: accuracy 1/2, mean confidence 0.6.
    assert expected_calibration_error(probabilities, labels, n_bins=2) == pytest.approx(0.1)


def test_confidence_is_that_of_the_predicted_class() -> None:
    # Probability 0.2 predicts verse with confidence 0.8; right for a verse line, wrong for a
    # chorus line.
    assert expected_calibration_error([0.2], [0]) == pytest.approx(0.2)
    assert expected_calibration_error([0.2], [1]) == pytest.approx(0.8)


def test_a_tie_predicts_verse() -> None:
    # One bin: the tie (confidence 0.5) is right only if it predicts verse, so accuracy 2/2
    # against mean confidence 0.7 (a tie predicting chorus would give 1/2).
    assert expected_calibration_error([0.5, 0.9], [0, 1], n_bins=1) == pytest.approx(0.3)


def test_bins_are_closed_on_the_right() -> None:
    # With 2 bins, confidence exactly 0.5 belongs to (0, 0.5] and 0.75 to (0.5, 1].
    # Bin 1: the tie, right (verse), |1 - 0.5|. Bin 2: 0.75, wrong, |0 - 0.75|.
    assert expected_calibration_error([0.5, 0.75], [0, 0], n_bins=2) == pytest.approx(
        (0.5 + 0.75) / 2
    )


def _reference_ece(probabilities: np.ndarray, labels: np.ndarray, n_bins: int) -> float:
    """Guo et al.'s definition, bin by bin."""
    predicted = (probabilities > 0.5).astype(int)
    confidence = np.maximum(probabilities, 1 - probabilities)
    total = 0.0
    for upper in range(1, n_bins + 1):
        in_bin = (confidence > (upper - 1) / n_bins) & (confidence <= upper / n_bins)
        if in_bin.any():
            accuracy = np.mean(predicted[in_bin] == labels[in_bin])
            total += in_bin.mean() * abs(accuracy - confidence[in_bin].mean())
    return total


def test_agrees_with_the_bin_by_bin_definition() -> None:
    rng = np.random.default_rng(0)
    for n_bins in (1, 4, 15):
        probabilities = rng.random(200)
        labels = (rng.random(200) < probabilities).astype(int)
        assert expected_calibration_error(probabilities, labels, n_bins=n_bins) == pytest.approx(
            _reference_ece(probabilities, labels, n_bins)
        )


@pytest.mark.parametrize(
    ("probabilities", "labels", "kwargs", "message"),
    [
        ([0.2, 1.2], [0, 1], {}, r"probabilities\[1\] = 1.2 is not a probability in \[0, 1\]"),
        ([float("nan")], [0], {}, r"probabilities\[0\] = nan is not a probability"),
        ([0.2, 0.4], [0], {}, "probabilities has 2 lines but labels has 1"),
        ([], [], {}, "no lines to score"),
        ([0.2], [2], {}, r"labels\[0\]: label 2 is not 0"),
        ([0.2], [0], {"n_bins": 0}, "n_bins must be an integer >= 1, got 0"),
        ([0.2], [0], {"n_bins": 2.5}, "n_bins must be an integer"),
    ],
)
def test_rejects_bad_input(probabilities, labels, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(probabilities, labels, **kwargs)
