"""Draw every figure of a study and write its report page."""

from __future__ import annotations

import io
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from matplotlib import style
from matplotlib.figure import Figure
from optuna.trial import TrialState

from runner._report._data import summarize_data
from runner._report._html import ReportFigure, build_html
from runner._report._importance import EVALUATOR_NAME, ObjectiveImportance, objective_importances
from runner._report._plots import (
    NothingToPlot,
    history_figure,
    hypervolume_figure,
    hypervolume_reference_point,
    importance_figure,
    is_feasible,
    learning_curves_figure,
    parallel_coordinates_figure,
    pareto_figure,
    slice_figure,
    timeline_figure,
)
from runner._spec import StudySpec
from segmodel.atomic import atomic_path, write_text_atomic

__all__ = ["render_report"]

logger = logging.getLogger(__name__)

PLOTS_DIR = "plots"
REPORT_FILE = "report.html"
DPI = 110
MAX_SHOWN_PARAMS = 4
STYLE = "ggplot"  # Optuna's figures use it; ours match them


@dataclass(frozen=True)
class _Plot:
    name: str
    title: str
    caption: str
    draw: Callable[[], Figure]
    svg: bool = False


def render_report(spec: StudySpec, study: optuna.Study, results: dict[str, Any]) -> Path:
    """Draw the study's plots into ``results/<study>/plots/`` and write ``report.html``.

    ``results`` is what :func:`runner.write_exports` returned for ``study``: the page shows its
    numbers, and the plots mark its best trial and Pareto front, so page, plots and
    ``hyperopt_results.json`` agree. A figure that cannot be drawn yet (no complete trial, one
    objective for a Pareto front) is replaced by a line saying why; one that fails is logged and
    replaced the same way, never stopping the report. Every file is written atomically.

    Returns:
        The path of ``report.html``.

    Example:
        >>> from runner import load_spec, open_study, write_exports  # doctest: +SKIP
        >>> spec = load_spec("specs/quickstart.yaml")  # doctest: +SKIP
        >>> study = open_study(spec)  # doctest: +SKIP
        >>> render_report(spec, study, write_exports(spec, study)).name  # doctest: +SKIP
        'report.html'
    """
    started = time.perf_counter()
    importances = objective_importances(spec, study)
    plots_dir = spec.results_dir / PLOTS_DIR
    with warnings.catch_warnings(), style.context(STYLE):
        # Optuna's matplotlib plots are experimental and say so on every call.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        # Early in a study an axis can span a single value (one duration, one parameter value);
        # matplotlib widens it and says so.
        warnings.filterwarnings("ignore", message="Attempting to set identical", category=UserWarning)
        figures = [_draw(plot, plots_dir) for plot in _plots(spec, study, results, importances)]
    page = build_html(spec, results, figures=figures, importances=importances, data=summarize_data(spec),
                      generated_at=datetime.now().isoformat(timespec="seconds"))
    target = spec.results_dir / REPORT_FILE
    write_text_atomic(target, page)
    logger.debug("report %s written in %.1f s", target, time.perf_counter() - started)
    return target


