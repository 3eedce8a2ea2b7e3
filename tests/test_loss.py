"""Tests for segmodel.loss: every term on hand-computed batches, masking, weights, errors."""

from __future__ import annotations

import math
import pickle

import pytest
import torch
import torch.nn.functional as F

from segmodel.errors import InputError
from segmodel.loss import (
    BoundaryAwareCrossEntropy,
    LossConfig,
    NonFiniteLossError,
    build_loss,
    class_weights_from_labels,
)

PAD = -100

# Two songs; song B has three real lines and one padded slot. Logits (0, ln a) give a chorus
# probability of a / (1 + a), so every probability below is a simple fraction.
CHORUS_PROBS = [[1 / 4, 1 / 2, 3 / 4, 9 / 10], [3 / 4, 1 / 4, 1 / 2, 1 / 2]]
LABELS = [[0, 0, 1, 1], [1, 1, 0, PAD]]
MASK = [[True, True, True, True], [True, True, True, False]]


def _logits_for(chorus_probs: list[list[float]]) -> torch.Tensor:
    return torch.tensor(
        [[[0.0, math.log(p / (1 - p))] for p in song] for song in chorus_probs],
        requires_grad=True,
    )


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return _logits_for(CHORUS_PROBS), torch.tensor(LABELS), torch.tensor(MASK)


def _real_lines() -> list[tuple[float, int]]:
    """(chorus probability, label) of every real line, in order."""
    return [
        (p, y)
        for probs, labels, mask in zip(CHORUS_PROBS, LABELS, MASK)
        for p, y, real in zip(probs, labels, mask)
        if real
    ]


# --- each term by hand -----------------------------------------------------------------------


def test_cross_entropy_weights_the_first_line_of_each_new_segment():
    loss_fn = BoundaryAwareCrossEntropy(boundary_weight=2.0)
    out = loss_fn(*_batch())
    # -log p(gold) per line; lines A2 and B2 start a new segment and count twice.
    song_a = [math.log(4 / 3), math.log(2), 2 * math.log(4 / 3), math.log(10 / 9)]
    song_b = [math.log(4 / 3), math.log(4), 2 * math.log(2)]
    expected = (sum(song_a) + sum(song_b)) / 9  # weights 1+1+2+1 + 1+1+2
    assert out.terms["cross_entropy"] == pytest.approx(expected, rel=1e-6)
    assert out.total.item() == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_with_class_weights_and_label_smoothing():
    weights, smoothing = (0.5, 2.0), 0.2
    loss_fn = BoundaryAwareCrossEntropy(
        class_weights=torch.tensor(weights), label_smoothing=smoothing, boundary_weight=3.0
    )
    out = loss_fn(*_batch())
    boundary = [1, 1, 3, 1, 1, 1, 3]
    numerator = normaliser = 0.0
    for b, (p_chorus, y) in zip(boundary, _real_lines()):
        probs = (1 - p_chorus, p_chorus)
        # Smoothed target: 0.9 on the gold class, 0.1 on the other; each class term carries
        # that class's weight (torch's convention).
        line = sum(
            weights[k] * ((1 - smoothing) * (k == y) + smoothing / 2) * -math.log(probs[k])
            for k in (0, 1)
        )
        numerator += b * line
        normaliser += b * weights[y]
    assert out.terms["cross_entropy"] == pytest.approx(numerator / normaliser, rel=1e-6)


def test_segment_consistency_penalises_flicker_only_inside_gold_segments():
    loss_fn = BoundaryAwareCrossEntropy(segment_consistency_lambda=0.5)
    out = loss_fn(*_batch())
    # Same-segment pairs: A(0,1), A(2,3), B(0,1); A(1,2) and B(1,2) cross a boundary, B(2,3)
    # touches padding.
    flicker = [(1 / 4 - 1 / 2) ** 2, (3 / 4 - 9 / 10) ** 2, (3 / 4 - 1 / 4) ** 2]
    assert out.terms["segment_consistency"] == pytest.approx(0.5 * sum(flicker) / 3, rel=1e-5)


