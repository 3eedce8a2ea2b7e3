"""Several workers on one study: the plan for --workers/--gpus, local children, PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from optuna.trial import TrialState
from ruamel.yaml import YAML

from _studykit import finish, load_study, postgres_url_or_skip, segrun, write_study
from runner._commands import _load_spec
from runner._spec import load_spec, trial_config_document
from runner._trial import trial_log_path
from runner._workers import available_cpus, parse_gpus, plan_workers, with_runtime
from runner.cli import main
from segmodel.errors import InputError


def test_one_worker_per_gpu_each_with_its_own_visible_device_and_a_share_of_the_cpus():
    slots = plan_workers(gpus=parse_gpus("0,1,2,3"), cpu_count=16)
    assert [(s.index, s.gpu, s.threads) for s in slots] == [(0, "0", 4), (1, "1", 4), (2, "2", 4), (3, "3", 4)]
    environment = slots[2].environment({"PATH": "/bin", "CUDA_VISIBLE_DEVICES": "0,1,2,3"})
    assert environment == {"PATH": "/bin", "CUDA_VISIBLE_DEVICES": "2", "OMP_NUM_THREADS": "4", "MKL_NUM_THREADS": "4"}
    # Inside the child its one GPU is cuda:0, whatever device the base config names.
    assert slots[2].options() == ["--threads", "4", "--device", "cuda"]


def test_more_workers_than_gpus_share_them_in_turn_and_cpu_workers_get_one_thread_at_least():
    slots = plan_workers(workers=5, gpus=["0", "1"], cpu_count=8)
    assert [s.gpu for s in slots] == ["0", "1", "0", "1", "0"] and {s.threads for s in slots} == {1}
    cpu = plan_workers(workers=2, cpu_count=2)
    assert [(s.gpu, s.threads) for s in cpu] == [(None, 1), (None, 1)]
    assert "CUDA_VISIBLE_DEVICES" not in cpu[0].environment({}) and cpu[0].options() == ["--threads", "1"]


@pytest.mark.parametrize(("arguments", "message"), [
    ({"workers": 0}, "--workers must be at least 1, got 0"),
    ({"workers": 1, "gpus": ["0", "1"]}, "2 GPUs but only 1 workers"),
])
def test_impossible_worker_plans_are_refused(arguments, message):
    with pytest.raises(InputError, match=message):
        plan_workers(cpu_count=4, **arguments)


def test_a_malformed_gpu_list_is_a_usage_error(tmp_path, capsys):
    spec = write_study(tmp_path)
    assert main(["run", str(spec), "--gpus", "0,,1"]) == 2
    assert "--gpus wants a comma-separated list like 0,1,2, got '0,,1'" in capsys.readouterr().err


def test_runtime_settings_of_a_worker_leave_the_study_unchanged(tmp_path):
    spec = load_spec(write_study(tmp_path))
    worker = with_runtime(spec, threads=3, device="cuda")
    document = trial_config_document(worker, {"training.learning_rate": 0.005})
    assert document["system"]["threads"] == 3 and document["system"]["device"] == "cuda"
    assert worker.fingerprint == spec.fingerprint and spec.base_document["system"]["threads"] == 1


def test_storage_comes_from_the_option_then_the_spec_then_segrun_storage(tmp_path, monkeypatch):
    default = write_study(tmp_path / "a")
    explicit = write_study(tmp_path / "b", storage="sqlite:///from-spec.db")
    monkeypatch.setenv("SEGRUN_STORAGE", "sqlite:///from-environment.db")
    assert _load_spec(default, None).storage == "sqlite:///from-environment.db"
    assert _load_spec(explicit, None).storage == "sqlite:///from-spec.db"
    assert _load_spec(explicit, "sqlite:///from-option.db").storage == "sqlite:///from-option.db"
    monkeypatch.delenv("SEGRUN_STORAGE")
    assert _load_spec(default, None).storage.endswith("/a/results/optuna_study.db")


def assert_exactly(study, n_trials: int, results: Path) -> None:
    """Exactly ``n_trials`` complete trials numbered 0..n-1, each with its log file."""
    trials = study.get_trials(deepcopy=False)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * n_trials
    assert sorted(t.number for t in trials) == list(range(n_trials))
    assert all(trial_log_path(results, t.number).is_file() for t in trials)


def test_workers_run_one_study_in_separate_processes_with_one_display(tmp_path):
    spec = write_study(tmp_path, n_trials=6)
    code, out, err = finish(segrun(spec, "--workers", 2, "--no-progress", cwd=tmp_path))
    assert code == 0, err
    assert "6/6 trials done (n_trials)" in out
    results = tmp_path / "results"
    study = load_study(spec)
    assert_exactly(study, 6, results)
    pids = {t.user_attrs["segrun.worker"]["pid"] for t in study.trials}
    assert len(pids) == 2  # two processes shared the work
    # The parent shows every trial once, naming the worker that ran it.
    shown = re.findall(r"^trial (\d+): complete [0-9.]+ in [0-9.]+s \(worker [01]\)$", err, re.MULTILINE)
    assert sorted(map(int, shown)) == list(range(6))
    threads = max(1, available_cpus() // 2)
    for number in range(6):
        log = YAML(typ="safe").load(trial_log_path(results, number).read_text())
        assert log["config"]["system"]["threads"] == threads
    assert len(json.loads((results / "hyperopt_results.json").read_text())["trials"]) == 6
    assert sorted(p.name for p in (results / "workers").iterdir()) == ["worker-0.log", "worker-1.log"]


def test_two_workers_on_postgresql_finish_exactly_the_total_and_never_show_the_password(tmp_path):
    url = postgres_url_or_skip()
    password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    template = url.replace(f":{password}@", ":${SEGRUN_TEST_DB_PASSWORD}@")
    spec = write_study(tmp_path, name=f"pg-{uuid.uuid4().hex[:8]}", n_trials=5)
    environment = {"SEGRUN_TEST_DB_PASSWORD": password}
    # Like two hosts: each its own process; one writes the result files at its end, both write trial logs.
    workers = [segrun("worker", spec, "--storage", template, "--no-progress", *extra, cwd=tmp_path, env=environment)
               for extra in ([], ["--no-export"])]
    outputs = [finish(worker) for worker in workers]
    assert [code for code, _, _ in outputs] == [0, 0], outputs
    study = load_study(spec, storage=url)
    assert_exactly(study, 5, tmp_path / "results")
    files = [p for p in (tmp_path / "results").rglob("*") if p.suffix in {".json", ".yaml", ".txt"}]
    written = "".join(out + err for _, out, err in outputs) + "".join(p.read_text() for p in files)
    assert password not in written and "optuna_study.db" not in written
