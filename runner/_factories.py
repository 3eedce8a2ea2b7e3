"""Optuna samplers and pruners built from a spec's ``study.sampler`` / ``study.pruner``.

Every option is passed explicitly, so a spec means the same thing under a later Optuna whose
defaults moved (Optuna 5 turned TPE's ``constant_liar`` on; the spec keeps it off unless asked).

Notes on Optuna 5 that these factories rely on:

- Constraints: the objective records them with ``trial.set_constraint(name, value)`` (value
  ``<= 0`` = feasible). TPE, GP, NSGA-II and NSGA-III read ``trial.constraints`` on their own, so
  no ``constraints_func`` is passed (it is deprecated since 5.0). Random, grid, QMC and CMA-ES
  sample without looking at constraints; feasibility still decides the study's best trials.
- TPE: ``multivariate`` is pinned (true by default, also with several objectives, where Optuna on
  its own would fall back to independent TPE); ``group`` needs ``multivariate``.
- CMA-ES optimises one objective and has no restart strategies any more (``load_spec`` refuses
  both). GridSampler gets every parameter's values (see :func:`grid_search_space`).
- Pruners count epochs as steps (the objective reports epoch 1, 2, ...): the median pruner's
  warm-up defaults to ``budget.epochs.min``; successive halving's first rung and hyperband's
  minimum resource are ``budget.epochs.min``, hyperband's maximum ``budget.epochs.max``.
  ``Trial.report`` raises in multi-objective studies, so there Optuna's pruner never runs and
  the median options are applied by segrun itself to the primary objective.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "spec.yaml").write_text('''
    ... study: {name: demo, seed: 7, sampler: {type: tpe}, pruner: {type: hyperband}}
    ... base: {}
    ... search_space: {model.num_layers: {type: int, low: 1, high: 3}}
    ... budget: {n_trials: 10, epochs: {min: 2, max: 18}}
    ... ''')
    >>> from runner._spec import load_spec
    >>> spec = load_spec(folder / "spec.yaml")
    >>> type(build_sampler(spec)).__name__, type(build_pruner(spec)).__name__
    ('TPESampler', 'HyperbandPruner')
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

import optuna

from runner._search_space import grid_search_space

if TYPE_CHECKING:
    from runner._spec import StudySpec

__all__ = ["CONSTRAINED_SAMPLERS", "build_pruner", "build_sampler"]

logger = logging.getLogger(__name__)

CONSTRAINED_SAMPLERS = frozenset({"tpe", "gp", "nsga2", "nsga3"})
"""Sampler types that steer away from infeasible trials (those that break ``constraints``)."""


def build_sampler(spec: StudySpec) -> optuna.samplers.BaseSampler:
    """The sampler ``spec.sampler`` describes, seeded with ``spec.seed``."""
    # A spec names experimental options (TPE's group, QMC, NSGA-III) on purpose and the README
    # says which are experimental; Optuna's warning on every start would only be noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _build_sampler(spec)


def _build_sampler(spec: StudySpec) -> optuna.samplers.BaseSampler:
    options = {k: v for k, v in spec.sampler.items() if k not in {"type", "selected_by"}}
    kind, seed = spec.sampler["type"], spec.seed
    if spec.constraints and kind not in CONSTRAINED_SAMPLERS:
        logger.warning(
            "the %s sampler does not use constraints to guide sampling; they still decide which "
            "trials are feasible (use tpe, gp, nsga2 or nsga3 to avoid infeasible regions)",
            kind,
        )
    if kind == "tpe":
        return optuna.samplers.TPESampler(
            seed=seed,
            multivariate=options["multivariate"],
            group=options["group"],
            constant_liar=options["constant_liar"],
            n_startup_trials=options["n_startup_trials"],
            n_ei_candidates=options["n_ei_candidates"],
        )
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "grid":
        return optuna.samplers.GridSampler(grid_search_space(spec), seed=seed)
    if kind == "qmc":
        return optuna.samplers.QMCSampler(
            qmc_type=options["qmc_type"], scramble=options["scramble"], seed=seed
        )
    if kind == "cmaes":
        return optuna.samplers.CmaEsSampler(n_startup_trials=options["n_startup_trials"], seed=seed)
    if kind == "gp":
        return optuna.samplers.GPSampler(n_startup_trials=options["n_startup_trials"], seed=seed)
    if kind in {"nsga2", "nsga3"}:
        sampler_class = (
            optuna.samplers.NSGAIISampler if kind == "nsga2" else optuna.samplers.NSGAIIISampler
        )
        return sampler_class(
            population_size=options["population_size"],
            mutation_prob=options["mutation_prob"],
            crossover_prob=options["crossover_prob"],
            seed=seed,
        )
    raise ValueError(f"unknown sampler type {kind!r}")


def build_pruner(spec: StudySpec) -> optuna.pruners.BasePruner:
    """The pruner ``spec.pruner`` describes, its resources taken from the epoch budget."""
    options = spec.pruner
    kind = options["type"]
    if kind == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=options["n_startup_trials"],
            n_warmup_steps=options["n_warmup_steps"],
            interval_steps=options["interval_steps"],
        )
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=options["min_resource"],
            max_resource=options["max_resource"],
            reduction_factor=options["reduction_factor"],
        )
    if kind == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=options["min_resource"],
            reduction_factor=options["reduction_factor"],
            min_early_stopping_rate=options["min_early_stopping_rate"],
        )
    if kind == "wilcoxon":
        return optuna.pruners.WilcoxonPruner(
            p_threshold=options["p_threshold"], n_startup_steps=options["n_startup_steps"]
        )
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"unknown pruner type {kind!r}")
