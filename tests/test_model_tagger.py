"""SegmentationTagger: batching invariance, padding, decoding modes, losses, parameters."""

import warnings

import numpy as np
import pytest
import torch

from segmodel.model import BiLSTM, ModelConfig, SegmentationTagger, num_parameters, repeat_matrix

INPUT_DIM = 5
ATTENTION_TYPES = ["none", "self", "localized", "boundary_aware"]


def small_config(**changes) -> ModelConfig:
    options = {
        "hidden_dim": 8,
        "num_layers": 2,
        "attention_heads": 2,
        "attention_window": 2,
        "positional_encoding": True,
    }
    return ModelConfig(**{**options, **changes})


def make_tagger(seed: int = 0, **changes) -> SegmentationTagger:
    torch.manual_seed(seed)
    return SegmentationTagger(INPUT_DIM, small_config(**changes))


def padded_batch(lengths: list[int], steps: int | None = None, seed: int = 1):
    generator = torch.Generator().manual_seed(seed)
    steps = steps or max(lengths)
    return torch.randn(len(lengths), steps, INPUT_DIM, generator=generator), torch.tensor(lengths)


@pytest.mark.parametrize("attention_type", ATTENTION_TYPES)
def test_song_alone_equals_song_inside_a_padded_batch(attention_type):
    tagger = make_tagger(attention_type=attention_type).eval()
    features, lengths = padded_batch([7, 3, 1, 5], steps=9)
    with torch.no_grad():
        batched = tagger(features, lengths)
        for song, length in enumerate(lengths.tolist()):
            alone = tagger(features[song : song + 1, :length], torch.tensor([length]))
            torch.testing.assert_close(batched[song, :length], alone[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("attention_type", ATTENTION_TYPES)
def test_padded_features_do_not_influence_real_lines(attention_type):
    tagger = make_tagger(attention_type=attention_type).eval()
    features, lengths = padded_batch([6, 2, 4], steps=8)
    noisy = features.clone()
    padding = torch.arange(8) >= lengths.unsqueeze(1)
    noisy[padding] = 100.0 * torch.randn(int(padding.sum()), INPUT_DIM)
    with torch.no_grad():
        clean_logits, noisy_logits = tagger(features, lengths), tagger(noisy, lengths)
    real = ~padding
    torch.testing.assert_close(clean_logits[real], noisy_logits[real], atol=1e-6, rtol=0)


@pytest.mark.parametrize("attention_type", ATTENTION_TYPES)
def test_one_line_songs_next_to_long_ones_give_finite_values_and_gradients(attention_type):
    tagger = make_tagger(attention_type=attention_type, attention_window=1).train()
    features, lengths = padded_batch([1, 9])
    features.requires_grad_(True)
    logits = tagger(features, lengths)
    assert torch.isfinite(logits).all()
    logits.sum().backward()
    assert torch.isfinite(features.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in tagger.parameters())


def test_bilstm_sees_both_directions_of_a_song():
    torch.manual_seed(0)
    lstm = BiLSTM(INPUT_DIM, 4, num_layers=1).eval()
    features, lengths = padded_batch([6])
    changed = features.clone()
    changed[0, 3] += 1.0
    with torch.no_grad():
        difference = (lstm(features, lengths) - lstm(changed, lengths)).abs()
    forward_moved, backward_moved = difference[0, :, :4].amax(1), difference[0, :, 4:].amax(1)
    # The forward half only sees lines up to its own, the backward half only lines after it.
    assert (forward_moved[:3] == 0).all() and (forward_moved[3:] > 0).all()
    assert (backward_moved[:4] > 0).all() and (backward_moved[4:] == 0).all()


def test_same_seed_same_model_and_same_dropout():
    first, second = make_tagger(seed=5), make_tagger(seed=5)
    for (name, a), (_, b) in zip(
        first.state_dict().items(), second.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    features, lengths = padded_batch([4, 6])
    torch.manual_seed(9)
    out_first = first.train()(features, lengths)
    torch.manual_seed(9)
    out_second = second.train()(features, lengths)
    assert torch.equal(out_first, out_second)
    assert not torch.equal(
        make_tagger(seed=6).state_dict()["classifier.weight"],
        first.state_dict()["classifier.weight"],
    )


def test_layer_dropout_is_ignored_with_one_layer_and_used_with_two():
    features, lengths = padded_batch([5, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        single = make_tagger(num_layers=1, layer_dropout=0.9, dropout=0.0)
        logits = single.train()(features, lengths)
    torch.testing.assert_close(logits, single.eval()(features, lengths), atol=0, rtol=0)
    stacked = make_tagger(num_layers=2, layer_dropout=0.9, dropout=0.0)
    assert not torch.equal(stacked.train()(features, lengths), stacked.eval()(features, lengths))


def test_lstm_initialisation():
    tagger = make_tagger()
    lstm = tagger.lstm.forward_layers[0]
    recurrent_gate = lstm.weight_hh_l0[:8]
    torch.testing.assert_close(recurrent_gate @ recurrent_gate.T, torch.eye(8), atol=1e-5, rtol=0)
    assert lstm.bias_ih_l0[8:16].tolist() == [1.0] * 8
    assert lstm.bias_ih_l0[:8].abs().sum() == 0 and lstm.bias_hh_l0.abs().sum() == 0


def test_parameter_counts_match_the_architecture():
    # Per direction and layer: 4H(D_in + H) weights + 8H biases; classifier 2H * 2 + 2.
    lstm = 2 * (4 * 8 * (5 + 8) + 64) + 2 * (4 * 8 * (16 + 8) + 64)
    assert lstm == 2624
    assert num_parameters(make_tagger()) == lstm + 34
    # Attention at the width of the LSTM (16): qkv 16*48+48, output 16*16+16, LayerNorm 32.
    assert num_parameters(make_tagger(attention_type="self")) == lstm + 1120 + 34
    # A projection 16 -> 20 first, then everything at width 20; classifier 20 * 2 + 2.
    projected = 16 * 20 + 20 + 20 * 60 + 60 + 20 * 20 + 20 + 40
    assert num_parameters(make_tagger(attention_type="self", attention_dim=20)) == (
        lstm + projected + 42
    )
    # Boundary bias: change scorer 16 + 1, one decay per head.
    assert num_parameters(make_tagger(attention_type="boundary_aware")) == lstm + 1120 + 17 + 2 + 34
    # CRF: 2x2 transitions, start and end.
    assert num_parameters(make_tagger(decoding="crf")) == lstm + 34 + 8
    frozen = make_tagger()
    frozen.classifier.requires_grad_(False)
    assert num_parameters(frozen) == lstm
    assert num_parameters(frozen, trainable_only=False) == lstm + 34


def test_decode_follows_the_configured_decoding():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 0.5], [2.0, 0.0], [9.0, 9.0]]])
    lengths = torch.tensor([3])
    assert make_tagger(decoding="argmax").decode(logits, lengths) == [[0, 1, 0]]
    # Flipping line 1 gains 0.5 in log-probability, less than two switches at 1.0 each.
    assert make_tagger(decoding="viterbi", switch_penalty=1.0).decode(logits, lengths) == [
        [0, 0, 0]
    ]
    assert make_tagger(decoding="viterbi", switch_penalty=0.2).decode(logits, lengths) == [
        [0, 1, 0]
    ]
    crf_tagger = make_tagger(decoding="crf")
    with torch.no_grad():
        crf_tagger.crf.transitions.copy_(torch.tensor([[0.0, -1.0], [-1.0, 0.0]]))
    assert crf_tagger.decode(logits, lengths) == [[0, 0, 0]]


def test_sequence_loss_is_the_crf_likelihood_or_zero():
    logits = torch.zeros(1, 2, 2, requires_grad=True)
    labels = torch.tensor([[0, 1]])
    mask = torch.ones(1, 2, dtype=torch.bool)
    assert make_tagger(decoding="crf").sequence_loss(logits, labels, mask).item() == pytest.approx(
        np.log(4)
    )
    for decoding in ("argmax", "viterbi"):
        zero = make_tagger(decoding=decoding).sequence_loss(logits, labels, mask)
        assert zero.shape == () and zero.item() == 0.0


def test_chorus_probabilities_are_the_softmax_of_real_lines():
    logits = torch.tensor([[[0.0, 0.0], [0.0, np.log(3.0)], [5.0, 5.0]], [[np.log(4.0), 0.0]] * 3])
    probabilities = make_tagger().chorus_probabilities(logits, torch.tensor([2, 1]))
    assert [p.dtype for p in probabilities] == [np.float32, np.float32]
    np.testing.assert_allclose(probabilities[0], [0.5, 0.75], rtol=1e-6)
    np.testing.assert_allclose(probabilities[1], [0.2], rtol=1e-6)


def test_learns_a_toy_chorus_signal():
    # Chorus lines carry +1 in feature 0; the tagger must pick this up in a few steps.
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (16, 12), generator=generator)
    features = torch.randn(16, 12, INPUT_DIM, generator=generator) * 0.5
    features[:, :, 0] += 2.0 * labels - 1.0
    lengths = torch.randint(4, 13, (16,), generator=generator)
    mask = torch.arange(12) < lengths.unsqueeze(1)
    tagger = make_tagger(attention_type="boundary_aware", decoding="crf")
    optimiser = torch.optim.Adam(tagger.parameters(), lr=0.02)
    for _ in range(40):
        logits = tagger.train()(features, lengths)
        loss = torch.nn.functional.cross_entropy(logits[mask], labels[mask])
        loss = loss + tagger.sequence_loss(logits, labels, mask)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    decoded = tagger.eval().decode(tagger(features, lengths), lengths)
    predicted = torch.tensor([label for song in decoded for label in song])
    assert (predicted == labels[mask]).float().mean() > 0.95


