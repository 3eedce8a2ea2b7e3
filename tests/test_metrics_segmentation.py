"""Pk and WindowDiff: hand-computed cases and agreement with nltk."""

import doctest
import math

import numpy as np
import pytest
from nltk.metrics import segmentation as nltk_segmentation

from segmodel.metrics import _segmentation, pk, windowdiff


def test_docstring_examples_run() -> None:
    result = doctest.testmod(_segmentation)
    assert result.attempted > 0 and result.failed == 0


def _line_breaks(labels) -> str:
    """nltk's segmentation string: one character per line break, "1" if the next line is a
    boundary."""
    return "".join("1" if before != after else "0" for before, after in zip(labels, labels[1:]))


def _reference_k(gold) -> int:
    """Half the mean gold segment length, rounded half up, within [1, N - 1]."""
    n_lines = len(gold)
    segments = _line_breaks(gold).count("1") + 1
    return max(1, min(n_lines - 1, math.floor(n_lines / (2 * segments) + 0.5)))


def test_identical_segmentations_score_zero() -> None:
    gold = [0, 0, 1, 1, 1, 0, 0, 1]
    assert pk(gold, gold) == 0.0
    assert windowdiff(gold, gold) == 0.0


def test_boundary_one_line_off() -> None:
    # k = round(6 / 4) = 2; probes (0,2) (1,3) (2,4) (3,5). Gold boundary 3 lies in probes 1 and
    # 2, pred boundary 2 in probes 0 and 1: probes 0 and 2 disagree.
    gold = [0, 0, 0, 1, 1, 1]
    pred = [0, 0, 1, 1, 1, 1]
    assert pk(gold, pred) == 0.5
    assert windowdiff(gold, pred) == 0.5


def test_windowdiff_counts_boundaries_pk_only_their_presence() -> None:
    # Pred boundaries 3 and 4: probe (2,4) holds one gold and two pred boundaries (Pk: same,
    # WindowDiff: different); probe (3,5) holds one pred boundary only (both count it).
    gold = [0, 0, 0, 1, 1, 1]
    pred = [0, 0, 0, 1, 0, 0]
    assert pk(gold, pred) == 0.25
    assert windowdiff(gold, pred) == 0.5


def test_default_k_rounds_half_up() -> None:
    # N = 10, one gold boundary: k = round(10 / 4 = 2.5) = 3, not banker's 2. With k = 3 gold
    # boundary 5 is in probes 2, 3, 4 and pred boundary 7 in probes 4, 5, 6 of 7 probes.
    gold = [0] * 5 + [1] * 5
    pred = [0] * 7 + [1] * 3
    assert pk(gold, pred) == pytest.approx(4 / 7)
    assert pk(gold, pred, k=3) == pytest.approx(4 / 7)
    assert pk(gold, pred, k=2) == 0.5  # boundaries in probes 3, 4 and 5, 6 of 8


def test_explicit_k() -> None:
    gold = [0, 0, 0, 1, 1, 1]
    pred = [0, 0, 1, 1, 1, 1]
    # k = 1 probes each pair of neighbouring lines: they differ at lines 2 and 3, 2 probes of 5.
    assert pk(gold, pred, k=1) == 0.4
    # k = 5 has one probe, (0, 5), and both have a boundary in it.
    assert pk(gold, pred, k=5) == 0.0


@pytest.mark.parametrize(
    ("gold", "pred", "expected"),
    [
        ([], [], 0.0),  # no probe: nothing can be wrong
        ([1], [0], 0.0),
        ([0, 1], [0, 0], 1.0),  # k = 1, one probe, gold has a boundary in it
        ([0, 0], [0, 1], 1.0),
        ([0, 0, 0], [0, 1, 1], 1.0),  # no gold boundary: k = round(1.5) = 2 = N - 1, one probe
        ([0, 0, 0], [0, 0, 0], 0.0),
    ],
)
def test_short_songs_and_songs_without_boundaries(gold, pred, expected) -> None:
    assert pk(gold, pred) == expected
    assert windowdiff(gold, pred) == expected


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_nltk_on_random_songs(seed) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(50):
        n_lines = int(rng.integers(2, 45))
        # Segments of random lengths, so boundaries are as sparse as in songs.
        gold = (np.cumsum(rng.random(n_lines) < rng.uniform(0.05, 0.5)) % 2).tolist()
        pred = (np.cumsum(rng.random(n_lines) < rng.uniform(0.05, 0.5)) % 2).tolist()
        for k in (_reference_k(gold), int(rng.integers(1, n_lines))):
            reference, hypothesis = _line_breaks(gold), _line_breaks(pred)
            assert pk(gold, pred, k=k) == pytest.approx(
                nltk_segmentation.pk(reference, hypothesis, k)
            )
            assert windowdiff(gold, pred, k=k) == pytest.approx(
                nltk_segmentation.windowdiff(reference, hypothesis, k)
            )
        assert pk(gold, pred) == pk(gold, pred, k=_reference_k(gold))
        assert windowdiff(gold, pred) == windowdiff(gold, pred, k=_reference_k(gold))


@pytest.mark.parametrize(
    ("gold", "pred", "k", "message"),
    [
        ([0, 1, 1], [0, 1], None, "gold has 3 lines but pred has 2"),
        ([0, 1, 1], [0, 1, 1], 0, "k must be an integer >= 1, got 0"),
        ([0, 1, 1], [0, 1, 1], 3, r"k must be at most 2 \(lines - 1\), got 3"),
        ([0, 1, 1], [0, 1, 1], 1.0, "k must be an integer"),
        ([0, 1, 1], [0, 1, 2], None, r"pred\[2\]: label 2 is not 0"),
    ],
)
def test_rejects_bad_input(gold, pred, k, message) -> None:
    for metric in (pk, windowdiff):
        with pytest.raises(ValueError, match=message):
            metric(gold, pred, k=k)
