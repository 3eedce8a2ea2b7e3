"""Training loss for the line tagger.

:class:`BoundaryAwareCrossEntropy` is class-weighted, label-smoothed cross-entropy with extra
weight on the lines where the gold label changes, plus optional regularisers against flicker
inside segments and against over-confidence. :func:`build_loss` makes it from a
:class:`LossConfig`; :func:`class_weights_from_labels` derives the class weights from the
training labels.

Example:
    >>> import torch
    >>> config = LossConfig()
    >>> weights = class_weights_from_labels([[0, 0, 1, 1, 0]], cap=config.class_weight_cap)
    >>> loss_fn = build_loss(config, class_weights=weights)
    >>> labels = torch.tensor([[0, 0, 1, 1, 0]])
    >>> out = loss_fn(torch.zeros(1, 5, 2), labels, torch.ones(1, 5, dtype=torch.bool))
    >>> sorted(out.terms)
    ['confidence_penalty', 'cross_entropy', 'entropy', 'segment_consistency']
"""

from segmodel.loss._boundary_aware import (
    BoundaryAwareCrossEntropy,
    LossOutput,
    NonFiniteLossError,
    build_loss,
)
from segmodel.loss._class_weights import class_weights_from_labels
from segmodel.loss._config import LOSS_TYPES, LossConfig

__all__ = [
    "LOSS_TYPES",
    "BoundaryAwareCrossEntropy",
    "LossConfig",
    "LossOutput",
    "NonFiniteLossError",
    "build_loss",
    "class_weights_from_labels",
]
