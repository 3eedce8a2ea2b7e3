"""The segrun command line: every command, and bad input as one located paragraph (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import optuna
import pytest

import runner._retrain
from runner.cli import main
from segmodel.data import song_excerpts, synthesize_songs
from segmodel.trainer import TrainResult

REPO = Path(__file__).resolve().parent.parent

TINY = """\
model: {hidden_dim: 8, num_layers: 1}
data:
  synthetic: {train_songs: 40, val_songs: 12}
training: {max_epochs: 2, batch_size: 16}
system: {threads: 1}
"""


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_data_synth_is_deterministic_and_stats_reads_it(tmp_path, capsys):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert run(capsys, "data", "synth", "--songs", 30, "--seed", 5, "-o", a)[0] == 0
    assert run(capsys, "data", "synth", "--songs", 30, "--seed", 5, "-o", b)[0] == 0
    assert a.read_bytes() == b.read_bytes() and len(a.read_text().splitlines()) == 30
    code, out, _ = run(capsys, "data", "stats", a, "--json")
    stats = json.loads(out)
    assert code == 0 and stats["songs"] == 30
    code, out, _ = run(capsys, "data", "stats", a)
    assert code == 0 and "chorus" in out


def test_score_and_baseline_predictions(tmp_path, capsys):
    gold = tmp_path / "gold.jsonl"
    run(capsys, "data", "synth", "--songs", 20, "--seed", 1, "-o", gold)
    pred = tmp_path / "pred.jsonl"
    code, _, _ = run(capsys, "predict", "--baseline", "repeat", gold, "--jsonl", "-o", pred)
    assert code == 0
    code, out, _ = run(capsys, "score", gold, pred, "--json")
    scores = json.loads(out)
    assert code == 0 and scores["songs"] == 20
    for key in ("boundary_f1", "boundary_precision", "boundary_recall", "boundary_f1_relaxed_1",
                "boundary_f1_relaxed_2", "macro_f1", "verse_f1", "chorus_f1", "accuracy", "pk",
                "windowdiff", "chorus_rate", "songs", "lines"):
        assert key in scores
    assert 0.0 < scores["macro_f1"] < 1.0


def test_score_with_mismatched_ids_is_a_clear_error(tmp_path, capsys):
    gold, pred = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    gold.write_text('{"id": "a", "lines": ["x"], "labels": [0]}\n')
    pred.write_text('{"id": "b", "lines": ["x"], "labels": [0]}\n')
    code, out, err = run(capsys, "score", gold, pred)
    assert code == 2 and out == ""
    assert err.startswith("segrun: error: ") and str(pred) in err and "Traceback" not in err


def test_predict_baseline_on_plain_text(tmp_path, capsys):
    lyrics = tmp_path / "song.txt"
    lyrics.write_text("hello there\n\nla la la\nsomething else\nla la la\n")
    code, out, _ = run(capsys, "predict", "--baseline", "repeat", lyrics)
    rows = out.splitlines()
    assert code == 0 and len(rows) == 4
    assert rows[1].startswith("chorus") and rows[1].endswith("la la la") and rows[0].startswith("verse")


def test_train_evaluate_predict_round_trip(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    # Floats and strings read from YAML must reach the checkpoint as plain Python values, or
    # torch's weights-only loader refuses the checkpoint (it did, for every float in a config).
    config.write_text(TINY + "loss: {label_smoothing: 0.05, boundary_weight: 2.5}\n")
    run_dir = tmp_path / "run"
    code, out, _ = run(capsys, "train", config, "--run-dir", run_dir, "--set", "training.max_epochs=1")
    assert code == 0 and "val boundary F1" in out
    assert json.loads((run_dir / "metrics.json").read_text())[0]["epoch"] == 1
    data = tmp_path / "songs.jsonl"
    run(capsys, "data", "synth", "--songs", 5, "--seed", 2, "-o", data)
    code, out, _ = run(capsys, "evaluate", run_dir, data, "--json")
    assert code == 0 and json.loads(out)["songs"] == 5
    code, out, _ = run(capsys, "predict", run_dir, data, "--jsonl")
    predicted = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(predicted) == 5 and all(set(p["labels"]) <= {0, 1} for p in predicted)


def test_train_with_a_bad_override_names_it(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    code, _, err = run(capsys, "train", config, "--set", "model.hidden_dim=-3")
    assert code == 2
    assert "--set model.hidden_dim=-3: -3 is out of range: must be >= 4" in err


def test_train_with_a_bad_data_file_names_file_and_line(tmp_path, capsys):
    songs = tmp_path / "songs.jsonl"
    songs.write_text('{"id": "a", "lines": ["x", "y"], "labels": [0, 1]}\n{"id": "b", "lines": ["x"]}\n')
    config = tmp_path / "c.yaml"
    config.write_text(TINY)
    code, _, err = run(capsys, "train", config, "--set", f"data.train={songs}", "--set", f"data.val={songs}")
    assert code == 2 and f"{songs}:2" in err and "labels" in err


def tiny_spec(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(TINY)
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent("""\
        study: {name: clidemo, seed: 1, results_dir: out, sampler: {type: random}, pruner: {type: none}}
        base: base.yaml
        search_space:
          model.switch_penalty: {type: float, low: 0.0, high: 2.0}
        objectives: [{metric: val.boundary_f1, direction: maximize}]
        budget: {n_trials: 2, epochs: {min: 1, max: 1}}
        """))
    return spec


def test_plan_times_configs_that_tie_repeated_lines(tmp_path, capsys):
    # A tagger with repeat tying needs the songs' repeat matrix; plan used to crash on it.
    spec = tiny_spec(tmp_path)
    spec.write_text(spec.read_text().replace(
        "model.switch_penalty: {type: float, low: 0.0, high: 2.0}",
        "model.repeat_tying: {type: float, low: 0.3, high: 0.7}"))
    code, out, _ = run(capsys, "plan", spec, "--samples", 2)
    assert code == 0
    assert out.count("ms per batch") == 2 and "model.repeat_tying=" in out


def test_plan_counts_training_excerpts_in_the_epoch_estimate(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    code, plain, _ = run(capsys, "plan", spec, "--samples", 1)
    assert code == 0 and "per epoch of 40 training songs" in plain
    (tmp_path / "base.yaml").write_text(TINY.replace("data:\n", "data:\n  excerpts: {copies: 2}\n"))
    code, with_excerpts, _ = run(capsys, "plan", spec, "--samples", 1)
    expected = len(song_excerpts(synthesize_songs(40, seed=13), copies=2))
    assert 40 < expected <= 120
    assert code == 0 and f"per epoch of {expected} training songs" in with_excerpts


def test_study_commands(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    code, out, _ = run(capsys, "validate", spec)
    assert code == 0 and "valid" in out
    code, out, _ = run(capsys, "plan", spec, "--samples", 1)
    assert code == 0 and "model.switch_penalty" in out and "parameters" in out
    code, out, _ = run(capsys, spec, "--no-progress")  # `segrun SPEC` means `segrun run SPEC`
    assert code == 0 and "2/2 trials done" in out
    results = tmp_path / "out"
    assert (results / "best_config.yaml").is_file()
    (results / "best_config.yaml").unlink()
    code, out, _ = run(capsys, "best", results)
    assert code == 0 and (results / "best_config.yaml").is_file() and "best trial" in out
    code, out, _ = run(capsys, "best", spec, "--trial", 1)
    assert code == 0 and "switch_penalty" in out
    code, out, _ = run(capsys, "report", results)
    assert code == 0 and "Best trial" in out


def test_validate_reports_spec_errors_with_positions(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    spec.write_text(spec.read_text().replace("model.switch_penalty", "model.switch_penalti"))
    code, out, err = run(capsys, "validate", spec)
    assert code == 2 and out == ""
    assert f"{spec}:4:3" in err and "did you mean 'model.switch_penalty'" in err


def test_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [\n")
    result = subprocess.run([sys.executable, "-m", "runner.cli", "validate", str(bad)],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and f"{bad}:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_command_line_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["data", "synth", "--songs", "0", "-o", "x.jsonl"])
    assert caught.value.code == 2


def test_retrain_reports_mean_and_std_over_seeds(tmp_path, capsys):
    spec = tiny_spec(tmp_path)
    assert run(capsys, spec, "--no-progress")[0] == 0
    code, out, _ = run(capsys, "retrain", tmp_path / "out", "--seeds", "0,1")
    assert code == 0 and "±" in out
    report = json.loads((tmp_path / "out" / "retrain.json").read_text())
    assert report["seeds"] == [0, 1] and len(report["runs"]) == 2
    values = [r["val"]["boundary_f1"] for r in report["runs"]]
    assert report["val"]["boundary_f1"]["mean"] == pytest.approx(sum(values) / 2)
    code, _, err = run(capsys, "retrain", tmp_path / "out", "--seeds", "a,b")
    assert code == 2 and "--seeds" in err


def test_retrain_defaults_to_seeds_the_study_never_used(tmp_path, capsys, monkeypatch):
    spec = tiny_spec(tmp_path)
    spec.write_text(spec.read_text().replace("budget: {n_trials: 2,", "budget: {n_trials: 1, seeds_per_trial: 2,"))
    assert run(capsys, spec, "--no-progress")[0] == 0
    seeds = []

    def fake_train(config, **_):
        seeds.append(config.system.seed)
        scores = {"boundary_f1": 0.5, "boundary_f1_relaxed_1": 0.6, "macro_f1": 0.7, "chorus_f1": 0.6,
                  "pk": 0.3, "windowdiff": 0.3}
        return TrainResult(history=[], best_epoch=1, val_metrics=scores, val_loss=1.0,
                           stop_reason="max_epochs", feature_dim=5, num_parameters=10, seconds=0.1)

    monkeypatch.setattr(runner._retrain, "train", fake_train)
    code, out, _ = run(capsys, "retrain", tmp_path / "out")
    assert code == 0 and seeds == [2, 3, 4]
    report = json.loads((tmp_path / "out" / "retrain.json").read_text())
    assert report["study_seeds"] == [0, 1] and report["seeds"] == [2, 3, 4]
    # A trial that never completed can be retrained too; it just has no study value.
    study = optuna.load_study(study_name="clidemo", storage=f"sqlite:///{tmp_path / 'out' / 'optuna_study.db'}")
    study.add_trial(optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED, params={"model.switch_penalty": 0.5},
        distributions={"model.switch_penalty": optuna.distributions.FloatDistribution(0.0, 2.0)}))
    code, out, _ = run(capsys, "retrain", tmp_path / "out", "--trial", 1, "--seeds", "7")
    assert code == 0 and "trial 1 (no study value: it did not complete) retrained on seeds 7" in out


def test_a_spec_with_a_final_step_retrains_once_when_the_study_is_done(tmp_path, capsys, monkeypatch):
    spec = tiny_spec(tmp_path)
    spec.write_text(spec.read_text() + "retrain: {seeds: 2, set: [data.test_fraction=0.2]}\n")
    runs = []

    def fake_train(config, **_):
        runs.append((config.system.seed, config.data.test_fraction))
        scores = {"boundary_f1": 0.5, "boundary_f1_relaxed_1": 0.6, "macro_f1": 0.7, "chorus_f1": 0.6,
                  "pk": 0.3, "windowdiff": 0.3}
        return TrainResult(history=[], best_epoch=1, val_metrics=scores, val_loss=1.0, test_metrics=scores,
                           stop_reason="max_epochs", feature_dim=5, num_parameters=10, seconds=0.1)

    monkeypatch.setattr(runner._retrain, "train", fake_train)
    code, out, _ = run(capsys, spec, "--no-progress")
    assert code == 0 and "retrained on seeds 1, 2" in out
    assert runs == [(1, 0.2), (2, 0.2)]  # the study trained on seed 0
    report = json.loads((tmp_path / "out" / "retrain.json").read_text())
    assert report["seeds"] == [1, 2] and report["test"]["macro_f1"]["mean"] == 0.7
    summary = (tmp_path / "out" / "hyperopt_summary.txt").read_text()
    assert "Retrained on seeds 1, 2 (retrain.json): val boundary_f1 0.5000 ± 0.0000, macro_f1 0.7000" in summary
    # Resuming a finished study neither trains more trials nor repeats the final step.
    code, out, _ = run(capsys, spec, "--no-progress")
    assert code == 0 and "retrained" not in out and len(runs) == 2


def test_data_features_computes_then_hits_the_cache(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEGRUN_CACHE_DIR", str(tmp_path / "cache"))
    songs = tmp_path / "songs.jsonl"
    run(capsys, "data", "synth", "--songs", 8, "--seed", 4, "-o", songs)
    code, first, _ = run(capsys, "data", "features", songs)
    assert code == 0 and "songs.jsonl: 8 songs" in first and "(computed)" in first and "dim " in first
    code, second, _ = run(capsys, "data", "features", songs)
    assert code == 0 and "(cached)" in second