def test_bad_inputs_are_refused():
    tagger = make_tagger()
    with pytest.raises(ValueError, match=r"features must be \(batch, time, 5\), got \(2, 4, 3\)"):
        tagger(torch.zeros(2, 4, 3), torch.tensor([4, 4]))
    with pytest.raises(ValueError, match=r"every length must lie in 1..4, got \[0, 4\]"):
        tagger(torch.zeros(2, 4, INPUT_DIM), torch.tensor([0, 4]))
    with pytest.raises(ValueError, match=r"lengths must have shape \(2,\), got \(3,\)"):
        tagger(torch.zeros(2, 4, INPUT_DIM), torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="input_dim must be >= 1"):
        SegmentationTagger(0, ModelConfig())


def test_repeat_tying_averages_repeated_lines_and_nothing_else():
    plain, tied = make_tagger().eval(), make_tagger(repeat_tying=0.25).eval()
    features, lengths = padded_batch([5, 3], steps=6)
    pairs = [torch.tensor([[0, 3], [0, 4], [3, 0], [3, 4], [4, 0], [4, 3]]), torch.zeros(0, 2, dtype=torch.long)]
    with torch.no_grad():
        base = plain(features, lengths)
        out = tied(features, lengths, repeat_matrix(pairs, 6))
        alone = tied(features[:1, :5], lengths[:1], repeat_matrix(pairs[:1], 5))
    for line, others in ((0, [3, 4]), (3, [0, 4]), (4, [0, 3])):
        expected = 0.75 * base[0, line] + 0.25 * base[0, others].mean(dim=0)
        torch.testing.assert_close(out[0, line], expected)
    torch.testing.assert_close(out[0, 1:3], base[0, 1:3])  # lines that repeat nothing keep theirs
    torch.testing.assert_close(out[1, :3], base[1, :3])  # a song without repeats is untouched
    torch.testing.assert_close(alone[0], out[0, :5], atol=1e-5, rtol=0)  # padding changes nothing
    with pytest.raises(ValueError, match="repeat"):
        tied(features, lengths)
