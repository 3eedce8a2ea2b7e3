"""Faults a real cluster produces, injected into real segrun processes.

Each test breaks a running worker (SIGKILL, SIGINT, SIGTERM, a silent host, a kill during
export) and checks that the study still reaches its total with no trial lost or duplicated: the
broken trial appears once as FAIL with its reason and once re-run with the same parameters.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

import optuna
import pytest
import torch
from optuna.trial import TrialState
from ruamel.yaml import YAML

import runner._trial
from _studykit import (
    finish,
    load_study,
    postgres_url_or_skip,
    reruns_of,
    running_trial,
    segrun,
    wait_for,
    write_study,
)
from runner._exports import write_exports
from runner._recovery import MAX_ATTEMPTS, _owner_alive, count_done, enqueue_retries
from runner._spec import load_spec
from runner._study import run_study
from runner._trial import trial_log_path
from segmodel.trainer import EpochMetrics, TrainResult

HOST = socket.gethostname()


def log_of(spec_path, number) -> dict:
    return YAML(typ="safe").load(trial_log_path(spec_path.parent / "results", number).read_text())


def assert_replaced_once(study: optuna.Study, broken: int, reason: str, *, n_trials: int) -> None:
    """The broken trial is FAIL with ``reason``, re-run exactly once with its parameters, and the
    study holds exactly its total plus the broken trial."""
    trials = study.get_trials(deepcopy=False)
    failed = trials[broken]
    assert failed.state == TrialState.FAIL and failed.user_attrs["segrun.failure"] == reason
    (rerun,) = reruns_of(study, broken)
    assert rerun.state == TrialState.COMPLETE and rerun.params == failed.params
    assert count_done(study) == n_trials and len(trials) == n_trials + 1
    assert sorted(t.number for t in trials) == list(range(n_trials + 1))


def test_a_sigkilled_worker_s_trial_is_failed_and_rerun_by_the_next_start(tmp_path):
    spec = write_study(tmp_path, n_trials=3)
    worker = segrun("worker", spec, "--no-progress", cwd=tmp_path)
    trial = wait_for(running_trial(spec), what="a trial in training")
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    code, out, err = finish(segrun(spec, "--no-progress", cwd=tmp_path))
    assert code == 0, err
    assert "3/3 trials done" in out and "abandoned by their workers; they will be re-run" in err
    study = load_study(spec)
    reason = f"worker died (host {HOST}, pid {worker.pid})"
    assert_replaced_once(study, trial.number, reason, n_trials=3)
    # The dead worker could not write its trial's log; the worker that found it did.
    log = log_of(spec, trial.number)
    assert log["state"] == "FAIL" and log["reason"] == reason and log["provenance"]["worker"]["pid"] == worker.pid
    assert all(trial_log_path(spec.parent / "results", t.number).is_file() for t in study.trials)


def test_a_sigkilled_child_of_workers_is_replaced_and_its_trial_rerun_by_a_live_worker(tmp_path):
    spec = write_study(tmp_path, n_trials=4)
    parent = segrun(spec, "--workers", 2, "--no-progress", cwd=tmp_path)
    trial = wait_for(running_trial(spec), what="a trial in training")
    child = trial.user_attrs["segrun.worker"]["pid"]
    os.kill(child, signal.SIGKILL)

    code, out, err = finish(parent)
    assert code == 0, err
    assert "4/4 trials done" in out
    assert_replaced_once(load_study(spec), trial.number, f"worker died (host {HOST}, pid {child})", n_trials=4)
    assert f"trial {trial.number}: fail (worker died" in err  # the parent's display shows it


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_silent_worker_on_another_host_is_failed_by_heartbeat_and_rerun(tmp_path, backend):
    storage = postgres_url_or_skip() if backend == "postgresql" else None
    spec = write_study(tmp_path, name=f"silent-{uuid.uuid4().hex[:8]}", n_trials=3, storage=storage)
    worker = segrun("worker", spec, "--no-progress", "--heartbeat", 1, cwd=tmp_path)
    trial = wait_for(running_trial(spec), what="a trial in training")
    # Make the trial look like another host's, where no PID check can reach: only the heartbeat can.
    study = load_study(spec)
    study._storage.set_trial_user_attr(trial._trial_id, "segrun.worker", {"host": "elsewhere", "pid": 1})
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    started = time.monotonic()
    code, out, err = finish(segrun("worker", spec, "--no-progress", "--heartbeat", 1, cwd=tmp_path))
    assert code == 0, err
    study = load_study(spec)
    assert_replaced_once(study, trial.number, "worker silent for over 3s (no heartbeat; host elsewhere, pid 1)",
                         n_trials=3)
    (rerun,) = reruns_of(study, trial.number)
    # Optuna's RetryHeartbeatStaleTrialCallback made the re-run, and segrun left it clean.
    assert rerun.system_attrs["failed_trial"] == trial.number
    assert "segrun.failure" not in rerun.user_attrs and "segrun.retry" not in rerun.user_attrs
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_sigint_and_sigterm_end_the_trial_cleanly_and_the_next_run_reruns_it(tmp_path, signum, status):
    spec = write_study(tmp_path, n_trials=2)
    run = segrun(spec, "--no-progress", cwd=tmp_path)
    trial = wait_for(running_trial(spec), what="a trial in training")
    run.send_signal(signum)
    code, out, err = finish(run)
    assert code == status, err
    assert "Traceback" not in err and "will be re-run by `segrun" in out
    results = json.loads((tmp_path / "results" / "hyperopt_results.json").read_text())
    record = next(t for t in results["trials"] if t["number"] == trial.number)
    assert record["state"] == "FAIL" and record["failure_reason"] == "interrupted"
    assert log_of(spec, trial.number)["reason"] == "interrupted"
    if signum == signal.SIGTERM:
        return  # the re-run does not depend on which signal it was; once is enough (time)

    code, out, err = finish(segrun(spec, "--no-progress", cwd=tmp_path))
    assert code == 0, err
    assert_replaced_once(load_study(spec), trial.number, "interrupted", n_trials=2)


def test_sigterm_to_the_workers_parent_stops_every_child_cleanly(tmp_path):
    spec = write_study(tmp_path, n_trials=6)
    parent = segrun(spec, "--workers", 2, "--no-progress", cwd=tmp_path)
    wait_for(running_trial(spec), what="a trial in training")
    parent.send_signal(signal.SIGTERM)
    code, out, err = finish(parent)
    assert code == 143, err
    study = load_study(spec)
    assert study.get_trials(states=(TrialState.RUNNING,)) == []
    interrupted = [t for t in study.trials if t.state == TrialState.FAIL]
    assert interrupted and all(t.user_attrs["segrun.failure"] == "interrupted" for t in interrupted)
    assert json.loads((tmp_path / "results" / "hyperopt_results.json").read_text())["trials"]


KILLED_MID_EXPORT = """\
import pathlib, sys, time
import optuna
from runner._exports import write_exports
from runner._spec import load_spec
from runner._storage import open_storage

