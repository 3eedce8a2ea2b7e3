"""Learning-rate schedules: linear warm-up, then constant, cosine, cosine restarts or plateau."""

from __future__ import annotations

import math

__all__ = ["LearningRateSchedule"]


class LearningRateSchedule:
    """Learning rate as a function of fractional epoch, set on the optimizer every step.

    ``lr(t) = max(min_lr, base_lr · warm(t) · shape(t) · plateau)`` where ``warm`` rises linearly
    from ``warmup_start_factor`` to 1 over ``warmup_epochs`` (so the first step is never at
    lr 0), ``shape`` is 1 (none, plateau), ``½(1 + cos(π·min(1, t'/T)))`` (cosine, ``t'`` counted
    after warm-up, ``T = cosine_t_max − warmup``), or the same restarted every
    ``restart_period`` epochs (cosine_restarts, SGDR); ``plateau`` is multiplied by
    ``plateau_factor`` each time the selection metric has not improved for ``plateau_patience``
    epochs.

    Example:
        >>> from segmodel.config import TrainingConfig
        >>> s = LearningRateSchedule(TrainingConfig(learning_rate=1.0, warmup_epochs=1,
        ...     warmup_start_factor=0.1, scheduler="cosine", max_epochs=11, min_learning_rate=0))
        >>> round(s.learning_rate(0.0), 3), s.learning_rate(1.0), round(s.learning_rate(6.0), 3)
        (0.1, 1.0, 0.5)
    """

    def __init__(self, training) -> None:  # training: segmodel.config.TrainingConfig
        self.config = training
        self.plateau_scale = 1.0
        self._best: float | None = None
        self._stale_epochs = 0

    def learning_rate(self, epoch: float) -> float:
        c = self.config
        warm = 1.0
        if c.warmup_epochs > 0 and epoch < c.warmup_epochs:
            warm = c.warmup_start_factor + (1 - c.warmup_start_factor) * epoch / c.warmup_epochs
        after = max(0.0, epoch - c.warmup_epochs)
        shape = 1.0
        if c.scheduler == "cosine":
            horizon = max(1e-9, (c.cosine_t_max or c.max_epochs) - c.warmup_epochs)
            shape = 0.5 * (1 + math.cos(math.pi * min(1.0, after / horizon)))
        elif c.scheduler == "cosine_restarts":
            shape = 0.5 * (1 + math.cos(math.pi * (after % c.restart_period) / c.restart_period))
        floor = min(c.min_learning_rate, c.learning_rate)
        return max(floor, c.learning_rate * warm * shape * self.plateau_scale)

    def end_epoch(self, selection_value: float, *, higher_is_better: bool) -> None:
        """Feed the epoch's selection metric (only the plateau schedule uses it)."""
        if self.config.scheduler != "plateau":
            return
        value = selection_value if higher_is_better else -selection_value
        if self._best is None or value > self._best:
            self._best, self._stale_epochs = value, 0
            return
        self._stale_epochs += 1
        if self._stale_epochs >= self.config.plateau_patience:
            self.plateau_scale *= self.config.plateau_factor
            self._stale_epochs = 0
