"""The HTML report: self-contained, every key number of hyperopt_results.json, loads in a browser."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from runner._exports import write_exports
from runner._report import render_report
from runner._spec import load_spec
from runner.cli import main

SPACE = {"training.learning_rate": FloatDistribution(1e-3, 1e-2, log=True),
         "model.switch_penalty": FloatDistribution(0.0, 2.0)}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags for a root container on a closed network: no sandbox, no GPU, no background traffic.
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")
# Appended to a copy of the page only: the report itself carries no script.
IMAGE_PROBE = """<script>
addEventListener("load", () => {
  const images = [...document.images];
  const loaded = images.filter((image) => image.complete && image.naturalWidth > 0);
  document.body.setAttribute("data-images-loaded", `${loaded.length}/${images.length}`);
});
</script></body>"""


def write_spec(folder: Path, *, objectives: str, data: str = "", extra: str = "") -> Path:
    (folder / "base.yaml").write_text("model: {hidden_dim: 8, num_layers: 1}\n"
                                      + (data or "data: {synthetic: {train_songs: 20, val_songs: 6}}\n"))
    spec = folder / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        study: {{name: htmldemo, results_dir: results, sampler: {{type: random}}, pruner: {{type: none}}}}
        base: base.yaml
        search_space:
          training.learning_rate: {{type: float, low: 1.0e-3, high: 1.0e-2, log: true}}
          model.switch_penalty: {{type: float, low: 0.0, high: 2.0}}
        objectives: {objectives}
        budget: {{n_trials: 12, epochs: {{min: 1, max: 3}}}}
        """) + extra)
    return spec