def test_segment_consistency_is_zero_without_same_segment_pairs():
    loss_fn = BoundaryAwareCrossEntropy(segment_consistency_lambda=1.0)
    logits = torch.randn(2, 3, 2)
    labels = torch.tensor([[0, 1, 0], [1, PAD, PAD]])
    mask = torch.tensor([[True, True, True], [True, False, False]])
    assert loss_fn(logits, labels, mask).terms["segment_consistency"] == 0.0


def test_confidence_penalty_counts_probability_above_the_threshold():
    loss_fn = BoundaryAwareCrossEntropy(conf_penalty_lambda=2.0, conf_threshold=0.7)
    out = loss_fn(*_batch())
    # Max probabilities 3/4, 1/2, 3/4, 9/10 | 3/4, 3/4, 1/2.
    excess = [0.05, 0.0, 0.05, 0.2, 0.05, 0.05, 0.0]
    assert out.terms["confidence_penalty"] == pytest.approx(2.0 * sum(excess) / 7, rel=1e-5)


def test_entropy_term_is_minus_lambda_times_mean_entropy():
    loss_fn = BoundaryAwareCrossEntropy(entropy_lambda=0.1)
    out = loss_fn(*_batch())

    def entropy(p: float) -> float:
        return -(p * math.log(p) + (1 - p) * math.log(1 - p))

    mean_entropy = sum(entropy(p) for p, _ in _real_lines()) / 7
    assert out.terms["entropy"] == pytest.approx(-0.1 * mean_entropy, rel=1e-6)
    assert out.terms["entropy"] < 0


def test_entropy_term_pushes_predictions_away_from_certainty():
    # A regulariser against over-confidence: the gradient step must lower the top probability.
    logits = torch.tensor([[[0.0, 2.0]]], requires_grad=True)
    loss_fn = BoundaryAwareCrossEntropy(entropy_lambda=1.0)
    out = loss_fn(logits, torch.tensor([[1]]), torch.tensor([[True]]))
    entropy_only = out.total - out.terms["cross_entropy"]
    entropy_only.backward()
    assert logits.grad[0, 0, 1] > 0 > logits.grad[0, 0, 0]


def test_total_is_the_sum_of_all_terms():
    loss_fn = BoundaryAwareCrossEntropy(
        label_smoothing=0.1,
        boundary_weight=2.0,
        segment_consistency_lambda=0.3,
        conf_penalty_lambda=0.4,
        conf_threshold=0.6,
        entropy_lambda=0.05,
    )
    out = loss_fn(*_batch())
    assert sorted(out.terms) == [
        "confidence_penalty", "cross_entropy", "entropy", "segment_consistency"
    ]
    assert all(value != 0.0 for value in out.terms.values())
    assert out.total.item() == pytest.approx(sum(out.terms.values()), rel=1e-6)


def test_disabled_terms_report_zero():
    out = BoundaryAwareCrossEntropy()(*_batch())
    assert out.terms["segment_consistency"] == 0.0
    assert out.terms["confidence_penalty"] == 0.0
    assert out.terms["entropy"] == 0.0


# --- masking ---------------------------------------------------------------------------------


def _all_terms_loss() -> BoundaryAwareCrossEntropy:
    return BoundaryAwareCrossEntropy(
        class_weights=torch.tensor([0.8, 1.6]),
        label_smoothing=0.1,
        boundary_weight=2.0,
        segment_consistency_lambda=0.3,
        conf_penalty_lambda=0.4,
        conf_threshold=0.6,
        entropy_lambda=0.05,
    )


@pytest.mark.parametrize(
    ("pad_logits", "pad_label"),
    [((5.0, -7.0), 0), ((-3.0, 40.0), 1), ((math.nan, math.inf), 7), ((-math.inf, 0.0), PAD)],
)
def test_padding_changes_neither_loss_nor_gradients(pad_logits, pad_label):
    loss_fn = _all_terms_loss()
    logits, labels, mask = _batch()
    reference = loss_fn(logits, labels, mask)
    reference.total.backward()

    changed_logits = logits.detach().clone()
    changed_logits[1, 3] = torch.tensor(pad_logits)
    changed_logits.requires_grad_(True)
    changed_labels = labels.clone()
    changed_labels[1, 3] = pad_label
    changed = loss_fn(changed_logits, changed_labels, mask)
    changed.total.backward()

    assert changed.total.item() == reference.total.item()
    assert changed.terms == reference.terms
    assert torch.equal(changed_logits.grad, logits.grad)
    assert torch.equal(changed_logits.grad[1, 3], torch.zeros(2))


