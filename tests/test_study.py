"""Studies end to end: run, resume toward the total, failures, pruning, multi-objective, exports."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import runner._trial
from runner._exports import choose_best, pareto_trials, write_exports
from runner._pruning import primary_curve
from runner._spec import load_spec
from runner._study import count_done, run_study
from segmodel.config import load_train_config
from segmodel.errors import InputError, TrainingError
from segmodel.trainer import EpochMetrics, TrainResult, train

BASE = """\
# Base config for the test study.
model:
  hidden_dim: 8      # tiny: tests must be fast
  num_layers: 1
data:
  synthetic:
    train_songs: 40
    val_songs: 12
training:
  batch_size: 16
system:
  threads: 1
"""


def write_spec(tmp_path: Path, *, name="demo", n_trials=4, epochs=(1, 2), objectives=None, pruner=None,
               sampler="{type: random}", extra="") -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    objectives = objectives or "[{metric: val.boundary_f1, direction: maximize}]"
    pruner = pruner or "{type: none}"
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        study:
          name: {name}
          seed: 3
          results_dir: results
          sampler: {sampler}
          pruner: {pruner}
        base: base.yaml
        search_space:
          training.learning_rate: {{type: float, low: 1.0e-3, high: 1.0e-2, log: true}}
          model.switch_penalty: {{type: float, low: 0.0, high: 2.0}}
        objectives: {objectives}
        budget:
          n_trials: {n_trials}
          epochs: {{min: {epochs[0]}, max: {epochs[1]}}}
          max_failed_trials: 3
        """) + extra)
    return spec


def fake_train(curve_of):
    """A stand-in for segmodel.trainer.train: reports ``curve_of(config)`` epoch by epoch."""

    def train(config, *, on_epoch=None, **_):
        history = []
        curve = curve_of(config)
        for epoch, value in enumerate(curve[: config.training.max_epochs], start=1):
            metrics = EpochMetrics(epoch=epoch, train_loss=1.0 / epoch, val_loss=1.0 - value / 2,
                                   learning_rate=config.training.learning_rate, seconds=0.01,
                                   val={"boundary_f1": value, "macro_f1": value, "chorus_f1": value,
                                        "chorus_rate": 0.3},
                                   num_parameters=10)
            history.append(metrics)
            if on_epoch is not None and on_epoch(metrics):
                break
        best = max(history, key=lambda h: h.val["boundary_f1"])
        return TrainResult(history=history, best_epoch=best.epoch, val_metrics=best.val, val_loss=best.val_loss,
                           stop_reason="max_epochs", feature_dim=5, num_parameters=10, seconds=0.1)

    return train


def test_tiny_real_study_end_to_end(tmp_path):
    spec = load_spec(write_spec(tmp_path, n_trials=3, extra="enqueue:\n  - {training.learning_rate: 0.005, model.switch_penalty: 1.0}\n"))
    run = run_study(spec, progress=False)
    assert run.stop_reason == "n_trials" and run.exit_code == 0
    assert [t.state for t in run.study.trials] == [TrialState.COMPLETE] * 3
    assert run.study.trials[0].params == {"training.learning_rate": 0.005, "model.switch_penalty": 1.0}
    results = write_exports(spec, run.study)
    out = spec.results_dir
    saved = json.loads((out / "hyperopt_results.json").read_text())
    assert saved == json.loads(json.dumps(results))
    assert saved["best_score"] == max(t.values[0] for t in run.study.trials)
    assert saved["feature_dim"] > 50 and len(saved["trials"]) == 3
    for number in range(3):
        log = (out / "hyperopt_logs" / f"trial_{number:03d}.yaml").read_text()
        assert "state: COMPLETE" in log and "spec_fingerprint" in log and "git_commit" in log
    # best_config.yaml keeps the base file's comments and is directly trainable.
    best_text = (out / "best_config.yaml").read_text()
    assert "# tiny: tests must be fast" in best_text and "# Base config for the test study." in best_text
    config = load_train_config(out / "best_config.yaml")
    best = choose_best(spec, run.study)
    assert config.training.learning_rate == pytest.approx(best.params["training.learning_rate"])
    assert config.training.max_epochs == 2
    config.training.max_epochs = 1
    assert train(config).epochs_run == 1
    summary = (out / "hyperopt_summary.txt").read_text()
    assert f"Best trial: #{best.number}" in summary and "Enqueued baseline (trial #0)" in summary


