"""Early stopping on the selection metric."""

from __future__ import annotations

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Stop after ``patience`` epochs without an improvement larger than ``min_delta``.

    An epoch improves when ``value > best + min_delta`` (maximised metrics) or
    ``value < best − min_delta`` (minimised). Unlike the original project's check, the best value
    is only replaced by a real improvement, so slow drift below ``min_delta`` still counts as
    stale and stopping does trigger.

    Example:
        >>> stop = EarlyStopping(patience=2, min_delta=0.01, higher_is_better=True)
        >>> [stop.update(v) for v in (0.50, 0.505, 0.508, 0.60)]
        [True, False, False, True]
        >>> stop.should_stop
        False
    """

    def __init__(self, *, patience: int, min_delta: float, higher_is_better: bool) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.higher_is_better = higher_is_better
        self.best: float | None = None
        self.stale_epochs = 0

    def update(self, value: float) -> bool:
        """Record an epoch's value; return True when it is a new best."""
        signed = value if self.higher_is_better else -value
        if self.best is None or signed > self.best + self.min_delta:
            self.best, self.stale_epochs = signed, 0
            return True
        self.stale_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.stale_epochs >= self.patience