def test_padded_batch_matches_torch_cross_entropy_on_real_lines_only():
    weights = torch.tensor([0.7, 1.9])
    loss_fn = BoundaryAwareCrossEntropy(class_weights=weights, label_smoothing=0.15)
    logits, labels, mask = _batch()
    expected = F.cross_entropy(
        logits[mask], labels[mask], weight=weights, label_smoothing=0.15
    )
    assert loss_fn(logits, labels, mask).total.item() == pytest.approx(expected.item(), rel=1e-6)


# --- boundary weighting ----------------------------------------------------------------------


def test_boundary_weight_lands_exactly_where_the_gold_label_changes():
    # With uniform predictions each line's logit gradient is proportional to its weight, so the
    # gradient pattern reveals the weights. Padding (labels 1 there) never counts as a boundary,
    # nor does a song's first line.
    logits = torch.zeros(2, 5, 2, requires_grad=True)
    labels = torch.tensor([[0, 0, 1, 1, 0], [1, 0, 0, 1, 1]])
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    BoundaryAwareCrossEntropy(boundary_weight=3.0)(logits, labels, mask).total.backward()
    line_gradient = logits.grad[..., 0].abs()
    relative_weight = line_gradient / line_gradient[0, 0]
    expected = torch.tensor([[1.0, 1.0, 3.0, 1.0, 3.0], [1.0, 3.0, 1.0, 0.0, 0.0]])
    torch.testing.assert_close(relative_weight, expected)


def test_boundary_weight_one_is_plain_weighted_cross_entropy():
    logits, labels, mask = _batch()
    plain = BoundaryAwareCrossEntropy()(logits, labels, mask).total
    expected = F.cross_entropy(logits[mask], labels[mask])
    assert plain.item() == pytest.approx(expected.item(), rel=1e-6)


# --- class weights ---------------------------------------------------------------------------


def test_class_weights_are_balanced_inverse_frequency_without_cap():
    # 4 verse lines, 1 chorus line: N / (K n_c) = 5/8 and 5/2.
    weights = class_weights_from_labels([[0, 0, 0], [0, 1]], cap=10.0)
    torch.testing.assert_close(weights, torch.tensor([5 / 8, 5 / 2]))
    assert weights.dtype == torch.float32


def test_class_weights_cap_limits_the_ratio_and_keep_mean_one_over_lines():
    # Raw 1/4 and 1/1, capped to 1/4 and 2/4, scaled by N / sum(n r) = 5 / 1.5.
    weights = class_weights_from_labels([[0, 0, 0], [0, 1]], cap=2.0)
    torch.testing.assert_close(weights, torch.tensor([5 / 6, 5 / 3]))
    assert (weights[1] / weights[0]).item() == pytest.approx(2.0)
    assert ((4 * weights[0] + 1 * weights[1]) / 5).item() == pytest.approx(1.0)


def test_class_weights_cap_of_one_gives_equal_weights():
    weights = class_weights_from_labels([[0, 0, 0, 1]], cap=1.0)
    torch.testing.assert_close(weights, torch.tensor([1.0, 1.0]))


def test_class_without_lines_gets_the_capped_maximum_weight():
    weights = class_weights_from_labels([[0, 0], [0]], cap=5.0)
    torch.testing.assert_close(weights, torch.tensor([1.0, 5.0]))
    weights = class_weights_from_labels([[1, 1, 1]], cap=3.0)
    torch.testing.assert_close(weights, torch.tensor([3.0, 1.0]))


def test_class_weights_reject_out_of_range_labels_naming_the_place():
    expected = r"label 3 at song 1, line 2 \(0-based\) is outside \[0, 2\)"
    with pytest.raises(ValueError, match=expected):
        class_weights_from_labels([[0, 1], [1, 0, 3]], cap=2.0)
    with pytest.raises(ValueError, match=r"label -1 at song 0, line 0"):
        class_weights_from_labels([[-1]], cap=2.0)