def test_a_failing_trial_is_fail_with_a_reason_and_the_study_goes_on(tmp_path, monkeypatch):
    good = fake_train(lambda config: [0.5, 0.6])
    calls = {"n": 0}

    def sometimes_failing(config, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise TrainingError("epoch 1, batch 3: training loss is nan")
        return good(config, **kwargs)

    monkeypatch.setattr(runner._trial, "train", sometimes_failing)
    spec = load_spec(write_spec(tmp_path, n_trials=4))
    run = run_study(spec, progress=False)
    states = [t.state for t in run.study.trials]
    assert states.count(TrialState.FAIL) == 1 and states.count(TrialState.COMPLETE) == 3
    failed = run.study.trials[1]
    assert failed.values is None  # never a fake 0.0
    assert failed.user_attrs["segrun.failure"] == "TrainingError: epoch 1, batch 3: training loss is nan"
    results = write_exports(spec, run.study)
    assert results["trials"][1]["failure_reason"].endswith("training loss is nan")
    assert "#1: TrainingError" in (spec.results_dir / "hyperopt_summary.txt").read_text()


def test_max_failed_trials_stops_the_study(tmp_path, monkeypatch):
    def always_failing(config, **_):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner._trial, "train", always_failing)
    spec = load_spec(write_spec(tmp_path, n_trials=10))
    run = run_study(spec, progress=False)
    assert run.stop_reason == "max_failed_trials"
    assert len(run.study.trials) == 3
    log = (spec.results_dir / "hyperopt_logs" / "trial_000.yaml").read_text()
    assert "RuntimeError: boom" in log and "traceback" in log


