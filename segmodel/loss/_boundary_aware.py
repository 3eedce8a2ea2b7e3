"""Boundary-aware cross-entropy with segment-consistency and confidence regularisers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from segmodel.loss._config import LossConfig

__all__ = ["BoundaryAwareCrossEntropy", "LossOutput", "NonFiniteLossError", "build_loss"]

NUM_CLASSES = 2
CHORUS = 1


class NonFiniteLossError(RuntimeError):
    """The loss came out NaN or infinite; training cannot go on.

    Attributes:
        terms: Every term's value (as in :attr:`LossOutput.terms`) at the failing batch.
    """

    def __init__(self, message: str, *, terms: dict[str, float] | None = None) -> None:
        super().__init__(message)
        self.terms = dict(terms or {})


@dataclass(frozen=True)
class LossOutput:
    """The loss of one batch.

    Attributes:
        total: Scalar to call ``backward()`` on; the sum of all terms.
        terms: Each term's detached contribution to ``total`` (already multiplied by its
            lambda), keyed ``cross_entropy``, ``segment_consistency``, ``confidence_penalty`` and
            ``entropy``; disabled terms are 0.0. They add up to ``total``.
    """

    total: Tensor
    terms: dict[str, float]


class BoundaryAwareCrossEntropy(nn.Module):
    """Line-tagging loss for padded song batches, with optional regularisers.

    With ``p_i`` the softmax of line ``i``'s logits, ``y_i`` its gold label, ``w`` the class
    weights, ``eps`` the label smoothing, ``K = 2`` classes and sums over *real* lines only
    (``mask`` True; padding never enters any term, its labels are never read and its logits get
    zero gradient):

    * ``cross_entropy = sum_i b_i * sum_k w_k q_ik (-log p_ik) / sum_i b_i w_{y_i}``, where
      ``q_i = (1 - eps) onehot(y_i) + eps / K`` is the smoothed target and ``b_i`` is
      ``boundary_weight`` on a boundary line, 1 elsewhere. A boundary line is the first line of
      a gold segment other than the song's first: ``y_i != y_{i-1}`` with both lines real. Only
      that line is up-weighted, not the last line of the previous segment, as in the original
      project. With ``b = 1`` this is exactly ``torch.nn.functional.cross_entropy(weight=w,
      label_smoothing=eps)``, whose smoothing part weights each class's term by that class's
      weight.
    * ``segment_consistency = segment_consistency_lambda * mean over pairs (i-1, i) of real lines
      with y_{i-1} == y_i of (p_i[chorus] - p_{i-1}[chorus])^2``: penalises flicker inside a
      gold segment, never across a boundary (0 when the batch has no such pair).
    * ``confidence_penalty = conf_penalty_lambda * mean_i relu(max_k p_ik - conf_threshold)``.
    * ``entropy = -entropy_lambda * mean_i H(p_i)`` with ``H(p) = -sum_k p_k log p_k``: minimising
      it raises the entropy of the predictions, the confidence penalty of Pereyra et al. (2017),
      ``loss - beta * H(p)``. The term is <= 0.

    Means are pooled over the whole batch (every real line or pair counts once, whatever song it
    is in). A term whose lambda is 0 is not computed and reports 0.0. A batch without real lines
    has zero loss. Logits are cast to float32 whatever their dtype. Labels on real lines must be
    0 or 1; checking them here would cost a device sync per batch, the data layer does it. Move
    the module with ``.to(device)``: the class weights are a buffer.

    Args:
        class_weights: Per-class weights ``w``, shape ``(2,)``, finite and positive; ``None``
            weights classes equally.
        label_smoothing: ``eps``, in ``[0, 1)``.
        boundary_weight: ``b`` on boundary lines, finite and ``>= 1``.
        segment_consistency_lambda: Weight of the segment-consistency term, ``>= 0``.
        conf_penalty_lambda: Weight of the confidence penalty, ``>= 0``.
        conf_threshold: Highest probability that goes unpenalised, in ``(0.5, 1]``.
        entropy_lambda: Weight of the entropy term, ``>= 0``.

    Raises:
        ValueError: An option is out of range (at construction) or the inputs' shapes or dtypes
            do not fit together (in :meth:`forward`).
        NonFiniteLossError: In :meth:`forward`, when the total is NaN or infinite; the message
            names the non-finite terms (or says that finite terms overflowed in the sum).

    Example:
        >>> loss_fn = BoundaryAwareCrossEntropy(boundary_weight=2.0, entropy_lambda=0.1)
        >>> logits = torch.zeros(1, 3, 2, requires_grad=True)
        >>> out = loss_fn(logits, torch.tensor([[0, 1, -100]]), torch.tensor([[True, True, False]]))
        >>> round(out.terms["cross_entropy"], 4), round(out.terms["entropy"], 4)
        (0.6931, -0.0693)
        >>> out.total.backward()
    """

    class_weights: Tensor

    def __init__(
        self,
        *,
        class_weights: Tensor | None = None,
        label_smoothing: float = 0.0,
        boundary_weight: float = 1.0,
        segment_consistency_lambda: float = 0.0,
        conf_penalty_lambda: float = 0.0,
        conf_threshold: float = 0.95,
        entropy_lambda: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        if not 1.0 <= boundary_weight < math.inf:
            raise ValueError(f"boundary_weight must be a finite number >= 1, got {boundary_weight}")
        lambdas = {
            "segment_consistency_lambda": segment_consistency_lambda,
            "conf_penalty_lambda": conf_penalty_lambda,
            "entropy_lambda": entropy_lambda,
        }
        for name, value in lambdas.items():
            if not 0.0 <= value < math.inf:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if not 0.5 < conf_threshold <= 1.0:
            raise ValueError(f"conf_threshold must be in (0.5, 1], got {conf_threshold}")
        if class_weights is None:
            class_weights = torch.ones(NUM_CLASSES)
        class_weights = class_weights.detach().to(torch.float32).clone()
        if class_weights.shape != (NUM_CLASSES,):
            raise ValueError(
                f"class_weights must have shape ({NUM_CLASSES},), got {tuple(class_weights.shape)}"
            )
        if not bool(torch.isfinite(class_weights).all() and (class_weights > 0).all()):
            raise ValueError(f"class_weights must be finite and > 0, got {class_weights.tolist()}")
        # A buffer follows the module across .to(device) and into its state_dict.
        self.register_buffer("class_weights", class_weights)
        self.label_smoothing = label_smoothing
        self.boundary_weight = boundary_weight
        self.segment_consistency_lambda = segment_consistency_lambda
        self.conf_penalty_lambda = conf_penalty_lambda
        self.conf_threshold = conf_threshold
        self.entropy_lambda = entropy_lambda

    def extra_repr(self) -> str:
        return (
            f"class_weights={self.class_weights.tolist()}, label_smoothing={self.label_smoothing}, "
            f"boundary_weight={self.boundary_weight}, "
            f"segment_consistency_lambda={self.segment_consistency_lambda}, "
            f"conf_penalty_lambda={self.conf_penalty_lambda}, "
            f"conf_threshold={self.conf_threshold}, entropy_lambda={self.entropy_lambda}"
        )

    def forward(self, logits: Tensor, labels: Tensor, mask: Tensor) -> LossOutput:
        """Loss of a padded batch.

        Args:
            logits: ``(batch, time, 2)`` unnormalised scores.
            labels: ``(batch, time)`` integer gold labels, 0 or 1 on real lines; any value on
                padding.
            mask: ``(batch, time)`` bool, True on real lines.
        """
        _check_inputs(logits, labels, mask)
        real = mask.unsqueeze(-1)
        # Zero padded logits and labels first: NaN/inf or out-of-range labels there can then
        # reach neither a term nor a gradient (a 0 * NaN product would).
        logits = torch.where(real, logits.float(), 0.0)
        labels = torch.where(mask, labels, 0).long()
        log_probs = logits.log_softmax(dim=-1)
        probs = log_probs.exp()
        # Pair (i-1, i) of adjacent real lines, for every i >= 1: same gold segment or boundary.
        adjacent_real = mask[:, 1:] & mask[:, :-1]
        same_label = labels[:, 1:] == labels[:, :-1]
        same_segment = adjacent_real & same_label
        starts_segment = torch.zeros_like(mask)
        starts_segment[:, 1:] = adjacent_real & ~same_label
        zero = log_probs.new_zeros(())

        terms = {"cross_entropy": self._cross_entropy(log_probs, labels, mask, starts_segment)}
        terms["segment_consistency"] = zero
        if self.segment_consistency_lambda:
            flicker = (probs[:, 1:, CHORUS] - probs[:, :-1, CHORUS]).square()
            terms["segment_consistency"] = self.segment_consistency_lambda * _masked_mean(
                flicker, same_segment
            )
        terms["confidence_penalty"] = zero
        if self.conf_penalty_lambda:
            excess = (probs.amax(dim=-1) - self.conf_threshold).relu()
            terms["confidence_penalty"] = self.conf_penalty_lambda * _masked_mean(excess, mask)
        terms["entropy"] = zero
        if self.entropy_lambda:
            entropy = -(probs * log_probs).sum(dim=-1)
            terms["entropy"] = -self.entropy_lambda * _masked_mean(entropy, mask)

        stacked = torch.stack(list(terms.values()))
        total = stacked.sum()
        # One device-to-host copy for all logged values and the finiteness check.
        *term_values, total_value = torch.cat([stacked, total.unsqueeze(0)]).tolist()
        values = dict(zip(terms, term_values))
        if not math.isfinite(total_value):
            raise NonFiniteLossError(_non_finite_message(values, total_value), terms=values)
        return LossOutput(total=total, terms=values)

    def _cross_entropy(
        self, log_probs: Tensor, labels: Tensor, mask: Tensor, starts_segment: Tensor
    ) -> Tensor:
        line_weight = torch.where(starts_segment, self.boundary_weight, 1.0) * mask
        classes = torch.arange(NUM_CLASSES, device=labels.device)
        one_hot = (labels.unsqueeze(-1) == classes).to(log_probs.dtype)
        target = one_hot * (1.0 - self.label_smoothing) + self.label_smoothing / NUM_CLASSES
        per_line = -(target * self.class_weights * log_probs).sum(dim=-1)
        normaliser = (line_weight * self.class_weights[labels]).sum()
        tiny = torch.finfo(normaliser.dtype).tiny
        return (line_weight * per_line).sum() / normaliser.clamp_min(tiny)


def build_loss(config: LossConfig, *, class_weights: Tensor | None) -> BoundaryAwareCrossEntropy:
    """The loss module ``config`` describes.

    ``type="cross_entropy"`` keeps only the class weights and the label smoothing (boundary
    weight 1, every lambda 0); ``"boundary_aware_cross_entropy"`` uses every option.

    Args:
        config: The loss section of the training config.
        class_weights: Weights from :func:`~segmodel.loss.class_weights_from_labels` on the
            training labels; given exactly when ``config.class_weights`` is true.

    Raises:
        ValueError: ``class_weights`` given although ``config.class_weights`` is false, or
            missing although it is true.

    Example:
        >>> build_loss(LossConfig(type="cross_entropy", label_smoothing=0.0), class_weights=None)
        Traceback (most recent call last):
        ...
        ValueError: config.class_weights is true but no class_weights were given
        >>> config = LossConfig(class_weights=False, segment_consistency_lambda=0.0)
        >>> build_loss(config, class_weights=None).boundary_weight
        2.0
    """
    if config.class_weights and class_weights is None:
        raise ValueError("config.class_weights is true but no class_weights were given")
    if not config.class_weights and class_weights is not None:
        raise ValueError("class_weights were given but config.class_weights is false")
    if config.type == "cross_entropy":
        return BoundaryAwareCrossEntropy(
            class_weights=class_weights, label_smoothing=config.label_smoothing
        )
    return BoundaryAwareCrossEntropy(
        class_weights=class_weights,
        label_smoothing=config.label_smoothing,
        boundary_weight=config.boundary_weight,
        segment_consistency_lambda=config.segment_consistency_lambda,
        conf_penalty_lambda=config.conf_penalty_lambda,
        conf_threshold=config.conf_threshold,
        entropy_lambda=config.entropy_lambda,
    )


def _check_inputs(logits: Tensor, labels: Tensor, mask: Tensor) -> None:
    if logits.dim() != 3 or logits.shape[-1] != NUM_CLASSES:
        raise ValueError(
            f"logits must have shape (batch, time, {NUM_CLASSES}), got {tuple(logits.shape)}"
        )
    if labels.shape != logits.shape[:2] or mask.shape != logits.shape[:2]:
        raise ValueError(
            f"labels {tuple(labels.shape)} and mask {tuple(mask.shape)} must both have shape "
            f"(batch, time) = {tuple(logits.shape[:2])}"
        )
    if mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor, got {mask.dtype}")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ValueError(f"labels must be an integer tensor, got {labels.dtype}")


def _masked_mean(values: Tensor, keep: Tensor) -> Tensor:
    """Mean of ``values`` where ``keep`` is True; 0 where nothing is kept."""
    return (values * keep).sum() / keep.sum().clamp_min(1)


def _non_finite_message(values: dict[str, float], total: float) -> str:
    bad = [name for name, value in values.items() if not math.isfinite(value)]
    listing = ", ".join(f"{name}={value:.6g}" for name, value in values.items())
    if bad:
        return f"loss is not finite: term {' and '.join(bad)} went non-finite ({listing})"
    return f"loss is not finite: the finite terms summed to {total} ({listing})"
