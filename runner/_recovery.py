"""Trials whose worker stopped: found, failed with a reason, re-run, and counted once.

A trial can end without its worker telling the storage: the process got SIGKILL (or the
kernel's out-of-memory killer), its host lost power or network. Each way a trial can be
abandoned has its finder; each fails the trial with a reason in ``segrun.failure`` and marks it
``segrun.retry``:

* Interrupted (SIGINT/SIGTERM): the worker fails its own trial, reason ``"interrupted"``
  (:func:`runner._trial.run_trial`).
* Dead worker on this host — :func:`fail_dead_local_trials`: every trial records its worker's
  host and PID; a RUNNING trial of this host whose process is gone, or whose PID now belongs to
  a process started after the trial, is failed at once by any live worker on the host or by the
  next ``segrun`` started there. Works for every storage.
* Silent worker anywhere — :func:`fail_silent_trials`: Optuna's heartbeat (relational storages).
  A RUNNING trial not refreshed for the grace period is failed by the next worker that looks,
  and Optuna's ``RetryHeartbeatStaleTrialCallback`` (:class:`RetrySilentTrial`) enqueues its
  parameters again.

Re-runs: :func:`enqueue_retries` enqueues the parameters of every other failed-for-retry trial
once. A re-run carries ``segrun.retry_of`` = the number of the trial it replaces. A
configuration is tried at most :data:`MAX_ATTEMPTS` times, so one that kills every worker
that runs it ends as an ordinary, counted failure instead of an endless loop.

Counting (:func:`count_done`): ``budget.n_trials`` is a total of finished trials; a failure
that was re-run (or will be) is replaced by its re-run and not counted itself.
"""

from __future__ import annotations

import copy
import logging
import os
import socket
import sys
import time
import warnings
from datetime import datetime, timedelta

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, TrialState

from runner._provenance import process_identity
from runner._pruning import primary_curve
from runner._spec import StudySpec, trial_config_document
from runner._storage import Heartbeat
from runner._trial import FAILURE_ATTR, RETRY_ATTR, VALUES_ATTR, WORKER_ATTR, trial_log_path
from segmodel.atomic import write_text_atomic
from segmodel.yamlconfig import dump_yaml, to_plain

__all__ = [
    "ENQUEUED_ATTR",
    "MAX_ATTEMPTS",
    "RETRY_OF_ATTR",
    "RetrySilentTrial",
    "count_done",
    "enqueue_retries",
    "fail_dead_local_trials",
    "fail_silent_trials",
    "tally",
]

logger = logging.getLogger(__name__)

RETRY_OF_ATTR = "segrun.retry_of"
ENQUEUED_ATTR = "segrun.enqueued"
MAX_ATTEMPTS = 3
"""Runs of one configuration at most: the first and two re-runs."""


def _attempt(trial: FrozenTrial, by_number: dict[int, FrozenTrial]) -> int:
    """1 for an original trial, 2 for its re-run, 3 for the re-run's re-run…"""
    attempt, seen = 1, {trial.number}
    parent = trial.user_attrs.get(RETRY_OF_ATTR)
    while parent is not None and parent in by_number and parent not in seen:
        attempt += 1
        seen.add(parent)
        parent = by_number[parent].user_attrs.get(RETRY_OF_ATTR)
    return attempt


def _rerun_pending(trial: FrozenTrial, by_number: dict[int, FrozenTrial], rerun: set[int]) -> bool:
    """Failed for retry, not re-run yet, attempts left."""
    return (
        bool(trial.user_attrs.get(RETRY_ATTR))
        and trial.number not in rerun
        and _attempt(trial, by_number) < MAX_ATTEMPTS
    )


def count_done(study: optuna.Study) -> int:
    """Trials that count toward ``budget.n_trials``.

    COMPLETE and PRUNED trials count; so does a FAIL, unless a re-run replaces it (one exists,
    or it is marked for retry and has attempts left).

    Example:
        >>> study = optuna.create_study()
        >>> _ = study.tell(study.ask(), 1.0)
        >>> interrupted = study.ask()
        >>> interrupted.set_user_attr("segrun.retry", True)
        >>> _ = study.tell(interrupted, state=TrialState.FAIL)
        >>> count_done(study)
        1
    """
    return tally(study.get_trials(deepcopy=False))[0]