@pytest.mark.parametrize("sequences", [[], [[], []]])
def test_class_weights_need_at_least_one_line(sequences):
    with pytest.raises(ValueError, match="hold no lines"):
        class_weights_from_labels(sequences, cap=2.0)


@pytest.mark.parametrize("cap", [0.5, math.inf, math.nan])
def test_class_weights_reject_a_bad_cap(cap):
    with pytest.raises(ValueError, match="cap must be a finite number >= 1"):
        class_weights_from_labels([[0, 1]], cap=cap)


# --- config and factory ----------------------------------------------------------------------


def test_plain_cross_entropy_config_equals_torch_cross_entropy():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 2, generator=generator, requires_grad=True)
    labels = torch.randint(0, 2, (3, 6), generator=generator)
    mask = torch.ones(3, 6, dtype=torch.bool)
    weights = torch.tensor([0.7, 1.9])
    config = LossConfig(
        type="cross_entropy",
        label_smoothing=0.15,
        boundary_weight=4.0,
        segment_consistency_lambda=1.0,
        conf_penalty_lambda=1.0,
        entropy_lambda=1.0,
    )
    out = build_loss(config, class_weights=weights)(logits, labels, mask)
    (grad,) = torch.autograd.grad(out.total, logits)

    expected = F.cross_entropy(
        logits.reshape(-1, 2), labels.reshape(-1), weight=weights, label_smoothing=0.15
    )
    (expected_grad,) = torch.autograd.grad(expected, logits)
    assert out.total.item() == pytest.approx(expected.item(), rel=1e-6)
    torch.testing.assert_close(grad, expected_grad)
    assert out.terms["segment_consistency"] == out.terms["confidence_penalty"] == 0.0
    assert out.terms["entropy"] == 0.0


def test_build_loss_passes_every_option_for_boundary_aware_type():
    config = LossConfig(
        label_smoothing=0.05,
        boundary_weight=3.0,
        segment_consistency_lambda=0.1,
        conf_penalty_lambda=0.2,
        conf_threshold=0.8,
        entropy_lambda=0.3,
    )
    loss_fn = build_loss(config, class_weights=torch.tensor([0.5, 2.0]))
    assert (
        loss_fn.label_smoothing,
        loss_fn.boundary_weight,
        loss_fn.segment_consistency_lambda,
        loss_fn.conf_penalty_lambda,
        loss_fn.conf_threshold,
        loss_fn.entropy_lambda,
    ) == (0.05, 3.0, 0.1, 0.2, 0.8, 0.3)
    assert loss_fn.class_weights.tolist() == [0.5, 2.0]
    assert "class_weights" in loss_fn.state_dict()


def test_build_loss_requires_class_weights_to_match_the_config():
    with pytest.raises(ValueError, match="config.class_weights is true but no class_weights"):
        build_loss(LossConfig(class_weights=True), class_weights=None)
    with pytest.raises(ValueError, match="class_weights were given but config.class_weights"):
        build_loss(LossConfig(class_weights=False), class_weights=torch.ones(2))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", "focal", "must be one of 'boundary_aware_cross_entropy', 'cross_entropy'"),
        ("label_smoothing", 0.5, r"must be in \[0, 0.5\), got 0.5"),
        ("label_smoothing", -0.1, r"must be in \[0, 0.5\)"),
        ("boundary_weight", 0.5, "must be a finite number >= 1"),
        ("segment_consistency_lambda", -1.0, "must be a finite number >= 0"),
        ("conf_penalty_lambda", math.nan, "must be a finite number >= 0"),
        ("entropy_lambda", math.inf, "must be a finite number >= 0"),
        ("conf_threshold", 0.5, r"must be in \(0.5, 1\]"),
        ("conf_threshold", 1.01, r"must be in \(0.5, 1\]"),
        ("class_weight_cap", 0.9, "must be a finite number >= 1"),
    ],
)
def test_loss_config_rejects_out_of_range_values(field, value, message):
    with pytest.raises(InputError, match=message) as caught:
        LossConfig(**{field: value})
    assert caught.value.key == f"loss.{field}"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"label_smoothing": 1.0}, r"label_smoothing must be in \[0, 1\)"),
        ({"boundary_weight": 0.0}, "boundary_weight must be a finite number >= 1"),
        ({"entropy_lambda": -0.1}, "entropy_lambda must be a finite number >= 0"),
        ({"conf_threshold": 0.4}, r"conf_threshold must be in \(0.5, 1\]"),
        ({"class_weights": torch.ones(3)}, r"class_weights must have shape \(2,\), got \(3,\)"),
        ({"class_weights": torch.tensor([1.0, 0.0])}, "class_weights must be finite and > 0"),
    ],
)
def test_module_rejects_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        BoundaryAwareCrossEntropy(**options)


