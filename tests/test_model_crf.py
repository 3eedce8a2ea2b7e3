"""Linear-chain CRF: likelihood and decoding against enumeration of every labelling."""

import itertools
import math

import pytest
import torch

from segmodel.model import LinearChainCRF


def random_crf(seed: int) -> LinearChainCRF:
    generator = torch.Generator().manual_seed(seed)
    crf = LinearChainCRF(2).double()
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64))
    return crf


def path_score(crf: LinearChainCRF, emissions: torch.Tensor, path: tuple[int, ...]) -> float:
    score = crf.start[path[0]] + crf.end[path[-1]]
    score = score + sum(emissions[t, label] for t, label in enumerate(path))
    score = score + sum(crf.transitions[a, b] for a, b in itertools.pairwise(path))
    return float(score.detach())


def all_paths(length: int):
    return list(itertools.product((0, 1), repeat=length))


def test_hand_computed_likelihoods():
    crf = LinearChainCRF(2)
    emissions = torch.zeros(1, 2, 2)
    mask = torch.ones(1, 2, dtype=torch.bool)
    # Untrained: all four labellings equally likely.
    assert crf.negative_log_likelihood(emissions, torch.tensor([[0, 1]]), mask).item() == (
        pytest.approx(math.log(4))
    )
    # exp(A[0, 1]) = 3 makes 0 -> 1 three times as likely as each other path: p = 3 / 6.
    with torch.no_grad():
        crf.transitions[0, 1] = math.log(3)
    assert crf.negative_log_likelihood(emissions, torch.tensor([[0, 1]]), mask).item() == (
        pytest.approx(math.log(2))
    )
    assert crf.negative_log_likelihood(emissions, torch.tensor([[1, 1]]), mask).item() == (
        pytest.approx(math.log(6))
    )


@pytest.mark.parametrize("seed", range(4))
def test_negative_log_likelihood_equals_brute_force(seed):
    crf = random_crf(seed)
    generator = torch.Generator().manual_seed(100 + seed)
    lengths = torch.tensor([6, 1, 4, 3, 5])
    steps = 6
    emissions = torch.randn(len(lengths), steps, 2, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 2, (len(lengths), steps), generator=generator)
    mask = torch.arange(steps) < lengths.unsqueeze(1)
    labels[~mask] = -100  # the trainer's ignore index must not break the gather

    expected = []
    for song, length in enumerate(lengths.tolist()):
        log_z = torch.logsumexp(
            torch.tensor(
                [path_score(crf, emissions[song], p) for p in all_paths(length)],
                dtype=torch.float64,
            ),
            0,
        )
        gold = tuple(labels[song, :length].tolist())
        expected.append(float(log_z) - path_score(crf, emissions[song], gold))
    nll = crf.negative_log_likelihood(emissions, labels, mask)
    assert nll.item() == pytest.approx(sum(expected) / len(expected), abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_decode_equals_brute_force_best_path(seed):
    crf = random_crf(seed)
    generator = torch.Generator().manual_seed(200 + seed)
    lengths = torch.tensor([1, 6, 2, 5])
    emissions = torch.randn(len(lengths), 6, 2, generator=generator, dtype=torch.float64)
    decoded = crf.decode(emissions, lengths)
    for song, length in enumerate(lengths.tolist()):
        best = max(all_paths(length), key=lambda p: path_score(crf, emissions[song], p))
        assert decoded[song] == list(best)


def test_gradients_reach_transitions_and_emissions():
    crf = random_crf(0)
    emissions = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    labels = torch.tensor([[0, 0, 1, 1], [1, 0, 0, 0]])
    crf.negative_log_likelihood(emissions, labels, mask).backward()
    assert crf.transitions.grad.abs().sum() > 0
    # Padded emissions never enter the likelihood.
    assert torch.all(emissions.grad[1, 2:] == 0)
    assert torch.all(emissions.grad[1, :2] != 0)


def test_masks_with_holes_or_empty_songs_are_refused():
    crf = LinearChainCRF(2)
    emissions = torch.zeros(1, 3, 2)
    labels = torch.zeros(1, 3, dtype=torch.long)
    for mask in ([[True, False, True]], [[False, False, False]]):
        with pytest.raises(ValueError, match="non-empty prefix"):
            crf.negative_log_likelihood(emissions, labels, torch.tensor(mask))
    with pytest.raises(ValueError, match="bool tensor"):
        crf.negative_log_likelihood(emissions, labels, torch.ones(1, 3))