def tally(trials: list[FrozenTrial]) -> tuple[int, int]:
    """``(done, failed)``: trials counted toward the budget (see :func:`count_done`), and how
    many of them are failures."""
    by_number = {t.number: t for t in trials}
    rerun = {t.user_attrs[RETRY_OF_ATTR] for t in trials if RETRY_OF_ATTR in t.user_attrs}
    done = failed = 0
    for trial in trials:
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            done += 1
        elif (trial.state == TrialState.FAIL and trial.number not in rerun
              and not _rerun_pending(trial, by_number, rerun)):
            done += 1
            failed += 1
    return done, failed


def rerun_status(trials: list[FrozenTrial]) -> tuple[dict[int, int], set[int]]:
    """``(rerun_by, pending)``: which trial re-ran each failed one, and which still will be."""
    by_number = {t.number: t for t in trials}
    rerun_by = {t.user_attrs[RETRY_OF_ATTR]: t.number for t in trials if RETRY_OF_ATTR in t.user_attrs}
    pending = {
        t.number for t in trials
        if t.state == TrialState.FAIL and _rerun_pending(t, by_number, set(rerun_by))
    }
    return rerun_by, pending


def enqueue_retries(study: optuna.Study, *, trials: list[FrozenTrial] | None = None) -> list[int]:
    """Enqueue the parameters of each failed-for-retry trial once; return their numbers.

    ``trials`` is a current snapshot of the study's trials, if the caller has one.
    """
    if trials is None:
        trials = study.get_trials(deepcopy=False)
    by_number = {t.number: t for t in trials}
    rerun = {t.user_attrs[RETRY_OF_ATTR] for t in trials if RETRY_OF_ATTR in t.user_attrs}
    retried = []
    for trial in trials:
        if trial.state == TrialState.FAIL and _rerun_pending(trial, by_number, rerun):
            study.enqueue_trial(dict(trial.params), user_attrs=_rerun_attrs(trial))
            retried.append(trial.number)
    return retried


def _rerun_attrs(trial: FrozenTrial) -> dict[str, object]:
    """What a re-run inherits: where it comes from, and whether the spec enqueued it."""
    attrs: dict[str, object] = {RETRY_OF_ATTR: trial.number}
    if trial.user_attrs.get(ENQUEUED_ATTR):
        attrs[ENQUEUED_ATTR] = True
    return attrs


class RetrySilentTrial:
    """Optuna's ``RetryHeartbeatStaleTrialCallback`` with segrun's bookkeeping.

    Optuna copies the failed trial's user attributes into the re-run; the re-run must not
    inherit the failure, the retry mark or the dead worker's curve, only ``segrun.retry_of``
    (and ``segrun.enqueued``), so it is counted and reported like any trial.
    """

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self._retry = RetryHeartbeatStaleTrialCallback(max_retry=MAX_ATTEMPTS - 1)

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
        if _attempt(trial, by_number) >= MAX_ATTEMPTS:
            logger.warning("trial %d failed %d times; not re-running it", trial.number, MAX_ATTEMPTS)
            return
        clean = copy.deepcopy(trial)
        clean.user_attrs = _rerun_attrs(trial)
        self._retry(study, clean)


