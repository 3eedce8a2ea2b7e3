"""The report's figures, one function per plot, each returning a matplotlib ``Figure``.

Optuna's matplotlib visualizations draw the hypervolume history, parameter importances,
parallel coordinates, slices and the timeline. The optimisation history, the Pareto front and
the learning curves are drawn here because Optuna's versions cannot show what a segrun report
needs (each function says what). A figure that has nothing to show raises
:class:`NothingToPlot` with the reason, which the report prints in its place.

Figures drawn here use the object-oriented API (``Figure()``, no pyplot): no global figure
registry, no GUI backend. Optuna's figures come from pyplot and are closed as soon as they are
taken over, so a long study leaks none.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np
import optuna
from matplotlib import pyplot
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullFormatter
from matplotlib.transforms import blended_transform_factory
from optuna.trial import FrozenTrial, TrialState
from optuna.visualization import matplotlib as optuna_plots

from runner._pruning import primary_curve
from runner._report._importance import (
    EVALUATOR_NAME,
    TARGET_QUANTILE,
    ObjectiveImportance,
    importance_evaluator,
    importance_target,
)
from runner._spec import Objective, StudySpec

__all__ = [
    "NothingToPlot",
    "axis_label",
    "history_figure",
    "hypervolume_figure",
    "hypervolume_reference_point",
    "importance_figure",
    "is_feasible",
    "last_value",
    "learning_curves_figure",
    "parallel_coordinates_figure",
    "pareto_figure",
    "slice_figure",
    "timeline_figure",
]

# Optuna's timeline colours, so a state looks the same in every figure.
STATE_COLORS = {
    TrialState.COMPLETE: "tab:blue",
    TrialState.PRUNED: "tab:orange",
    TrialState.FAIL: "tab:red",
    TrialState.RUNNING: "tab:green",
}
BEST_COLOR = "black"
PICK_COLOR = "gold"
REFERENCE_MARGIN = 0.1
WIDE = (9.0, 4.6)
# Legends sit right of the axes: a cloud of trials leaves no "best" place inside.
OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 8, "framealpha": 0.9}


class NothingToPlot(Exception):
    """The study has nothing this figure could show yet; the message says why."""


def axis_label(objective: Objective) -> str:
    """``val.loss (minimize: lower is better)``."""
    better = "higher" if objective.direction == "maximize" else "lower"
    return f"{objective.metric} ({objective.direction}: {better} is better)"


def is_feasible(trial: FrozenTrial) -> bool:
    """Optuna's rule: every constraint value of the trial is <= 0."""
    return all(value <= 0 for value in trial.constraints.values())


def last_value(trial: FrozenTrial) -> float | None:
    """The primary metric at the last epoch the trial reported (None before its first epoch)."""
    curve = [v for v in primary_curve(trial) if math.isfinite(v)]
    return float(curve[-1]) if curve else None


# -- figures drawn here ------------------------------------------------------------------------