@pytest.mark.parametrize(
    ("logits_shape", "labels", "mask", "message"),
    [
        ((2, 3, 3), torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool),
         r"logits must have shape \(batch, time, 2\), got \(2, 3, 3\)"),
        ((2, 3, 2), torch.zeros(2, 4, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool),
         r"labels \(2, 4\) and mask \(2, 3\) must both have shape"),
        ((2, 3, 2), torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3),
         "mask must be a bool tensor"),
        ((2, 3, 2), torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool),
         "labels must be an integer tensor"),
    ],
)
def test_forward_rejects_mismatched_inputs(logits_shape, labels, mask, message):
    with pytest.raises(ValueError, match=message):
        BoundaryAwareCrossEntropy()(torch.zeros(logits_shape), labels, mask)


# --- non-finite values and gradients ---------------------------------------------------------


def test_nan_logits_on_a_real_line_raise_non_finite_loss_error():
    logits, labels, mask = _batch()
    logits = logits.detach().clone()
    logits[0, 1, 0] = math.nan
    with pytest.raises(NonFiniteLossError, match="term cross_entropy .*went non-finite") as caught:
        _all_terms_loss()(logits, labels, mask)
    assert isinstance(caught.value, RuntimeError)
    assert math.isnan(caught.value.terms["cross_entropy"])
    restored = pickle.loads(pickle.dumps(caught.value))
    assert str(restored) == str(caught.value) and set(restored.terms) == set(caught.value.terms)


def test_overflowing_sum_of_finite_terms_raises_non_finite_loss_error():
    # Each term stays below float32's maximum (3.4e38); their sum does not.
    logits = torch.tensor([[[30.0, -30.0], [-30.0, 30.0]]])
    loss_fn = BoundaryAwareCrossEntropy(
        segment_consistency_lambda=3e38, conf_penalty_lambda=3e38, conf_threshold=0.51
    )
    with pytest.raises(NonFiniteLossError, match="the finite terms summed to inf"):
        loss_fn(logits, torch.tensor([[0, 0]]), torch.tensor([[True, True]]))


def test_gradients_reach_the_model_parameters():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    features = torch.randn(2, 4, 4)
    _, labels, mask = _batch()
    out = _all_terms_loss()(model(features), labels, mask)
    out.total.backward()
    assert out.total.requires_grad and out.total.dim() == 0
    for parameter in model.parameters():
        assert parameter.grad is not None
        assert torch.isfinite(parameter.grad).all() and parameter.grad.abs().sum() > 0


def test_low_precision_logits_give_a_float32_loss():
    logits, labels, mask = _batch()
    out = BoundaryAwareCrossEntropy()(logits.detach().bfloat16(), labels, mask)
    assert out.total.dtype == torch.float32


def test_batch_without_real_lines_has_zero_loss():
    logits = torch.randn(2, 3, 2, requires_grad=True)
    mask = torch.zeros(2, 3, dtype=torch.bool)
    out = _all_terms_loss()(logits, torch.full((2, 3), PAD), mask)
    out.total.backward()
    assert out.total.item() == 0.0
    assert torch.equal(logits.grad, torch.zeros(2, 3, 2))


def test_confidence_threshold_of_one_never_penalises():
    logits = torch.tensor([[[0.0, 50.0], [0.0, 0.0]]])
    loss_fn = BoundaryAwareCrossEntropy(conf_penalty_lambda=1.0, conf_threshold=1.0)
    out = loss_fn(logits, torch.tensor([[1, 0]]), torch.tensor([[True, True]]))
    assert out.terms["confidence_penalty"] == 0.0
