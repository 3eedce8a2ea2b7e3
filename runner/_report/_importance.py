"""Which parameters mattered, per objective, with the direction of each objective respected.

Optuna 5's default evaluator, PED-ANOVA, asks "which parameters must be set right to land in the
top ``target_quantile`` of trials", and it takes *low* target values as the top whenever a
``target`` is given. A maximised metric is therefore handed over negated; forgetting that ranks
the parameters that make a study *worst*.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import optuna
from optuna.importance import PedAnovaImportanceEvaluator, get_param_importances
from optuna.trial import FrozenTrial, TrialState

from runner._spec import Objective, StudySpec

__all__ = [
    "EVALUATOR_NAME",
    "ObjectiveImportance",
    "importance_evaluator",
    "importance_target",
    "objective_importances",
]

EVALUATOR_NAME = "PED-ANOVA"
TARGET_QUANTILE = 0.1
"""PED-ANOVA's default: importance of reaching the top 10% of trials."""
MIN_COMPLETE_TRIALS = 2
STABLE_TOP_TRIALS = 5
"""Optuna's advice: with fewer trials than this in the top quantile the ranking is rough."""


@dataclass(frozen=True)
class ObjectiveImportance:
    """Importances of the parameters for one objective (empty, with ``reason``, when unknown)."""

    metric: str
    direction: str
    importances: dict[str, float]
    complete_trials: int
    reason: str | None = None

    @property
    def top_trials(self) -> int:
        """How many trials form the top quantile PED-ANOVA compares against all trials."""
        return max(1, math.ceil(TARGET_QUANTILE * self.complete_trials))

    @property
    def caveat(self) -> str | None:
        """A warning to print next to the ranking when it rests on too few top trials."""
        if self.importances and self.top_trials < STABLE_TOP_TRIALS:
            return (
                f"rough: only {self.top_trials} trial(s) in the top {TARGET_QUANTILE:.0%} "
                f"(stable from {STABLE_TOP_TRIALS}, i.e. about "
                f"{math.ceil(STABLE_TOP_TRIALS / TARGET_QUANTILE)} complete trials)"
            )
        return None


def importance_evaluator() -> PedAnovaImportanceEvaluator:
    """The evaluator every importance in a report comes from (named on the plots)."""
    return PedAnovaImportanceEvaluator(target_quantile=TARGET_QUANTILE)


def importance_target(index: int, direction: str) -> Callable[[FrozenTrial], float]:
    """Objective ``index`` as a PED-ANOVA target, where lower is better.

    Example:
        >>> trial = optuna.trial.create_trial(values=[0.8, 0.3])
        >>> importance_target(0, "maximize")(trial), importance_target(1, "minimize")(trial)
        (-0.8, 0.3)
    """
    sign = -1.0 if direction == "maximize" else 1.0
    return lambda trial: sign * trial.values[index]


def objective_importances(spec: StudySpec, study: optuna.Study) -> list[ObjectiveImportance]:
    """Parameter importances for every objective of ``spec``, most important first.

    Only parameters that took at least two different values in the complete trials are
    assessed (a constant has no importance to measure). An objective gets an empty ranking and
    a ``reason`` when fewer than two trials are complete or no parameter varied.

    Example:
        >>> import optuna, tempfile, pathlib
        >>> from runner._spec import load_spec
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "spec.yaml").write_text('''
        ... study: {name: demo}
        ... base: {}
        ... search_space: {model.switch_penalty: {type: float, low: 0, high: 2}}
        ... budget: {n_trials: 4, epochs: {min: 1, max: 2}}
        ... ''')
        >>> spec = load_spec(folder / "spec.yaml")
        >>> study = optuna.create_study(direction="maximize")
        >>> objective_importances(spec, study)[0].reason
        'needs at least 2 complete trials (has 0)'
    """
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    varying = sorted({name for trial in complete for name in trial.params
                      if len({repr(t.params.get(name)) for t in complete}) > 1})
    return [_one_objective(study, index, objective, complete, varying)
            for index, objective in enumerate(spec.objectives)]


def _one_objective(
    study: optuna.Study, index: int, objective: Objective, complete: list[FrozenTrial], varying: list[str]
) -> ObjectiveImportance:
    def empty(reason: str) -> ObjectiveImportance:
        return ObjectiveImportance(objective.metric, objective.direction, {}, len(complete), reason)

    if len(complete) < MIN_COMPLETE_TRIALS:
        return empty(f"needs at least {MIN_COMPLETE_TRIALS} complete trials (has {len(complete)})")
    if not varying:
        return empty("no parameter took two different values in the complete trials")
    with warnings.catch_warnings():
        # The target is negated on purpose for maximised metrics; Optuna warns about any target.
        warnings.simplefilter("ignore", UserWarning)
        ranking = get_param_importances(
            study,
            evaluator=importance_evaluator(),
            params=varying,
            target=importance_target(index, objective.direction),
        )
    return ObjectiveImportance(
        objective.metric, objective.direction, {k: float(v) for k, v in ranking.items()}, len(complete)
    )
