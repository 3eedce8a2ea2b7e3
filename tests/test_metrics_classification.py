"""Line accuracy, per-class F1, macro F1 and chorus rate."""

import doctest

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from segmodel.metrics import _classification, chorus_rate, class_f1, line_accuracy, macro_f1


def test_docstring_examples_run() -> None:
    result = doctest.testmod(_classification)
    assert result.attempted > 0 and result.failed == 0


GOLD = [0, 0, 0, 1, 1, 1, 1, 0]
PRED = [0, 1, 0, 1, 1, 0, 0, 0]
# gold 0 / pred 0: 3 lines, 0 / 1: 1, 1 / 0: 2, 1 / 1: 2.


def test_hand_computed_scores() -> None:
    assert line_accuracy(GOLD, PRED) == 5 / 8
    assert class_f1(GOLD, PRED, label=0) == pytest.approx(2 * 3 / (4 + 5))
    assert class_f1(GOLD, PRED, label=1) == pytest.approx(2 * 2 / (4 + 3))
    assert macro_f1(GOLD, PRED) == pytest.approx((6 / 9 + 4 / 7) / 2)
    assert chorus_rate(PRED) == 3 / 8


def test_class_absent_from_gold_and_pred_has_f1_one() -> None:
    assert class_f1([0, 0], [0, 0], label=1) == 1.0
    assert macro_f1([0, 0], [0, 0]) == 1.0
    # Present on one side only: 0.
    assert class_f1([0, 0], [0, 1], label=1) == 0.0
    assert macro_f1([1, 1], [0, 0]) == 0.0


def test_agrees_with_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        n_lines = int(rng.integers(1, 60))
        gold = rng.integers(0, 2, n_lines)
        pred = rng.integers(0, 2, n_lines)
        assert line_accuracy(gold, pred) == pytest.approx(accuracy_score(gold, pred))
        for label in (0, 1):
            expected = f1_score(gold, pred, pos_label=label, average="binary", zero_division=1.0)
            assert class_f1(gold, pred, label=label) == pytest.approx(expected)
        assert macro_f1(gold, pred) == pytest.approx(
            f1_score(gold, pred, labels=[0, 1], average="macro", zero_division=1.0)
        )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: line_accuracy([0, 1], [0, 1, 1]), "gold has 2 lines but pred has 3"),
        (lambda: line_accuracy([], []), "no lines to score"),
        (lambda: macro_f1([0, 1], [0, 5]), r"pred\[1\]: label 5 is not 0"),
        (lambda: class_f1([0, 1], [0, 1], label=2), "label must be 0 .* or 1 .*, got 2"),
        (lambda: class_f1([0, 1], [0, 1], label=True), "label must be 0"),
        (lambda: chorus_rate([]), "pred has no lines to score"),
        (lambda: chorus_rate([0.5]), "integer labels"),
    ],
)
def test_rejects_bad_input(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()