def fail_silent_trials(spec: StudySpec, study: optuna.Study, heartbeat: Heartbeat | None) -> list[int]:
    """Fail RUNNING trials whose heartbeat stopped (any host); return their numbers.

    ``heartbeat`` is what the study's storage was opened with (None: no heartbeat, nothing to
    do). Each silent trial gets its reason and retry mark before Optuna's ``fail_stale_trials``
    fails it and calls the storage's :class:`RetrySilentTrial`.
    """
    if heartbeat is None:
        return []
    storage = study._storage
    grace = heartbeat.grace
    # Optuna offers no public query for "which trials are stale"; this is the one its own
    # fail_stale_trials uses. The reason must be written while the trial is still RUNNING.
    stale = [storage.get_trial(trial_id) for trial_id in storage._get_stale_trial_ids(study._study_id)]
    marked = []
    for trial in stale:
        worker = trial.user_attrs.get(WORKER_ATTR) or {}
        reason = (f"worker silent for over {grace}s (no heartbeat; host {worker.get('host')}, "
                  f"pid {worker.get('pid')})")
        if _mark_abandoned(study, trial, reason):
            _write_abandoned_log(spec, trial, reason)
            marked.append(trial.number)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    return marked


def fail_dead_local_trials(
    spec: StudySpec, study: optuna.Study, *, trials: list[FrozenTrial] | None = None
) -> list[int]:
    """Fail RUNNING trials of dead workers on this host (marked for retry); return their numbers.

    Called between trials: this process itself runs none, so a trial carrying its own PID was
    left by an earlier process that had the same PID (a restarted container). Trials of other
    hosts are left to their workers and to the heartbeat. ``trials`` is a current snapshot of
    the study's trials, if the caller has one.
    """
    host = socket.gethostname()
    failed = []
    if trials is None:
        trials = study.get_trials(deepcopy=False)
    for trial in [t for t in trials if t.state == TrialState.RUNNING]:
        worker = trial.user_attrs.get(WORKER_ATTR) or {}
        pid = int(worker.get("pid", -1))
        if worker.get("host") != host or _owner_alive(pid, trial.datetime_start):
            continue
        reason = f"worker died (host {host}, pid {pid})"
        if not _mark_abandoned(study, trial, reason):
            continue
        try:
            study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker failed it first
        _write_abandoned_log(spec, trial, reason)
        failed.append(trial.number)
    return failed


def _mark_abandoned(study: optuna.Study, trial: FrozenTrial, reason: str) -> bool:
    """Record the reason and the retry mark; False if the trial finished meanwhile."""
    try:
        study._storage.set_trial_user_attr(trial._trial_id, FAILURE_ATTR, reason)
        study._storage.set_trial_user_attr(trial._trial_id, RETRY_ATTR, True)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    return True


def _owner_alive(pid: int, trial_started: datetime | None) -> bool:
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    started = _process_start(pid)
    if started is None or trial_started is None:
        return True
    # A process that started after the trial cannot be the one running it: the PID was reused.
    return started <= trial_started + timedelta(seconds=2)


def _process_start(pid: int) -> datetime | None:
    """When process ``pid`` started (local time), where the system tells (Linux /proc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stream:
            # Field 22, counted after the parenthesised command name (which may hold spaces).
            ticks = int(stream.read().rpartition(")")[2].split()[19])
        with open("/proc/stat", encoding="ascii") as stream:
            boot = next(int(line.split()[1]) for line in stream if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"))


def _write_abandoned_log(spec: StudySpec, trial: FrozenTrial, reason: str) -> None:
    """The trial log its dead worker could not write, so every trial has one."""
    values = trial.user_attrs.get(VALUES_ATTR)
    config = to_plain(trial_config_document(spec, values)) if values is not None else None
    curve = primary_curve(trial)
    started = trial.datetime_start
    log = {
        "trial": trial.number,
        "state": "FAIL",
        "reason": reason,
        "values": None,
        "params": dict(trial.params),
        "seconds": round((datetime.now() - started).total_seconds(), 3) if started else None,
        "epochs": [{"epoch": epoch, spec.primary.metric: value} for epoch, value in enumerate(curve, 1)],
        "provenance": {
            "study": spec.name,
            "spec_fingerprint": spec.fingerprint,
            "worker": trial.user_attrs.get(WORKER_ATTR),
            "recorded_by": process_identity(),
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        },
        "config": config,
    }
    write_text_atomic(trial_log_path(spec.results_dir, trial.number), dump_yaml(log))