def history_figure(spec: StudySpec, trials: Sequence[FrozenTrial], *, best_number: int | None) -> Figure:
    """Primary objective per trial with the best-so-far line; pruned and failed trials shown.

    Optuna's ``plot_optimization_history`` plots complete trials only: a study that pruned half
    its trials would look half as long as it was.

    Raises:
        NothingToPlot: the study has no trials.
    """
    if not trials:
        raise NothingToPlot("the study has no trials yet")
    primary = spec.primary
    figure = Figure(figsize=WIDE, layout="constrained")
    ax = figure.add_subplot()
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    feasible = [t for t in complete if is_feasible(t)]
    infeasible = [t for t in complete if not is_feasible(t)]
    _scatter(ax, feasible, lambda t: t.values[0], color=STATE_COLORS[TrialState.COMPLETE], s=28,
             label=f"complete ({len(feasible)})", gid="complete", zorder=3)
    _scatter(ax, infeasible, lambda t: t.values[0], color="tab:gray", marker="X", s=36,
             label=f"constraint-infeasible ({len(infeasible)})", gid="infeasible", zorder=3)
    if feasible:
        sign = 1.0 if primary.direction == "maximize" else -1.0
        values = np.array([t.values[0] for t in feasible])
        best_so_far = sign * np.maximum.accumulate(sign * values)
        numbers = [t.number for t in feasible] + [max(t.number for t in trials)]
        ax.step(numbers, [*best_so_far, best_so_far[-1]], where="post", color=BEST_COLOR, lw=1.6,
                label="best so far", gid="best-so-far", zorder=2)
    for state, marker, text in ((TrialState.PRUNED, "v", "pruned: value where it stopped"),
                                (TrialState.RUNNING, "o", "running: latest epoch")):
        reported = [t for t in trials if t.state == state and last_value(t) is not None]
        _scatter(ax, reported, last_value, facecolors="none", edgecolors=STATE_COLORS[state], marker=marker,
                 s=34, lw=1.4, label=f"{text} ({len(reported)})", gid=state.name.lower(), zorder=3)
    # Trials without a value (failed, or pruned before their first epoch) sit on a rug under the
    # axis: visible as such, never mistaken for a score of zero.
    rug = blended_transform_factory(ax.transData, ax.transAxes)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    silent = [t for t in trials if t.state == TrialState.PRUNED and last_value(t) is None]
    for group, marker, color, text in ((failed, "x", STATE_COLORS[TrialState.FAIL], "failed"),
                                       (silent, "v", STATE_COLORS[TrialState.PRUNED], "pruned before epoch 1")):
        if group:
            ax.scatter([t.number for t in group], [0.03] * len(group), transform=rug, marker=marker,
                       color=color, s=40, clip_on=False, label=f"{text} ({len(group)})", gid=text, zorder=4)
    baselines = [t for t in feasible if t.user_attrs.get("segrun.enqueued")]
    _scatter(ax, baselines, lambda t: t.values[0], facecolors="none", edgecolors=BEST_COLOR, marker="D",
             s=90, lw=1.2, label="enqueued baseline", gid="baseline", zorder=4)
    best = next((t for t in complete if t.number == best_number), None)
    if best is not None:
        ax.scatter([best.number], [best.values[0]], marker="*", s=260, color=PICK_COLOR, edgecolors=BEST_COLOR,
                   lw=0.8, zorder=5, gid="best-trial", label=f"best: trial #{best.number}")
    ax.set_xlabel("trial")
    ax.set_ylabel(axis_label(primary))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Optimisation history of {primary.metric}")
    ax.legend(**OUTSIDE)
    return figure


