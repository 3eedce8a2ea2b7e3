"""Viterbi with a switch penalty: hand-computed cases and brute force over all paths."""

import itertools

import numpy as np
import pytest
import torch

from segmodel.model import viterbi_decode
from segmodel.model._decoding import best_label_paths


def brute_force(emissions: np.ndarray, penalty: float) -> list[int]:
    def score(path):
        changes = sum(a != b for a, b in itertools.pairwise(path))
        return emissions[np.arange(len(path)), list(path)].sum() - penalty * changes

    paths = itertools.product(range(emissions.shape[1]), repeat=emissions.shape[0])
    return list(max(paths, key=score))


HAND = np.log([[0.9, 0.1], [0.4, 0.6], [0.8, 0.2]])


@pytest.mark.parametrize(
    ("penalty", "expected"),
    # The middle line flips to chorus only while 2 * penalty < log(0.6 / 0.4) = 0.405.
    [(0.0, [0, 1, 0]), (0.2, [0, 1, 0]), (0.21, [0, 0, 0]), (5.0, [0, 0, 0])],
)
def test_hand_computed_switch_threshold(penalty, expected):
    assert viterbi_decode(HAND, switch_penalty=penalty) == expected


@pytest.mark.parametrize("seed", range(6))
def test_equals_brute_force_enumeration(seed):
    rng = np.random.default_rng(seed)
    for steps in range(1, 8):
        emissions = np.log(rng.dirichlet([1.0, 1.0], size=steps))
        for penalty in (0.0, 0.3, 1.0, 2.5):
            assert viterbi_decode(emissions, switch_penalty=penalty) == brute_force(
                emissions, penalty
            )


def test_three_labels_equal_brute_force():
    rng = np.random.default_rng(7)
    emissions = rng.normal(size=(6, 3))
    assert viterbi_decode(emissions, switch_penalty=0.7) == brute_force(emissions, 0.7)


def test_batched_with_lengths_equals_each_song_alone():
    rng = np.random.default_rng(1)
    lengths = [5, 1, 3, 7]
    batch = rng.normal(size=(4, 7, 2))
    decoded = viterbi_decode(torch.tensor(batch), switch_penalty=0.8, lengths=torch.tensor(lengths))
    assert [len(path) for path in decoded] == lengths
    for row, length, path in zip(batch, lengths, decoded, strict=True):
        assert path == brute_force(row[:length], 0.8)


def test_padding_values_do_not_matter():
    rng = np.random.default_rng(2)
    batch = rng.normal(size=(2, 6, 2))
    changed = batch.copy()
    changed[0, 3:] = [1e6, -1e6]
    changed[1, 2:] = [-1e6, 1e6]
    lengths = np.array([3, 2])
    assert viterbi_decode(batch, switch_penalty=0.5, lengths=lengths) == viterbi_decode(
        changed, switch_penalty=0.5, lengths=lengths
    )


def test_huge_penalty_gives_one_label_and_zero_penalty_gives_argmax():
    rng = np.random.default_rng(3)
    emissions = rng.normal(size=(40, 2))
    constant = viterbi_decode(emissions, switch_penalty=1e6)
    assert len(set(constant)) == 1
    # The single label kept is the one with the larger total score.
    assert constant[0] == int(emissions.sum(0).argmax())
    assert viterbi_decode(emissions, switch_penalty=0.0) == emissions.argmax(1).tolist()


def test_general_transitions_with_start_and_end_scores():
    emissions = torch.zeros(1, 2, 2)
    transitions = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    # Start strongly favours chorus, end strongly favours verse: 1 -> 0 is the only path
    # collecting both bonuses.
    paths = best_label_paths(
        emissions,
        torch.tensor([2]),
        transitions=transitions,
        start=torch.tensor([0.0, 3.0]),
        end=torch.tensor([3.0, 0.0]),
    )
    assert paths == [[1, 0]]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="switch_penalty must be a finite number >= 0"):
        viterbi_decode(HAND, switch_penalty=-1.0)
    with pytest.raises(ValueError, match=r"must be \(T, K\) or \(B, T, K\), got shape \(3,\)"):
        viterbi_decode(np.zeros(3), switch_penalty=1.0)
    with pytest.raises(ValueError, match=r"lengths must lie in 1\.\.3"):
        viterbi_decode(np.zeros((1, 3, 2)), switch_penalty=1.0, lengths=[4])
    with pytest.raises(ValueError, match="lengths is only meaningful"):
        viterbi_decode(HAND, switch_penalty=1.0, lengths=[3])