def test_interrupted_study_resumes_toward_its_total_and_reruns_the_interrupted_trial(tmp_path, monkeypatch):
    good = fake_train(lambda config: [0.4, 0.5])
    calls = {"n": 0}

    def interrupted_on_third(config, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return good(config, **kwargs)

    monkeypatch.setattr(runner._trial, "train", interrupted_on_third)
    spec = load_spec(write_spec(tmp_path, n_trials=5))
    first = run_study(spec, progress=False)
    assert first.exit_code == 130 and first.stop_reason == "interrupted"
    interrupted = first.study.trials[2]
    assert interrupted.state == TrialState.FAIL
    assert interrupted.user_attrs["segrun.failure"] == "interrupted"
    assert count_done(first.study) == 2

    monkeypatch.setattr(runner._trial, "train", good)
    second = run_study(load_spec(spec.path), progress=False)
    trials = second.study.trials
    assert second.exit_code == 0 and count_done(second.study) == 5
    assert len(trials) == 6  # 5 counted + the interrupted one
    retry = trials[3]
    assert retry.user_attrs["segrun.retry_of"] == 2 and retry.params == interrupted.params
    record = write_exports(spec, second.study)["trials"][2]
    assert record["rerun_by_trial"] == 3 and record["will_be_retried"] is False
    # Running again does nothing: the total is a target, not "N more".
    third = run_study(load_spec(spec.path), progress=False)
    assert len(third.study.trials) == 6 and third.outcomes == []


def test_raising_n_trials_continues_the_same_study(tmp_path, monkeypatch):
    monkeypatch.setattr(runner._trial, "train", fake_train(lambda config: [0.4]))
    run_study(load_spec(write_spec(tmp_path, n_trials=2)), progress=False)
    run = run_study(load_spec(write_spec(tmp_path, n_trials=4)), progress=False)
    assert len(run.study.trials) == 4


def test_a_changed_search_space_is_refused_with_a_diff(tmp_path, monkeypatch):
    monkeypatch.setattr(runner._trial, "train", fake_train(lambda config: [0.4]))
    path = write_spec(tmp_path, n_trials=1)
    run_study(load_spec(path), progress=False)
    path.write_text(path.read_text().replace("high: 2.0", "high: 3.0"))
    with pytest.raises(InputError) as caught:
        run_study(load_spec(path), progress=False)
    message = str(caught.value)
    assert "was created from a different spec" in message and "--allow-spec-change" in message
    assert "3.0" in message and "2.0" in message  # the diff shows the change
    run = run_study(load_spec(path), allow_spec_change=True, progress=False)
    assert run.exit_code == 0


def test_pruning_prunes_and_saves_epochs(tmp_path, monkeypatch):
    # Later trials are worse at every epoch: the median rule must stop them early.
    order = {"n": 0}

    def curve(config):
        order["n"] += 1
        top = 0.9 - 0.1 * order["n"]
        return [top * e / 4 for e in range(1, 5)]

    monkeypatch.setattr(runner._trial, "train", fake_train(curve))
    spec = load_spec(write_spec(tmp_path, n_trials=6, epochs=(1, 4),
                                pruner="{type: median, n_startup_trials: 2, n_warmup_steps: 1}"))
    run = run_study(spec, progress=False)
    states = [t.state for t in run.study.trials]
    assert states[:2] == [TrialState.COMPLETE, TrialState.COMPLETE]
    assert TrialState.PRUNED in states
    pruned = [t for t in run.study.trials if t.state == TrialState.PRUNED]
    assert all(t.user_attrs["segrun.epochs"] < 4 for t in pruned)
    # One storage write per epoch: the curve lives in Optuna's intermediate values only.
    assert all("segrun.curve" not in t.user_attrs for t in run.study.trials)
    assert primary_curve(run.study.trials[0]) == pytest.approx([0.8 * e / 4 for e in range(1, 5)])
    assert "saved" in (write_exports(spec, run.study) and (spec.results_dir / "hyperopt_summary.txt").read_text())


def test_multi_objective_study_has_a_pareto_front_and_prunes_on_the_primary(tmp_path, monkeypatch):
    order = {"n": 0}

    def curve(config):
        order["n"] += 1
        # Trials 3+ are poor on the primary at every epoch: pruned although Optuna can't prune MO.
        top = 0.8 if order["n"] <= 2 else 0.2
        return [top * e / 3 for e in range(1, 4)]

    monkeypatch.setattr(runner._trial, "train", fake_train(curve))
    spec = load_spec(write_spec(
        tmp_path, n_trials=5, epochs=(1, 3), sampler="{type: nsga2, population_size: 4}",
        pruner="{type: median, n_startup_trials: 2, n_warmup_steps: 1}",
        objectives="[{metric: val.boundary_f1, direction: maximize}, {metric: val.loss, direction: minimize}]"))
    run = run_study(spec, progress=False)
    states = [t.state for t in run.study.trials]
    assert states.count(TrialState.PRUNED) == 3
    assert primary_curve(run.study.trials[0]) == pytest.approx([0.8 * e / 3 for e in range(1, 4)])
    assert not run.study.trials[0].intermediate_values  # Optuna refuses reports in MO studies
    results = write_exports(spec, run.study)
    front_numbers = {p["number"] for p in results["pareto_front"]}
    assert front_numbers == {t.number for t in pareto_trials(spec, run.study)}
    assert results["best_trial"] in front_numbers
    assert set(results["pareto_front"][0]["values"]) == {"val.boundary_f1", "val.loss"}


def test_pareto_choice_and_tie_break(tmp_path):
    spec = load_spec(write_spec(
        tmp_path, objectives="[{metric: val.boundary_f1, direction: maximize}, {metric: val.loss, direction: minimize}]",
        pruner="{type: none}", sampler="{type: nsga2}"))
    study = optuna.create_study(directions=["maximize", "minimize"])
    for values in ([0.5, 0.3], [0.7, 0.5], [0.7, 0.4], [0.4, 0.6], [0.6, 0.2]):
        trial = study.ask()
        study.tell(trial, values)
    front = {t.number for t in pareto_trials(spec, study)}
    assert front == {2, 4}  # 0 is dominated by 4, 1 by 2, 3 by everything
    # Best primary (0.7) among the front; trial 1 ties on F1 but is dominated.
    assert choose_best(spec, study).number == 2


def test_seeds_per_trial_scores_the_mean_so_a_lucky_seed_does_not_win(tmp_path, monkeypatch):
    # Trial 0 is brilliant on its first seed only; trial 1 is steady. Scored on one seed trial 0
    # would win; scored on the mean of three it must lose.
    finals = {0.002: {0: 0.9, 1: 0.3, 2: 0.3}, 0.005: {0: 0.6, 1: 0.6, 2: 0.6}}
    trained = []

    def curve(config):
        trained.append((config.training.learning_rate, config.system.seed))
        final = finals[config.training.learning_rate][config.system.seed]
        return [final / 2, final]

    monkeypatch.setattr(runner._trial, "train", fake_train(curve))
    spec = load_spec(write_spec(tmp_path, n_trials=2, epochs=(1, 2), extra=(
        "  seeds_per_trial: 3\n"
        "enqueue:\n"
        "  - {training.learning_rate: 0.002, model.switch_penalty: 1.0}\n"
        "  - {training.learning_rate: 0.005, model.switch_penalty: 1.0}\n")))
    run = run_study(spec, progress=False)
    assert trained == [(0.002, 0), (0.002, 1), (0.002, 2), (0.005, 0), (0.005, 1), (0.005, 2)]
    lucky, steady = run.study.trials
    assert lucky.values == [pytest.approx(0.5)] and steady.values == [pytest.approx(0.6)]
    assert choose_best(spec, run.study).number == steady.number
    assert [r["seed"] for r in lucky.user_attrs["segrun.seeds"]] == [0, 1, 2]
    assert [r["values"][0] for r in lucky.user_attrs["segrun.seeds"]] == pytest.approx([0.9, 0.3, 0.3])
    assert lucky.user_attrs["segrun.metrics"]["val.macro_f1"] == pytest.approx(0.5)
    assert lucky.user_attrs["segrun.epochs"] == 6
    # The pruner saw the first seed's curve only, one value per epoch.
    assert lucky.intermediate_values == {1: pytest.approx(0.45), 2: pytest.approx(0.9)}
    results = write_exports(spec, run.study)
    assert results["trials"][0]["seeds"] == lucky.user_attrs["segrun.seeds"]
    log = (spec.results_dir / "hyperopt_logs" / "trial_000.yaml").read_text()
    assert log.count("seed: 2") == 2  # both epochs of the third seed are logged with their seed
    summary = (spec.results_dir / "hyperopt_summary.txt").read_text()
    assert "mean of 3 seeds: seed 0 0.6000, seed 1 0.6000, seed 2 0.6000" in summary
    assert "Epochs trained: 12 of 12" in summary


def test_a_trial_pruned_on_its_first_seed_trains_no_other_seed(tmp_path, monkeypatch):
    trained = []

    def curve(config):
        trained.append((len(trained), config.system.seed))
        top = 0.9 if config.training.learning_rate == 0.005 else 0.1
        return [top * e / 4 for e in range(1, 5)]

    monkeypatch.setattr(runner._trial, "train", fake_train(curve))
    spec = load_spec(write_spec(
        tmp_path, n_trials=3, epochs=(1, 4), pruner="{type: median, n_startup_trials: 1, n_warmup_steps: 1}",
        extra=("  seeds_per_trial: 2\nenqueue:\n"
               "  - {training.learning_rate: 0.005, model.switch_penalty: 1.0}\n"
               "  - {training.learning_rate: 0.001, model.switch_penalty: 1.0}\n")))
    run = run_study(spec, progress=False)
    good, poor = run.study.trials[:2]
    assert good.state == TrialState.COMPLETE and poor.state == TrialState.PRUNED
    assert [seed for _, seed in trained[:3]] == [0, 1, 0]  # the pruned trial never reached seed 1
    assert poor.user_attrs["segrun.epochs"] == 1 and "segrun.seeds" not in poor.user_attrs


def test_seeds_per_trial_is_part_of_the_fingerprint_only_when_above_one(tmp_path):
    plain = load_spec(write_spec(tmp_path))
    one = load_spec(write_spec(tmp_path, extra="  seeds_per_trial: 1\n"))
    two = load_spec(write_spec(tmp_path, extra="  seeds_per_trial: 2\n"))
    assert plain.fingerprint == one.fingerprint != two.fingerprint
    final_step = load_spec(write_spec(tmp_path, extra="retrain: {seeds: 3}\n"))
    assert final_step.fingerprint == plain.fingerprint  # it never changes what trials compute
    assert final_step.retrain.seeds == 3 and plain.retrain.seeds == 0
    assert two.budget.epochs_per_trial == 2 * plain.budget.epochs_per_trial
