"""Post-hoc calibration of chorus probabilities (fitted on validation after training)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

__all__ = ["Calibrator", "fit_calibrator"]


@dataclass(frozen=True)
class Calibrator:
    """Maps the logit margin ``z = logit_chorus − logit_verse`` to a chorus probability.

    ``p = σ(a·z + b)``: temperature scaling (Guo et al. 2017) is ``a = 1/T, b = 0``; Platt
    scaling fits both. ``method="none"`` is ``a = 1, b = 0``, i.e. the plain softmax.
    """

    method: str = "none"
    scale: float = 1.0
    bias: float = 0.0

    def chorus_probability(self, logits: torch.Tensor) -> torch.Tensor:
        margin = logits[..., 1] - logits[..., 0]
        return torch.sigmoid(self.scale * margin + self.bias)

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


def fit_calibrator(method: str, margins: torch.Tensor, labels: torch.Tensor) -> Calibrator:
    """Fit ``method`` (none, temperature, platt) by minimising the NLL on ``(margins, labels)``.

    Args:
        margins: 1-D logit margins of the real (unpadded) validation lines.
        labels: 1-D gold labels (0/1) of the same lines.
    """
    if method == "none" or margins.numel() == 0:
        return Calibrator()
    margins = margins.detach().double()
    targets = labels.double()
    # Optimise log-scale so the temperature stays positive.
    log_scale = torch.zeros((), dtype=torch.double, requires_grad=True)
    bias = torch.zeros((), dtype=torch.double, requires_grad=method == "platt")
    params = [log_scale, bias] if method == "platt" else [log_scale]
    optimizer = torch.optim.LBFGS(params, lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            log_scale.exp() * margins + bias, targets
        )
        loss.backward()
        return loss

    optimizer.step(closure)
    return Calibrator(method=method, scale=log_scale.exp().item(), bias=bias.item())