spec = load_spec(sys.argv[1])
study = optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage))
write_text = pathlib.Path.write_text
calls = []

def write_half_then_hang(self, text, *args, **kwargs):
    calls.append(self)
    if len(calls) < 2:
        return write_text(self, text, *args, **kwargs)
    write_text(self, text[: len(text) // 2], *args, **kwargs)  # a torn temporary file
    print("paused in", self, flush=True)
    time.sleep(60)

pathlib.Path.write_text = write_half_then_hang
write_exports(spec, study)
"""


def test_a_kill_during_export_leaves_the_previous_files_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(runner._trial, "train", fake_train([0.3, 0.4]))
    spec_path = write_study(tmp_path, n_trials=1, epochs=2)
    spec = load_spec(spec_path)
    write_exports(spec, run_study(spec, progress=False).study)
    spec = load_spec(write_study(tmp_path, n_trials=2, epochs=2))
    study = run_study(spec, progress=False).study  # a second trial: the next export differs
    out = tmp_path / "results"
    before = {p.name: p.read_text() for p in out.iterdir() if p.is_file() and p.suffix in {".json", ".yaml", ".txt"}}

    script = tmp_path / "export.py"
    script.write_text(KILLED_MID_EXPORT)
    child = subprocess.Popen([sys.executable, str(script), str(spec_path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().startswith("paused in")
    child.send_signal(signal.SIGKILL)
    child.wait()

    after = {p.name: p.read_text() for p in out.iterdir() if p.is_file() and p.suffix in {".json", ".yaml", ".txt"}}
    assert set(after) == set(before)
    results = json.loads(after["hyperopt_results.json"])  # replaced before the kill: the new one
    assert len(results["trials"]) == 2 and count_done(study) == 2
    YAML(typ="safe").load(after["best_config.yaml"])
    changed = [name for name in after if after[name] != before[name]]
    assert changed == ["hyperopt_results.json"]  # the file being written when killed is the old one
    assert any(p.name.endswith(".tmp") for p in out.iterdir())  # its torn temporary is left aside


def fake_train(curve, *, epoch_seconds=0.0, error=None):
    """Stands in for segmodel.trainer.train: reports ``curve``, or raises ``error`` first."""

    def train(config, *, on_epoch=None, **_):
        if error is not None:
            raise error
        history = []
        for epoch, value in enumerate(curve[: config.training.max_epochs], start=1):
            time.sleep(epoch_seconds)
            metrics = EpochMetrics(epoch=epoch, train_loss=1.0, val_loss=1.0 - value, learning_rate=0.01,
                                   seconds=epoch_seconds, val={"boundary_f1": value, "macro_f1": value,
                                                               "chorus_f1": value, "chorus_rate": 0.3},
                                   num_parameters=10)
            history.append(metrics)
            if on_epoch is not None:
                on_epoch(metrics)
        return TrainResult(history=history, best_epoch=len(history), val_metrics=history[-1].val,
                           val_loss=history[-1].val_loss, stop_reason="max_epochs", feature_dim=5,
                           num_parameters=10, seconds=0.1)

    return train


def test_trial_timeout_and_out_of_memory_fail_that_trial_and_the_worker_goes_on(tmp_path, monkeypatch):
    slow = fake_train([0.1] * 5, epoch_seconds=0.1)
    oom = fake_train([], error=torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    fast = fake_train([0.5, 0.6])
    trains = iter([slow, oom, fast])
    monkeypatch.setattr(runner._trial, "train", lambda config, **kw: next(trains)(config, **kw))
    run = run_study(load_spec(write_study(tmp_path, n_trials=3, epochs=5, trial_timeout=0.15)), progress=False)
    assert run.stop_reason == "n_trials"
    reasons = [t.user_attrs.get("segrun.failure") for t in run.study.trials]
    assert [t.state for t in run.study.trials] == [TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE]
    # Which epoch crosses 0.15 s depends on machine load (each fake epoch sleeps 0.1 s): the
    # reason must name it, the epochs it ran must be kept, and it must stop well before 5.
    timed_out = re.fullmatch(r"TrialTimeout: trial timeout of 0\.15s reached after epoch (\d)", reasons[0])
    assert timed_out is not None and int(timed_out.group(1)) in (1, 2)
    assert reasons[1] == "out of memory: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert run.study.trials[0].user_attrs["segrun.epochs"] == int(timed_out.group(1))


def test_a_sequential_seeded_study_on_cpu_is_reproducible(tmp_path):
    def run(folder):
        spec = load_spec(write_study(folder, n_trials=3, epochs=2,
                                     sampler="{type: tpe, n_startup_trials: 2, multivariate: true}"))
        return [(t.params, t.values) for t in run_study(spec, progress=False).study.trials]

    first, second = run(tmp_path / "a"), run(tmp_path / "b")
    assert first == second
    assert len({json.dumps(params, sort_keys=True) for params, _ in first}) == 3  # really sampled


def failed_for_retry(study: optuna.Study, *, retry_of: int | None = None) -> int:
    trial = study.ask()
    if retry_of is not None:
        trial.set_user_attr("segrun.retry_of", retry_of)
    trial.set_user_attr("segrun.retry", True)
    study.tell(trial, state=TrialState.FAIL)
    return trial.number


def test_an_interrupted_trial_is_enqueued_once_and_replaced_by_its_rerun():
    study = optuna.create_study()
    study.tell(study.ask(), 1.0)
    first = failed_for_retry(study)
    assert count_done(study) == 1
    assert enqueue_retries(study) == [first] and enqueue_retries(study) == []
    rerun = study.ask()
    assert rerun.user_attrs["segrun.retry_of"] == first
    study.tell(rerun, 2.0)
    assert count_done(study) == 2


def test_a_configuration_that_keeps_killing_its_worker_is_given_up_after_max_attempts():
    study = optuna.create_study()
    number = failed_for_retry(study)
    for _ in range(MAX_ATTEMPTS - 1):
        assert enqueue_retries(study) == [number] and count_done(study) == 0
        study.ask()  # pops the enqueued re-run; it dies like the original
        number = failed_for_retry(study, retry_of=number)
    assert enqueue_retries(study) == []
    assert count_done(study) == 1  # the last attempt counts as an ordinary failure


def test_a_worker_is_dead_when_its_pid_is_gone_or_reused():
    now = datetime.now()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert _owner_alive(sleeper.pid, now + timedelta(seconds=5))  # started before the trial
        # A trial started an hour ago cannot belong to a process started a moment ago.
        assert not _owner_alive(sleeper.pid, now - timedelta(hours=1))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not _owner_alive(sleeper.pid, now)
    assert not _owner_alive(os.getpid(), now)  # between trials this process runs none