def add(study: optuna.Study, values=None, *, state=TrialState.COMPLETE, epochs=3, infeasible=False,
        enqueued=False) -> None:
    number = len(study.trials)
    metrics = {}
    if values is not None:
        metrics = {"val.boundary_f1": values[0], "val.loss": values[-1], "val.macro_f1": 0.7 + number / 100,
                   "val.pk": 0.3 - number / 100, "val.chorus_rate": 0.4}
    attrs = {"segrun.curve": [0.2 + 0.01 * e for e in range(epochs)], "segrun.epochs": epochs,
             "segrun.metrics": metrics, **({"segrun.enqueued": True} if enqueued else {})}
    if state == TrialState.FAIL:
        attrs["segrun.failure"] = "TrainingError: training loss is nan"
    study.add_trial(optuna.trial.create_trial(
        state=state, values=values, user_attrs=attrs, distributions=SPACE,
        params={"training.learning_rate": 1e-3 * (1 + number), "model.switch_penalty": 0.15 * number},
        constraints={"val.chorus_rate": 0.3 if infeasible else -0.1},
    ))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A two-objective study in SQLite, reported by `segrun report SPEC` as a user would."""
    folder = tmp_path_factory.mktemp("report")
    spec_path = write_spec(
        folder, objectives="[{metric: val.boundary_f1, direction: maximize}, {metric: val.loss, direction: minimize}]",
        extra="constraints: [{metric: val.chorus_rate, min: 0.05, max: 0.7}]\n")
    spec = load_spec(spec_path)
    spec.results_dir.mkdir()
    study = optuna.create_study(study_name=spec.name, storage=spec.storage, directions=spec.directions)
    add(study, [0.41, 0.52], enqueued=True)
    for values in ([0.55, 0.47], [0.62, 0.58], [0.48, 0.39], [0.35, 0.61], [0.58, 0.44]):
        add(study, values)
    add(study, [0.9, 0.1], infeasible=True)
    add(study, state=TrialState.PRUNED, epochs=1)
    add(study, state=TrialState.FAIL, epochs=0)
    assert main(["report", str(spec_path)]) == 0
    results = json.loads((spec.results_dir / "hyperopt_results.json").read_text())
    return spec, results, (spec.results_dir / "report.html").read_text(encoding="utf-8")


def test_the_page_holds_the_numbers_of_hyperopt_results(report):
    spec, results, page = report
    assert results["best_trial"] == 2 and [p["number"] for p in results["pareto_front"]] == [2, 3, 5]
    assert f"<h1>{spec.name}</h1>" in page and results["spec_fingerprint"] in page
    assert f"{results['best_score']:.4f}" in page and "best: trial #2" in page
    for point in results["pareto_front"]:
        assert f"#{point['number']}</td><td>{point['values']['val.boundary_f1']:.4f}</td>" \
               f"<td>{point['values']['val.loss']:.4f}</td>" in page
    assert "pareto_configs/trial_003.yaml" in page and "&#9733; #2" in page
    counts = results["counts"]
    assert (counts["COMPLETE"], counts["PRUNED"], counts["FAIL"]) == (7, 1, 1)
    assert f"{sum(counts.values())} / {results['n_trials_target']}" in page
    assert "<td>complete</td><td>7</td>" in page and "<td>failed</td><td>1</td>" in page
    # Best next to the enqueued baseline (trial #0) and the heuristic, metric by metric.
    trials = {t["number"]: t for t in results["trials"]}
    assert "enqueued baseline: trial #0" in page and "repeat-line heuristic" in page
    assert f"<td><b>{trials[2]['metrics']['val.macro_f1']:.4f}</b></td>" in page
    assert f"gain {results['best_score'] - trials[0]['values']['val.boundary_f1']:+.4f}" in page
    # Epochs: 7 complete x 3 + 1 pruned after 1 of 3; pruning saved 2 of the 24 budgeted.
    assert "<td>epochs trained</td><td>22</td>" in page and "<td>epochs saved by pruning</td><td>2 (8%)</td>" in page
    assert "TrainingError: training loss is nan" in page
    top = re.search(r'<section id="top">(.*?)</section>', page, re.S).group(1)
    ranked = [int(n) for n in re.findall(r"<td>#(\d+)", top)]
    assert ranked == [6, 2, 5, 1, 3, 0, 4]  # by boundary_f1, the infeasible #6 included and flagged
    assert "<td>no</td>" in top
    results_dir = Path(results["trials"] and spec.results_dir)
    assert f"segrun train {results_dir.as_posix()}/best_config.yaml" in page
    assert "segrun report " in page and "segrun dashboard " in page
    assert "constraints: [{metric: val.chorus_rate, min: 0.05, max: 0.7}]" in page  # the spec itself


def test_the_page_is_self_contained(report):
    spec, _, page = report
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    plots = spec.results_dir / "plots"
    files = {p.read_bytes() for p in plots.glob("*.png")}
    assert len(embedded) == page.count("<img") == len(files) == 9
    assert {base64.b64decode(image) for image in embedded} == files


def browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip("no headless browser to render the report: install Debian's chromium "
                "(apt-get install -y chromium) to run this test")


def test_a_real_browser_loads_every_image_and_shows_the_key_numbers(report):
    spec, results, page = report
    probe = spec.results_dir / "probe.html"
    probe.write_text(page.replace("</body>", IMAGE_PROBE), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [browser(), *BROWSER_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
             "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )
    dom = done.stdout
    assert done.returncode == 0 and "<html" in dom, done.stderr[-2000:]
    assert 'data-images-loaded="9/9"' in dom
    text = re.sub(r"<[^>]+>", " ", dom)
    losses = [f"{p['values']['val.loss']:.4f}" for p in results["pareto_front"]]
    for number in (f"{results['best_score']:.4f}", *losses):
        assert number in text


def test_the_heuristic_is_scored_on_the_study_validation_songs(tmp_path):
    """Val: one song the heuristic gets right, one where it finds no chorus.

    Boundaries: song 1 has 2 (found), song 2 has 1 (missed): precision 2/2, recall 2/3, F1 0.8.
    """
    songs = [{"id": "a", "lines": ["v1", "hook", "hook", "v2"], "labels": [0, 1, 1, 0]},
             {"id": "b", "lines": ["w", "x", "y", "z"], "labels": [0, 0, 1, 1]}]
    (tmp_path / "val.jsonl").write_text("".join(json.dumps(s) + "\n" for s in songs))
    (tmp_path / "train.jsonl").write_text(json.dumps(songs[0]) + "\n")
    spec = load_spec(write_spec(tmp_path, objectives="[{metric: val.boundary_f1, direction: maximize}]",
                                data="data: {train: train.jsonl, val: val.jsonl}\n"))
    study = optuna.create_study(direction="maximize")
    add(study, [0.85])
    add(study, [0.75])
    page = render_report(spec, study, write_exports(spec, study)).read_text()
    heuristic = re.search(r"<td>val.boundary_f1 <span.*?</tr>", page).group(0)
    assert heuristic.endswith("<td><b>0.8500</b></td><td>0.8000</td></tr>")
    assert f"<td>val</td><td>{tmp_path / 'val.jsonl'}</td><td>2</td><td>8</td><td>50.0%</td>" in page
    assert "Feature views on: head (words 2)" in page


def test_a_report_without_the_data_files_still_renders(tmp_path):
    """A study running on another machine is reported from its storage alone."""
    songs = json.dumps({"id": "a", "lines": ["x", "y"], "labels": [0, 1]}) + "\n"
    (tmp_path / "train.jsonl").write_text(songs)
    (tmp_path / "val.jsonl").write_text(songs)
    spec = load_spec(write_spec(tmp_path, objectives="[{metric: val.boundary_f1, direction: maximize}]",
                                data="data: {train: train.jsonl, val: val.jsonl}\n"))
    (tmp_path / "val.jsonl").unlink()
    study = optuna.create_study(direction="maximize")
    add(study, [0.5])
    running = study.ask()
    running.set_user_attr("segrun.curve", [0.3])
    page = render_report(spec, study, write_exports(spec, study)).read_text()
    assert "The songs could not be read on this machine" in page and "val.jsonl" in page
    assert "In progress: 1 trial(s) running" in page
    assert "Not drawn: needs at least 2 complete trials (has 1)." in page
    assert page.count("<img") == 5  # history, learning curves, parallel coordinates, slices, timeline


def test_a_study_without_trials_gets_a_page_that_says_so(tmp_path):
    spec = load_spec(write_spec(tmp_path, objectives="[{metric: val.boundary_f1, direction: maximize}]"))
    study = optuna.create_study(direction="maximize")
    page = render_report(spec, study, write_exports(spec, study)).read_text()
    assert "No complete trial yet" in page and "<img" not in page
    assert "Not drawn: the study has no trials yet." in page and "Not drawn: no trial has started yet." in page
    assert "0 / 12" in page and "segrun train" not in page


def test_a_multi_seed_study_shows_the_best_trials_value_per_seed(tmp_path):
    spec_path = write_spec(tmp_path, objectives="[{metric: val.boundary_f1, direction: maximize}]",
                           extra="")
    spec_path.write_text(spec_path.read_text().replace("budget: {n_trials: 12,", "budget: {n_trials: 12, seeds_per_trial: 2,"))
    spec = load_spec(spec_path)
    spec.results_dir.mkdir()
    study = optuna.create_study(study_name=spec.name, storage=spec.storage, direction="maximize")
    for number, (first, second) in enumerate([(0.5, 0.7), (0.66, 0.62)]):
        study.add_trial(optuna.trial.create_trial(
            value=(first + second) / 2, distributions=SPACE,
            params={"training.learning_rate": 2e-3, "model.switch_penalty": 0.1 * number},
            intermediate_values={1: first / 2, 2: first},
            user_attrs={"segrun.epochs": 4, "segrun.metrics": {"val.boundary_f1": (first + second) / 2},
                        "segrun.seeds": [{"seed": 0, "values": [first], "best_epoch": 2, "epochs_run": 2},
                                         {"seed": 1, "values": [second], "best_epoch": 2, "epochs_run": 2}]}))
    assert main(["report", str(spec_path)]) == 0
    page = (spec.results_dir / "report.html").read_text(encoding="utf-8")
    assert "mean over 2 seeds" in page and "seed 0: 0.6600, seed 1: 0.6200" in page
    assert "3 × 2 seeds per trial" in page.replace("&times;", "×")
