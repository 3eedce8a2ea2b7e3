"""Pruning on the primary objective, for multi-objective studies too.

Optuna's ``Trial.report`` raises in multi-objective studies, so its pruners cannot act there.
segrun records the primary metric per epoch of every multi-objective trial as the user attribute
``segrun.curve`` (single-objective trials report it as Optuna's intermediate values; one storage
write per epoch, not two) and applies the median rule itself: after ``n_startup_trials`` finished trials and from epoch
``n_warmup_steps`` on, a trial whose best primary value so far is worse than the median of the
other trials' best-so-far values at the same epoch is pruned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

__all__ = ["CURVE_ATTR", "PrimaryMedianRule", "primary_curve"]

CURVE_ATTR = "segrun.curve"


def primary_curve(trial: FrozenTrial) -> list[float]:
    """The trial's primary metric per epoch (epoch 1 first; NaN where none was reported).

    Example:
        >>> from optuna.trial import create_trial
        >>> primary_curve(create_trial(value=0.5, intermediate_values={1: 0.2, 3: 0.5}))
        [0.2, nan, 0.5]
        >>> primary_curve(create_trial(values=[0.5, 1.0], user_attrs={CURVE_ATTR: [0.1, 0.5]}))
        [0.1, 0.5]
    """
    curve = trial.user_attrs.get(CURVE_ATTR)
    if curve is not None:
        return list(curve)
    reported = trial.intermediate_values
    return [reported.get(epoch, math.nan) for epoch in range(1, max(reported, default=0) + 1)]


class PrimaryMedianRule:
    """The median stopping rule on a recorded learning curve of the primary objective.

    Example:
        >>> rule = PrimaryMedianRule(maximize=True, n_startup_trials=2, n_warmup_steps=1)
        >>> rule.should_prune([0.2, 0.3], others=[[0.5, 0.6], [0.4, 0.7], [0.1, 0.1]])
        True
    """

    def __init__(
        self, *, maximize: bool, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1
    ) -> None:
        self.maximize = maximize
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = max(1, interval_steps)

    def should_prune(self, curve: Sequence[float], *, others: Sequence[Sequence[float]]) -> bool:
        """Whether a trial with primary values ``curve`` (one per epoch) should stop now."""
        epoch = len(curve)
        # As Optuna's MedianPruner: epochs before n_warmup_steps never prune.
        if epoch < self.n_warmup_steps or (epoch - self.n_warmup_steps) % self.interval_steps:
            return False
        reached = [c[:epoch] for c in others if len(c) >= epoch]
        if len(others) < self.n_startup_trials or not reached:
            return False
        best = np.max if self.maximize else np.min
        mine = float(best(curve))
        median = float(np.median([best(c) for c in reached]))
        return mine < median if self.maximize else mine > median

    def should_prune_trial(self, study: optuna.Study, curve: Sequence[float]) -> bool:
        """Apply the rule against the finished (complete or pruned) trials of ``study``."""
        finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        others = [primary_curve(t) for t in finished]
        return self.should_prune(curve, others=others)