def _plots(spec: StudySpec, study: optuna.Study, results: dict[str, Any],
           importances: list[ObjectiveImportance]) -> list[_Plot]:
    trials = study.get_trials(deepcopy=False)
    best = results["best_trial"]
    primary = spec.primary.metric
    plots = [_Plot(
        "history", f"Optimisation history: {primary}",
        "Every trial's primary value in trial order with the best feasible value so far. Pruned trials sit "
        "at the value of the epoch they were stopped after; failed trials are crosses along the bottom edge.",
        lambda: history_figure(spec, trials, best_number=best), svg=True,
    )]
    if len(spec.objectives) > 1:
        front = {p["number"] for p in results["pareto_front"]}
        plots.append(_Plot(
            "pareto", "Pareto front",
            "Blue: Pareto-optimal feasible trials (connected for two objectives), grey: dominated, red crosses: "
            "constraint-infeasible. The star is the Pareto-optimal trial with the best primary value, "
            "exported as best_config.yaml.",
            lambda: pareto_figure(spec, trials, front_numbers=front, best_number=best), svg=True,
        ))
        plots.append(_hypervolume_plot(spec, study, trials))
    plots.append(_Plot(
        "learning_curves", f"Learning curves: {primary} per epoch",
        "One line per trial, coloured by how it ended; pruned trials end at the cross where the pruner stopped "
        "them, the best trial is the thick black line. Trials that stop early cost only the epochs drawn.",
        lambda: learning_curves_figure(spec, trials, best_number=best), svg=True,
    ))
    for importance in importances:
        plots.append(_Plot(
            f"importance_{importance.metric}", f"Parameter importance for {importance.metric}",
            f"{EVALUATOR_NAME} importance of each parameter for reaching the best trials "
            f"({importance.direction}d metric handled as such)."
            + (f" Caution: {importance.caveat}." if importance.caveat else ""),
            lambda importance=importance: importance_figure(spec, study, importance),
        ))
    shown = _most_important(spec, importances[0])
    plots.append(_Plot(
        "parallel_coordinates", "Parallel coordinates",
        f"Each line is a complete trial through its values of the {len(shown)} most important parameters; "
        f"the colour is its {primary}.",
        lambda: parallel_coordinates_figure(spec, study, shown),
    ))
    plots.append(_Plot(
        "slice", "Slice plots",
        f"{primary} against each of the most important parameters, one dot per complete trial.",
        lambda: slice_figure(spec, study, shown),
    ))
    plots.append(_Plot(
        "timeline", "Trial timeline",
        "When each trial ran and how it ended: where the study's time went.",
        lambda: timeline_figure(study),
    ))
    return plots


def _hypervolume_plot(spec: StudySpec, study: optuna.Study, trials) -> _Plot:
    feasible = np.array([t.values for t in trials if t.state == TrialState.COMPLETE and is_feasible(t)])
    caption = ("Hypervolume dominated by the feasible Pareto front after each trial; it grows when a trial "
               "extends the front.")
    if len(feasible):
        reference = hypervolume_reference_point(feasible, spec.directions)
        caption += (" Reference point: the worst feasible value of each objective, pushed 10% of its range "
                    "further (" + ", ".join(f"{o.metric} = {r:.4g}" for o, r in
                                             zip(spec.objectives, reference, strict=True)) + ").")

    def draw() -> Figure:
        if not len(feasible):
            raise NothingToPlot("no feasible complete trial yet")
        return hypervolume_figure(spec, study, reference=reference)

    return _Plot("hypervolume", "Hypervolume history", caption, draw)


def _most_important(spec: StudySpec, importance: ObjectiveImportance) -> list[str]:
    """The primary objective's most important parameters (search-space order without a ranking)."""
    if importance.importances:
        return list(importance.importances)[:MAX_SHOWN_PARAMS]
    return [p.name for p in spec.search_space][:MAX_SHOWN_PARAMS]


def _draw(plot: _Plot, directory: Path) -> ReportFigure:
    try:
        figure = plot.draw()
    except NothingToPlot as reason:
        _remove_stale(directory, plot.name)
        return ReportFigure(plot.name, plot.title, plot.caption, missing=str(reason))
    except Exception as error:  # one broken figure must not cost the whole report
        logger.warning("plot %s could not be drawn: %s", plot.name, error, exc_info=logger.isEnabledFor(logging.DEBUG))
        _remove_stale(directory, plot.name)
        return ReportFigure(plot.name, plot.title, plot.caption, missing=f"{type(error).__name__}: {error}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    png = buffer.getvalue()
    with atomic_path(directory / f"{plot.name}.png") as temporary:
        temporary.write_bytes(png)
    if plot.svg:
        with atomic_path(directory / f"{plot.name}.svg") as temporary:
            figure.savefig(temporary, format="svg", bbox_inches="tight")
    return ReportFigure(plot.name, plot.title, plot.caption, png=png)


def _remove_stale(directory: Path, name: str) -> None:
    """A figure that is not drawn now must not survive from an earlier report."""
    for suffix in (".png", ".svg"):
        (directory / f"{name}{suffix}").unlink(missing_ok=True)
