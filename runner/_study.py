"""Creating, resuming and running a study until its total is reached.

The study is the storage's: every worker — this process, another process, another machine —
reads the same trials, so "how many trials are done" is always asked of the storage, never
counted locally. ``budget.n_trials`` is a total across runs and resumes: finished trials
(complete, pruned, failed) count, except failures marked for retry (an interrupted run or a
dead worker says nothing about the parameters), whose parameters are run again.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from runner._factories import build_pruner, build_sampler
from runner._provenance import mask_storage_url
from runner._spec import StudySpec
from runner._trial import (
    FAILURE_ATTR,
    RETRY_ATTR,
    WORKER_ATTR,
    Interrupted,
    TrialOutcome,
    run_trial,
)
from segmodel.errors import InputError

__all__ = ["StudyRun", "count_done", "open_study", "run_study"]

logger = logging.getLogger(__name__)

FINGERPRINT_ATTR = "segrun.fingerprint"
SPEC_ATTR = "segrun.spec"
RETRY_OF_ATTR = "segrun.retry_of"


@dataclass
class StudyRun:
    """What one ``segrun SPEC`` invocation did."""

    study: optuna.Study
    outcomes: list[TrialOutcome]
    stop_reason: str
    seconds: float
    exit_code: int = 0


def _storage(spec: StudySpec) -> optuna.storages.BaseStorage | str:
    if spec.storage.startswith("sqlite:///"):
        spec.results_dir.mkdir(parents=True, exist_ok=True)
        # A generous timeout: several local workers may write to one SQLite file.
        return optuna.storages.RDBStorage(spec.storage, engine_kwargs={"connect_args": {"timeout": 60}})
    return spec.storage


def open_study(spec: StudySpec, *, allow_spec_change: bool = False) -> optuna.Study:
    """Create the study or load it; refuse a changed spec unless ``allow_spec_change``.

    Raises:
        InputError: the stored study was made from a different spec (with a readable diff), or
            the storage cannot be opened.
    """
    try:
        study = optuna.create_study(
            study_name=spec.name,
            storage=_storage(spec),
            sampler=build_sampler(spec),
            pruner=build_pruner(spec),
            directions=spec.directions,
            load_if_exists=True,
        )
    except ValueError as error:
        raise InputError(f"cannot open study {spec.name!r}: {error}", path=spec.path, key="study") from None
    except Exception as error:  # noqa: BLE001 - storage errors (connection, driver) are user-facing
        raise InputError(
            f"cannot open storage {mask_storage_url(spec.storage)}: {type(error).__name__}: {error}",
            path=spec.path, key="study.storage",
        ) from None
    stored = study.user_attrs.get(FINGERPRINT_ATTR)
    if stored is None:
        study.set_user_attr(FINGERPRINT_ATTR, spec.fingerprint)
        study.set_user_attr(SPEC_ATTR, spec.normalized())
        for values in spec.enqueue:
            study.enqueue_trial(dict(values), user_attrs={"segrun.enqueued": True}, skip_if_exists=True)
    elif stored != spec.fingerprint:
        if not allow_spec_change:
            diff = _spec_diff(study.user_attrs.get(SPEC_ATTR, {}), spec.normalized())
            raise InputError(
                f"study {spec.name!r} in {mask_storage_url(spec.storage)} was created from a different "
                f"spec; resuming would mix incomparable trials. Changes:\n{diff}\n"
                "Pass --allow-spec-change to continue anyway, or --fork NEW_NAME to start a new study "
                "from this spec.",
                path=spec.path,
            )
        logger.warning("spec changed since the study was created; continuing (--allow-spec-change)")
        study.set_user_attr(FINGERPRINT_ATTR, spec.fingerprint)
        study.set_user_attr(SPEC_ATTR, spec.normalized())
    return study


def _spec_diff(old: dict, new: dict) -> str:
    before = json.dumps(old, indent=2, sort_keys=True, default=str).splitlines()
    after = json.dumps(new, indent=2, sort_keys=True, default=str).splitlines()
    lines = difflib.unified_diff(before, after, "stored spec", "this spec", lineterm="", n=1)
    return "\n".join(lines)


def count_done(study: optuna.Study) -> int:
    """Trials that count toward ``budget.n_trials`` (see the module docstring)."""
    done = 0
    for trial in study.get_trials(deepcopy=False):
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            done += 1
        elif trial.state == TrialState.FAIL and not trial.user_attrs.get(RETRY_ATTR):
            done += 1
    return done


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_stale_trials(study: optuna.Study) -> list[int]:
    """Fail RUNNING trials of dead local workers (marked for retry); return their numbers.

    A worker records its host and PID on each trial. A RUNNING trial on this host whose process
    is gone can never finish: it is told FAIL with reason "worker died". Trials of other hosts
    are left to their own workers (and, on PostgreSQL, to Optuna's heartbeat).
    """
    storage = study._storage
    host = socket.gethostname()
    recovered = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR) or {}
        if worker.get("host") != host or _process_alive(int(worker.get("pid", -1))):
            continue
        storage.set_trial_user_attr(trial._trial_id, FAILURE_ATTR, f"worker died (pid {worker.get('pid')})")
        storage.set_trial_user_attr(trial._trial_id, RETRY_ATTR, True)
        try:
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except RuntimeError:
            continue  # finished meanwhile: another worker got there first
        recovered.append(trial.number)
    return recovered


def enqueue_retries(study: optuna.Study) -> list[int]:
    """Enqueue the parameters of failed-for-retry trials once each; return their numbers.

    A finished trial cannot be updated, so "already retried" is read from the retries
    themselves: each carries ``segrun.retry_of`` = the number of the trial it re-runs.
    """
    trials = study.get_trials(deepcopy=False)
    already = {t.user_attrs.get(RETRY_OF_ATTR) for t in trials}
    retried = []
    for trial in trials:
        if trial.state != TrialState.FAIL or not trial.user_attrs.get(RETRY_ATTR) or trial.number in already:
            continue
        study.enqueue_trial(dict(trial.params), user_attrs={RETRY_OF_ATTR: trial.number})
        retried.append(trial.number)
    return retried


@contextlib.contextmanager
def _signals_raise_interrupted() -> Iterator[None]:
    """SIGINT/SIGTERM become :class:`Interrupted` (exit 130/143) so the trial ends cleanly."""

    def handler(signum, _frame):
        raise Interrupted(128 + signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _running_elsewhere(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def run_study(
    spec: StudySpec,
    *,
    allow_spec_change: bool = False,
    progress: bool = True,
    on_trial_end=None,
) -> StudyRun:
    """Run trials until the study's total, the timeout or the failure budget is reached.

    ``on_trial_end(study, outcome)`` is called after every trial (the CLI rewrites the exports).
    """
    started = time.perf_counter()
    study = open_study(spec, allow_spec_change=allow_spec_change)
    stale = recover_stale_trials(study)
    if stale:
        logger.warning("trials %s belonged to workers that died; they will be re-run", stale)
    retried = enqueue_retries(study)
    if retried:
        logger.info("re-running interrupted trials %s", retried)
    outcomes: list[TrialOutcome] = []
    budget = spec.budget
    bar = _ProgressBar(spec, study, enabled=progress)
    stop_reason, exit_code = "n_trials", 0
    try:
        with _signals_raise_interrupted():
            while True:
                done = count_done(study)
                bar.refresh(done)
                if done + _running_elsewhere(study) >= budget.n_trials:
                    stop_reason = "n_trials"
                    break
                if budget.timeout is not None and time.perf_counter() - started >= budget.timeout:
                    stop_reason = "timeout"
                    break
                failed = sum(
                    1 for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
                    if not t.user_attrs.get(RETRY_ATTR)
                )
                if budget.max_failed_trials is not None and failed >= budget.max_failed_trials:
                    stop_reason = "max_failed_trials"
                    logger.error("stopping: %d trials failed (budget.max_failed_trials)", failed)
                    break
                trial = study.ask()
                bar.start_trial(trial)
                outcome = run_trial(spec, study, trial, on_epoch=bar.epoch)
                outcomes.append(outcome)
                bar.end_trial(outcome)
                if on_trial_end is not None:
                    on_trial_end(study, outcome)
    except Interrupted as interrupt:
        stop_reason, exit_code = "interrupted", interrupt.exit_code
    except KeyboardInterrupt:
        stop_reason, exit_code = "interrupted", 130
    finally:
        bar.close()
    return StudyRun(study, outcomes, stop_reason, time.perf_counter() - started, exit_code)


class _ProgressBar:
    """Trials done/total, best value so far and the running trial's epoch, on one line."""

    def __init__(self, spec: StudySpec, study: optuna.Study, *, enabled: bool) -> None:
        self.spec = spec
        self.study = study
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=spec.budget.n_trials, desc=spec.name, unit="trial", dynamic_ncols=True)
        self.best: float | None = None
        self._update_best()

    def _update_best(self) -> None:
        maximize = self.spec.primary.direction == "maximize"
        values = [t.values[0] for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
        if values:
            self.best = max(values) if maximize else min(values)

    def refresh(self, done: int) -> None:
        if self.bar is not None:
            self.bar.n = min(done, self.bar.total)
            self.bar.refresh()

    def _postfix(self, **extra) -> None:
        if self.bar is not None:
            best = f"{self.best:.4f}" if self.best is not None else "-"
            self.bar.set_postfix(best=best, **extra)

    def start_trial(self, trial: optuna.Trial) -> None:
        self._postfix(trial=trial.number, epoch=0)

    def epoch(self, trial: optuna.Trial, metrics) -> None:
        self._postfix(trial=trial.number, epoch=f"{metrics.epoch}/{self.spec.budget.epochs_max}",
                      value=f"{metrics.flat()[self.spec.primary.metric]:.4f}")

    def end_trial(self, outcome: TrialOutcome) -> None:
        self._update_best()
        detail = outcome.state.name.lower()
        if outcome.values:
            detail += f" {outcome.values[0]:.4f}"
        elif outcome.reason:
            detail += f" ({outcome.reason[:60]})"
        if self.bar is not None:
            self.bar.write(f"trial {outcome.number}: {detail} in {outcome.seconds:.1f}s")
        else:
            logger.info("trial %d: %s in %.1fs", outcome.number, detail, outcome.seconds)
        self._postfix()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