def learning_curves_figure(spec: StudySpec, trials: Sequence[FrozenTrial], *, best_number: int | None) -> Figure:
    """The primary metric per epoch of every trial; pruned curves end with a cross.

    Optuna's ``plot_intermediate_values`` needs ``Trial.report``, which multi-objective studies
    refuse (segrun records ``segrun.curve`` for their trials instead), and cannot emphasise the
    best trial.

    Raises:
        NothingToPlot: no trial has finished an epoch.
    """
    curves = [(t, np.asarray(primary_curve(t), dtype=float)) for t in trials]
    curves = [(t, c) for t, c in curves if c.size]
    if not curves:
        raise NothingToPlot("no trial has finished an epoch yet")
    primary = spec.primary
    figure = Figure(figsize=WIDE, layout="constrained")
    ax = figure.add_subplot()
    counts: dict[TrialState, int] = {}
    pruned_ends = []
    for trial, curve in curves:
        if trial.number == best_number:
            continue
        epochs = np.arange(1, curve.size + 1)
        color = STATE_COLORS.get(trial.state, "tab:gray")
        ax.plot(epochs, curve, color=color, lw=1.1, alpha=0.6, zorder=2)
        counts[trial.state] = counts.get(trial.state, 0) + 1
        if trial.state == TrialState.PRUNED:
            pruned_ends.append((curve.size, curve[-1]))
    if pruned_ends:
        ends = np.array(pruned_ends)
        ax.scatter(ends[:, 0], ends[:, 1], marker="x", color=STATE_COLORS[TrialState.PRUNED], s=36,
                   zorder=3, gid="pruned-ends")
    handles = [Line2D([], [], color=STATE_COLORS[state], lw=1.5, alpha=0.8,
                      marker="x" if state == TrialState.PRUNED else None,
                      label=f"{state.name.lower()} ({counts[state]})"
                      + (": stopped at the cross" if state == TrialState.PRUNED else ""))
               for state in STATE_COLORS if counts.get(state)]
    best = next(((t, c) for t, c in curves if t.number == best_number), None)
    if best is not None:
        trial, curve = best
        (line,) = ax.plot(np.arange(1, curve.size + 1), curve, color=BEST_COLOR, lw=2.8, zorder=4,
                          marker="o", ms=4, gid="best-trial", label=f"best: trial #{trial.number}")
        handles.insert(0, line)
    if spec.budget.epochs_min > 1:
        handles.append(ax.axvline(spec.budget.epochs_min, color="tab:gray", ls=":", lw=1.2,
                                  label=f"pruning may stop trials from epoch {spec.budget.epochs_min}"))
    ax.set_xlim(0.8, spec.budget.epochs_max + 0.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(axis_label(primary))
    first_seed = ", first seed of each" if spec.budget.seeds_per_trial > 1 else ""
    ax.set_title(f"Learning curves: {primary.metric} per epoch, every trial{first_seed}")
    ax.legend(handles=handles, **OUTSIDE)
    return figure


def pareto_figure(
    spec: StudySpec, trials: Sequence[FrozenTrial], *, front_numbers: set[int], best_number: int | None
) -> Figure:
    """Pareto front(s): optimal trials highlighted, dominated faded, the primary pick starred.

    Two objectives give one panel with the front connected; three give the three pairwise
    panels, each highlighting the trials that are Pareto-optimal in all three objectives (a
    projection of a 3-D front is not a curve, so it is not connected). Constraint-infeasible
    complete trials are drawn as grey crosses. Optuna's ``plot_pareto_front`` can neither connect
    the front nor mark the trial whose config segrun exports.

    Args:
        front_numbers: Numbers of the Pareto-optimal trials (``hyperopt_results.json``'s front).
        best_number: The primary-optimal Pareto trial (``best_config.yaml``).

    Raises:
        NothingToPlot: one objective only, or no complete trial.
    """
    objectives = spec.objectives
    if len(objectives) < 2:
        raise NothingToPlot("a Pareto front needs two or more objectives")
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        raise NothingToPlot("no complete trial yet")
    values = np.array([t.values for t in complete], dtype=float)
    optimal = np.array([t.number in front_numbers for t in complete])
    feasible = np.array([is_feasible(t) for t in complete])
    pick = np.array([t.number == best_number for t in complete])
    pairs = list(combinations(range(len(objectives)), 2))
    figure = Figure(figsize=(5.6 * len(pairs) + 2.2 if len(pairs) > 1 else WIDE[0], 5.0), layout="constrained")
    for panel, (i, j) in enumerate(pairs):
        ax = figure.add_subplot(1, len(pairs), panel + 1)
        x, y = values[:, i], values[:, j]
        dominated = feasible & ~optimal
        ax.scatter(x[dominated], y[dominated], color="tab:gray", alpha=0.35, s=26, gid="dominated",
                   label=f"dominated ({dominated.sum()})")
        ax.scatter(x[~feasible], y[~feasible], color="tab:red", alpha=0.6, marker="X", s=40, gid="infeasible",
                   label=f"constraint-infeasible ({(~feasible).sum()})")
        order = np.argsort(x[optimal])
        if len(pairs) == 1 and optimal.sum() > 1:
            ax.plot(x[optimal][order], y[optimal][order], color="tab:blue", lw=1.4, zorder=2)
        ax.scatter(x[optimal], y[optimal], color="tab:blue", edgecolors="white", s=60, zorder=3,
                   gid="pareto-optimal", label=f"Pareto-optimal ({optimal.sum()})")
        if optimal.sum() <= 15:
            for number, px, py in zip(np.array([t.number for t in complete])[optimal], x[optimal], y[optimal],
                                      strict=True):
                ax.annotate(f"#{number}", (px, py), xytext=(4, 4), textcoords="offset points", fontsize=7)
        if pick.any():
            ax.scatter(x[pick], y[pick], marker="*", s=320, color=PICK_COLOR, edgecolors=BEST_COLOR, lw=0.8,
                       zorder=4, gid="primary-pick", label=f"primary pick: trial #{best_number}")
            # Label towards the middle of the panel so the text stays inside the axes.
            right_half = x[pick][0] > np.median(x)
            ax.annotate(
                f"best {objectives[0].metric}\ntrial #{best_number} (best_config.yaml)",
                (x[pick][0], y[pick][0]), xytext=(-14 if right_half else 14, -30), textcoords="offset points",
                ha="right" if right_half else "left", fontsize=8,
                arrowprops={"arrowstyle": "-", "color": BEST_COLOR, "lw": 0.8},
            )
        ax.set_xlabel(axis_label(objectives[i]))
        ax.set_ylabel(axis_label(objectives[j]))
        if panel == len(pairs) - 1:
            ax.legend(**OUTSIDE)
    figure.suptitle("Pareto front" if len(pairs) == 1
                    else f"Pareto-optimal in all {len(objectives)} objectives, pair by pair")
    return figure


# -- figures drawn by Optuna ---------------------------------------------------------------------


def hypervolume_reference_point(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """The reference point of the hypervolume: just worse than every trial in every objective.

    ``r_i = worst_i - s_i * 0.1 * (max_i - min_i)`` with ``s_i = +1`` for a maximised and ``-1``
    for a minimised objective, over the rows of ``values`` (feasible complete trials); when all
    values of an objective tie, the range is taken as 1.

    Example:
        >>> hypervolume_reference_point(np.array([[0.5, 0.2], [0.7, 0.4]]), ["maximize", "minimize"])
        array([0.48, 0.42])
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] != len(directions):
        raise ValueError(f"values must be (trials, {len(directions)}) with one row or more, got {values.shape}")
    signs = np.array([1.0 if d == "maximize" else -1.0 for d in directions])
    worst = np.where(signs > 0, values.min(axis=0), values.max(axis=0))
    spread = np.ptp(values, axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    return worst - signs * REFERENCE_MARGIN * spread


def hypervolume_figure(spec: StudySpec, study: optuna.Study, *, reference: Sequence[float]) -> Figure:
    """Optuna's hypervolume history of the feasible front, the reference point in the title.

    Raises:
        NothingToPlot: one objective only.
    """
    if len(spec.objectives) < 2:
        raise NothingToPlot("hypervolume needs two or more objectives")
    figure = _taken_over(optuna_plots.plot_hypervolume_history(study, list(reference)))
    figure.set_size_inches(*WIDE)
    ax = figure.axes[0]
    _retitle(ax, "Hypervolume history (reference point: "
             + ", ".join(f"{o.metric} {r:.4g}" for o, r in zip(spec.objectives, reference, strict=True)) + ")")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure


def importance_figure(spec: StudySpec, study: optuna.Study, importance: ObjectiveImportance) -> Figure:
    """Optuna's importance bars for one objective, the evaluator and direction named.

    Raises:
        NothingToPlot: the importance could not be computed (its ``reason``).
    """
    if not importance.importances:
        raise NothingToPlot(importance.reason or "no importance")
    index = next(i for i, o in enumerate(spec.objectives) if o.metric == importance.metric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the negated target is intended (see _importance)
        axes = optuna_plots.plot_param_importances(
            study, evaluator=importance_evaluator(), params=list(importance.importances),
            target=importance_target(index, importance.direction), target_name=importance.metric,
        )
    figure = _taken_over(axes)
    figure.set_size_inches(WIDE[0], 1.6 + 0.42 * len(importance.importances))
    _retitle(axes, f"Importance for {importance.metric} ({importance.direction}): {EVALUATOR_NAME}, "
                   f"reaching the top {TARGET_QUANTILE:.0%} of {importance.complete_trials} complete trials")
    return figure


def parallel_coordinates_figure(spec: StudySpec, study: optuna.Study, params: Sequence[str]) -> Figure:
    """Optuna's parallel coordinates of ``params`` against the primary objective; darker is better.

    Raises:
        NothingToPlot: no complete trial or no parameter.
    """
    target = _primary_target(spec, study, params)
    axes = optuna_plots.plot_parallel_coordinate(study, params=list(params), target=target,
                                                 target_name=spec.primary.metric)
    figure = _taken_over(axes)
    if target is not None and spec.primary.direction == "maximize":
        # With a target Optuna always shades low values darkest; a maximised metric is best high.
        for collection in axes.collections:
            if collection.get_array() is not None:
                collection.set_cmap("Blues")
    figure.set_size_inches(max(WIDE[0], 2.0 * (len(params) + 1)), WIDE[1])
    _retitle(axes, f"Parallel coordinates: the {len(params)} most important parameters "
                   f"and {spec.primary.metric} (darker is better)")
    return figure


def slice_figure(spec: StudySpec, study: optuna.Study, params: Sequence[str]) -> Figure:
    """Optuna's slice plots: the primary objective against each of ``params``.

    Raises:
        NothingToPlot: no complete trial or no parameter.
    """
    target = _primary_target(spec, study, params)
    axes = optuna_plots.plot_slice(study, params=list(params), target=target, target_name=spec.primary.metric)
    figure = _taken_over(axes)
    figure.set_size_inches(max(WIDE[0], 3.4 * len(params)), 3.8)
    for ax in figure.axes:
        if ax.get_xscale() == "log":
            ax.xaxis.set_minor_formatter(NullFormatter())  # minor log labels run into each other
    figure.suptitle(f"{spec.primary.metric} against the {len(params)} most important parameters "
                    "(colour: trial number)", fontsize=10)
    return figure


def timeline_figure(study: optuna.Study) -> Figure:
    """Optuna's timeline: when each trial ran, for how long, and how it ended.

    Raises:
        NothingToPlot: the study has no started trial.
    """
    started = [t for t in study.get_trials(deepcopy=False) if t.datetime_start is not None]
    if not started:
        raise NothingToPlot("no trial has started yet")
    figure = _taken_over(optuna_plots.plot_timeline(study))
    figure.set_size_inches(WIDE[0], min(7.0, 2.4 + 0.12 * len(started)))
    _retitle(figure.axes[0], "Trial timeline: duration and outcome of every trial")
    return figure


def _primary_target(spec: StudySpec, study: optuna.Study, params: Sequence[str]) -> Callable | None:
    if not params:
        raise NothingToPlot("no parameter varied")
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        raise NothingToPlot("no complete trial yet")
    # Optuna needs a target for multi-objective studies; for one objective it reads the study's
    # direction itself (and then shades the best trials darkest).
    return (lambda trial: trial.values[0]) if len(spec.objectives) > 1 else None


def _taken_over(axes) -> Figure:
    """The Figure behind Optuna's axes, removed from pyplot's registry (saving still works)."""
    first = axes.flat[0] if isinstance(axes, np.ndarray) else axes
    figure = first.get_figure()
    pyplot.close(figure)
    return figure


def _retitle(ax, title: str) -> None:
    """Replace Optuna's title, wherever Optuna put it."""
    for place in ("left", "center", "right"):
        ax.set_title("", loc=place)
    ax.set_title(title, fontsize=10)


def _scatter(ax, trials: Sequence[FrozenTrial], value: Callable[[FrozenTrial], float | None], **style) -> None:
    if trials:
        ax.scatter([t.number for t in trials], [value(t) for t in trials], **style)
