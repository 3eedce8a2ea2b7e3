"""Report figures: what each plot marks, importance direction handling, files that are real images."""

from __future__ import annotations

import textwrap
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState
from PIL import Image

from runner._exports import pareto_trials, write_exports
from runner._report import render_report
from runner._report._importance import objective_importances
from runner._report._plots import (
    NothingToPlot,
    history_figure,
    hypervolume_reference_point,
    learning_curves_figure,
    pareto_figure,
)
from runner._spec import load_spec

TWO_OBJECTIVES = "[{metric: val.boundary_f1, direction: maximize}, {metric: val.loss, direction: minimize}]"
SPACE = {"training.learning_rate": FloatDistribution(1e-3, 1e-2, log=True),
         "model.switch_penalty": FloatDistribution(0.0, 2.0)}


def make_spec(tmp_path: Path, *, objectives: str = "[{metric: val.boundary_f1, direction: maximize}]",
              constraints: str = ""):
    (tmp_path / "base.yaml").write_text("model: {hidden_dim: 8, num_layers: 1}\n"
                                        "data: {synthetic: {train_songs: 20, val_songs: 6}}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        study: {{name: demo, results_dir: results, sampler: {{type: random}}, pruner: {{type: none}}}}
        base: base.yaml
        search_space:
          training.learning_rate: {{type: float, low: 1.0e-3, high: 1.0e-2, log: true}}
          model.switch_penalty: {{type: float, low: 0.0, high: 2.0}}
        objectives: {objectives}
        budget: {{n_trials: 20, epochs: {{min: 2, max: 4}}}}
        """) + constraints)
    return load_spec(spec)


def add(study: optuna.Study, values=None, *, state=TrialState.COMPLETE, curve=(), infeasible=False,
        enqueued=False, params=None):
    """Add a finished trial as segrun records it (curve, metrics, constraint) to ``study``."""
    number = len(study.trials)
    attrs = {"segrun.curve": list(curve), "segrun.epochs": len(curve)}
    if enqueued:
        attrs["segrun.enqueued"] = True
    if values is not None:
        attrs["segrun.metrics"] = {"val.boundary_f1": values[0], **({"val.loss": values[1]} if len(values) > 1 else {})}
    study.add_trial(optuna.trial.create_trial(
        state=state, values=values, user_attrs=attrs,
        params=params or {"training.learning_rate": 1e-3 * (1 + number % 9),
                          "model.switch_penalty": 0.1 * (number % 20)},
        distributions=SPACE,
        constraints={"val.chorus_rate": 0.2 if infeasible else -0.1},
    ))


def collection(figure, gid: str, panel: int = 0) -> set[tuple[float, float]]:
    found = [c for c in figure.axes[panel].collections if c.get_gid() == gid]
    return {tuple(np.round(point, 6)) for c in found for point in c.get_offsets()}


@pytest.fixture
def two_objective(tmp_path):
    """A constructed study whose front is known by hand.

    (boundary_f1 max, loss min): #0 (.50,.40) #1 (.60,.50) #2 (.55,.30) #3 (.40,.45) #4 (.70,.60)
    #5 (.80,.20) infeasible, #6 (.45,.35), #7 pruned, #8 failed. Feasible front: #1, #2, #4 (#0 and
    #6 are dominated by #2, #3 by #0); the best boundary_f1 on it is #4. #5 would dominate
    everything if its constraint were ignored.
    """
    spec = make_spec(tmp_path, objectives=TWO_OBJECTIVES,
                     constraints="constraints: [{metric: val.chorus_rate, min: 0.05, max: 0.7}]\n")
    study = optuna.create_study(directions=spec.directions)
    for values in ([.5, .4], [.6, .5], [.55, .3], [.4, .45], [.7, .6]):
        add(study, values, curve=[0.3, values[0]], enqueued=not study.trials)
    add(study, [.8, .2], infeasible=True, curve=[0.8])
    add(study, [.45, .35], curve=[0.45])
    add(study, state=TrialState.PRUNED, curve=[0.1, 0.2])
    add(study, state=TrialState.FAIL)
    return spec, study


def test_pareto_plot_marks_exactly_the_pareto_optimal_trials(two_objective):
    spec, study = two_objective
    results = write_exports(spec, study)
    assert [p["number"] for p in results["pareto_front"]] == [1, 2, 4]
    assert results["best_trial"] == 4 and {t.number for t in pareto_trials(spec, study)} == {1, 2, 4}
    figure = pareto_figure(spec, study.trials, front_numbers={p["number"] for p in results["pareto_front"]},
                           best_number=results["best_trial"])
    assert collection(figure, "pareto-optimal") == {(.6, .5), (.55, .3), (.7, .6)}
    assert collection(figure, "dominated") == {(.5, .4), (.4, .45), (.45, .35)}
    assert collection(figure, "infeasible") == {(.8, .2)}
    assert collection(figure, "primary-pick") == {(.7, .6)}
    ax = figure.axes[0]
    # The front is connected in the order of the first objective.
    (line,) = ax.lines
    assert list(line.get_xdata()) == [.55, .6, .7] and list(line.get_ydata()) == [.3, .5, .6]
    assert ax.get_xlabel() == "val.boundary_f1 (maximize: higher is better)"
    assert ax.get_ylabel() == "val.loss (minimize: lower is better)"
    assert any("trial #4" in text.get_text() for text in ax.texts)


def test_three_objectives_give_pairwise_panels_with_the_same_optimal_trials(tmp_path):
    spec = make_spec(tmp_path, objectives=TWO_OBJECTIVES[:-1] + ", {metric: val.pk, direction: minimize}]")
    study = optuna.create_study(directions=spec.directions)
    # #2 is dominated by #0 in all three objectives; the others trade off.
    for values in ([.6, .3, .2], [.7, .4, .3], [.5, .5, .3], [.4, .2, .4]):
        add(study, values)
    front = {t.number for t in pareto_trials(spec, study)}
    assert front == {0, 1, 3}
    figure = pareto_figure(spec, study.trials, front_numbers=front, best_number=1)
    assert len(figure.axes) == 3
    pairs = [(0, 1), (0, 2), (1, 2)]
    for panel, (i, j) in enumerate(pairs):
        expected = {(study.trials[n].values[i], study.trials[n].values[j]) for n in front}
        assert collection(figure, "pareto-optimal", panel) == expected
        assert not figure.axes[panel].lines  # a projected 3-D front is not a curve
    assert "val.pk (minimize" in figure.axes[2].get_ylabel()


def test_a_single_objective_has_no_pareto_plot(tmp_path):
    spec = make_spec(tmp_path)
    with pytest.raises(NothingToPlot, match="two or more objectives"):
        pareto_figure(spec, [], front_numbers=set(), best_number=None)


def test_history_shows_best_so_far_and_pruned_and_failed_trials(tmp_path):
    spec = make_spec(tmp_path)
    study = optuna.create_study(direction="maximize")
    add(study, [.3], curve=[.3], enqueued=True)
    add(study, [.5], curve=[.5])
    add(study, state=TrialState.PRUNED, curve=[.1, .15])
    add(study, [.4], curve=[.4])
    add(study, state=TrialState.FAIL)
    add(study, [.6], curve=[.6])
    figure = history_figure(spec, study.trials, best_number=5)
    ax = figure.axes[0]
    (best_line,) = [line for line in ax.lines if line.get_gid() == "best-so-far"]
    assert list(best_line.get_xdata()) == [0, 1, 3, 5, 5]
    assert list(best_line.get_ydata()) == [.3, .5, .5, .6, .6]
    assert collection(figure, "pruned") == {(2, .15)}  # where it was stopped
    (failed,) = [c for c in ax.collections if c.get_gid() == "failed"]
    assert [tuple(p) for p in failed.get_offsets()] == [(4, 0.03)]  # on the rug, axes coordinates
    assert collection(figure, "best-trial") == {(5, .6)} and collection(figure, "baseline") == {(0, .3)}


def test_history_best_so_far_follows_a_minimised_primary(tmp_path):
    spec = make_spec(tmp_path, objectives="[{metric: val.loss, direction: minimize}]")
    study = optuna.create_study(direction="minimize")
    for value in (.5, .7, .4, .45):
        add(study, [value])
    figure = history_figure(spec, study.trials, best_number=2)
    (best_line,) = [line for line in figure.axes[0].lines if line.get_gid() == "best-so-far"]
    assert list(best_line.get_ydata()) == [.5, .5, .4, .4, .4]


def test_learning_curves_end_where_trials_were_pruned_and_emphasise_the_best(tmp_path):
    spec = make_spec(tmp_path)
    study = optuna.create_study(direction="maximize")
    add(study, [.5], curve=[.2, .4, .5, .45])
    add(study, state=TrialState.PRUNED, curve=[.1, .15])
    add(study, state=TrialState.PRUNED, curve=[.2, .25, .22])
    add(study, [.6], curve=[.3, .5, .6, .6])
    figure = learning_curves_figure(spec, study.trials, best_number=3)
    ax = figure.axes[0]
    assert collection(figure, "pruned-ends") == {(2, .15), (3, .22)}
    (best,) = [line for line in ax.lines if line.get_gid() == "best-trial"]
    assert list(best.get_xdata()) == [1, 2, 3, 4] and list(best.get_ydata()) == [.3, .5, .6, .6]
    assert best.get_linewidth() > max(line.get_linewidth() for line in ax.lines if line is not best)
    pruned_lengths = sorted(len(line.get_xdata()) for line in ax.lines if line.get_color() == "tab:orange")
    assert pruned_lengths == [2, 3]
    silent = optuna.create_study(direction="maximize")
    add(silent, state=TrialState.FAIL)
    with pytest.raises(NothingToPlot, match="no trial has finished an epoch"):
        learning_curves_figure(spec, silent.trials, best_number=None)


def test_importance_respects_the_direction_of_each_objective(tmp_path):
    """One number, maximised as objective 0 and minimised as objective 1.

    High values need x > 0.9 (y is irrelevant there); low values need y > 0.8. PED-ANOVA looks at
    the top 10%: the maximised objective must rank x first, the minimised one y. Forgetting to
    negate a maximised metric (or negating a minimised one) swaps the two rankings.
    """
    spec = make_spec(tmp_path, objectives="[{metric: val.boundary_f1, direction: maximize}, "
                                          "{metric: val.boundary_f1_macro, direction: minimize}]")
    study = optuna.create_study(directions=spec.directions)
    grid = (np.arange(10) + 0.5) / 10
    for x in grid:
        for y in grid:
            value = 1 + 0.01 * x if x > 0.9 else (-1 - 0.01 * y if y > 0.8 else 0.0)
            study.add_trial(optuna.trial.create_trial(
                values=[value, value], distributions={"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)},
                params={"x": x, "y": y}))
    maximised, minimised = objective_importances(spec, study)
    assert (maximised.direction, minimised.direction) == ("maximize", "minimize")
    assert list(maximised.importances)[0] == "x" and maximised.importances["x"] > 0.9
    assert list(minimised.importances)[0] == "y" and minimised.importances["y"] > 0.6
    assert maximised.top_trials == 10 and maximised.caveat is None


def test_importance_says_why_it_is_missing(tmp_path):
    spec = make_spec(tmp_path)
    study = optuna.create_study(direction="maximize")
    add(study, [.5])
    (only,) = objective_importances(spec, study)
    assert only.importances == {} and only.reason == "needs at least 2 complete trials (has 1)"
    same = {"training.learning_rate": 2e-3, "model.switch_penalty": 1.0}
    constant = optuna.create_study(direction="maximize")
    for value in (.5, .6, .7):
        add(constant, [value], params=same)
    (flat,) = objective_importances(spec, constant)
    assert flat.reason == "no parameter took two different values in the complete trials"
    three = optuna.create_study(direction="maximize")
    for value in (.5, .6, .7):
        add(three, [value])
    (rough,) = objective_importances(spec, three)
    assert set(rough.importances) == set(same) and "only 1 trial(s) in the top 10%" in rough.caveat


def test_reference_point_is_just_worse_than_every_trial():
    values = np.array([[0.5, 0.2, 3.0], [0.7, 0.4, 3.0]])
    reference = hypervolume_reference_point(values, ["maximize", "minimize", "minimize"])
    assert reference == pytest.approx([0.48, 0.42, 3.1])  # a tie spreads by 1 x 10%
    with pytest.raises(ValueError, match=r"values must be \(trials, 2\)"):
        hypervolume_reference_point(np.empty((0, 2)), ["maximize", "minimize"])


def test_render_writes_real_images_of_sensible_size(two_objective):
    spec, study = two_objective
    results = write_exports(spec, study)
    report = render_report(spec, study, results)
    plots = spec.results_dir / "plots"
    expected = {"history", "pareto", "hypervolume", "learning_curves", "importance_val.boundary_f1",
                "importance_val.loss", "parallel_coordinates", "slice", "timeline"}
    assert {p.stem for p in plots.glob("*.png")} == expected
    for png in plots.glob("*.png"):
        with Image.open(png) as image:
            image.verify()
        with Image.open(png) as image:
            width, height = image.size
            assert 500 <= width <= 3000 and 200 <= height <= 2000, (png.name, image.size)
            extrema = image.convert("L").getextrema()
            assert extrema[1] - extrema[0] > 100, f"{png.name} is blank"
    assert {p.stem for p in plots.glob("*.svg")} == {"history", "pareto", "learning_curves"}
    for svg in plots.glob("*.svg"):
        root = ElementTree.parse(svg).getroot()
        assert root.tag.endswith("svg")
    assert 'id="pareto-optimal"' in (plots / "pareto.svg").read_text()
    assert report == spec.results_dir / "report.html" and report.stat().st_size > 50_000


def test_a_figure_that_cannot_be_drawn_yet_is_removed_not_left_stale(tmp_path):
    spec = make_spec(tmp_path)
    study = optuna.create_study(direction="maximize")
    add(study, [.4], curve=[.4])
    add(study, [.5], curve=[.5])
    render_report(spec, study, write_exports(spec, study))
    plots = spec.results_dir / "plots"
    assert (plots / "importance_val.boundary_f1.png").is_file()
    empty = optuna.create_study(direction="maximize")
    add(empty, state=TrialState.FAIL)
    html = render_report(spec, empty, write_exports(spec, empty)).read_text()
    assert not (plots / "importance_val.boundary_f1.png").exists()
    assert "Not drawn: needs at least 2 complete trials (has 0)." in html
    assert (plots / "history.png").is_file() and (plots / "timeline.png").is_file()
