"""Creating, resuming and running a study until its total is reached.

The study is the storage's: every worker — this process, another process, another machine —
reads the same trials, so "how many trials are done" is always asked of the storage, never
counted locally. ``budget.n_trials`` is a total across runs, resumes and workers: finished
trials (complete, pruned, failed) count, except failures that are re-run (an interrupted run
or a dead worker says nothing about the parameters; see :mod:`runner._recovery`).

Several workers on one study: each one, between trials and under the study's lock
(:func:`runner._storage.budget_lock`), fails abandoned trials, enqueues their re-runs, counts,
and starts a trial only if the total is not yet reached by finished and running trials. A worker
whose remaining budget is held by trials running elsewhere waits for them instead of leaving,
so it can take over the re-run of one whose worker dies. Each running trial has a heartbeat.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType

import optuna
from optuna.trial import FrozenTrial, TrialState

from runner._factories import build_pruner, build_sampler
from runner._provenance import mask_storage_url, process_identity
from runner._recovery import (
    ENQUEUED_ATTR,
    RetrySilentTrial,
    count_done,
    enqueue_retries,
    fail_dead_local_trials,
    fail_silent_trials,
    tally,
)
from runner._spec import StudySpec
from runner._storage import DEFAULT_HEARTBEAT, Heartbeat, budget_lock, expand_storage_url, open_storage, scrub_password
from runner._trial import WORKER_ATTR, Interrupted, TrialOutcome, run_trial
from segmodel.errors import InputError

__all__ = ["StudyRun", "count_done", "open_study", "run_study"]

logger = logging.getLogger(__name__)

FINGERPRINT_ATTR = "segrun.fingerprint"
SPEC_ATTR = "segrun.spec"
WAIT_SECONDS = 2.0
"""How often a worker waiting for trials running elsewhere looks at the study again."""


@dataclass
class StudyRun:
    """What one ``segrun SPEC`` invocation did."""

    study: optuna.Study
    outcomes: list[TrialOutcome]
    stop_reason: str
    seconds: float
    exit_code: int = 0


def open_study(
    spec: StudySpec, *, allow_spec_change: bool = False, heartbeat: Heartbeat | None = DEFAULT_HEARTBEAT
) -> optuna.Study:
    """Create the study or load it; refuse a changed spec unless ``allow_spec_change``.

    Creation happens under the study's lock, so workers started together create it (and
    enqueue the spec's trials) exactly once.

    Raises:
        InputError: the stored study was made from a different spec (with a readable diff), or
            the storage cannot be opened (the message never shows a password).
    """
    try:
        storage = open_storage(spec.storage, heartbeat=heartbeat, stale_trial_callback=RetrySilentTrial())
        with budget_lock(storage, spec.name):
            study = optuna.create_study(
                study_name=spec.name,
                storage=storage,
                sampler=build_sampler(spec),
                pruner=build_pruner(spec),
                directions=spec.directions,
                load_if_exists=True,
            )
            _check_fingerprint(spec, study, allow_spec_change=allow_spec_change)
    except InputError as error:
        raise InputError(error.message, path=error.path or spec.path, key=error.key) from None
    except ValueError as error:
        raise InputError(f"cannot open study {spec.name!r}: {error}", path=spec.path, key="study") from None
    except Exception as error:  # noqa: BLE001 - storage errors (connection, driver) are user-facing
        detail = scrub_password(f"{type(error).__name__}: {error}", _expanded_or_raw(spec.storage))
        raise InputError(
            f"cannot open storage {mask_storage_url(spec.storage)}: {detail}", path=spec.path, key="study.storage"
        ) from None
    return study


def _expanded_or_raw(url: str) -> str:
    try:
        return expand_storage_url(url)
    except InputError:
        return url


def _check_fingerprint(spec: StudySpec, study: optuna.Study, *, allow_spec_change: bool) -> None:
    stored = study.user_attrs.get(FINGERPRINT_ATTR)
    if stored is None:
        study.set_user_attr(FINGERPRINT_ATTR, spec.fingerprint)
        study.set_user_attr(SPEC_ATTR, spec.normalized())
        for values in spec.enqueue:
            study.enqueue_trial(dict(values), user_attrs={ENQUEUED_ATTR: True}, skip_if_exists=True)
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


def _spec_diff(old: dict, new: dict) -> str:
    before = json.dumps(old, indent=2, sort_keys=True, default=str).splitlines()
    after = json.dumps(new, indent=2, sort_keys=True, default=str).splitlines()
    lines = difflib.unified_diff(before, after, "stored spec", "this spec", lineterm="", n=1)
    return "\n".join(lines)


class _StopSignals:
    """SIGINT/SIGTERM become :class:`Interrupted` (exit 130/143) so the running trial ends cleanly.

    Raising at an arbitrary point is not safe: an exception thrown into a database call leaves
    its connection holding locks (SQLite then refuses every other write, the trial's own
    failure record included). So the exception is raised at once only while the main thread is
    inside segmodel's training code; a signal that arrives in storage or bookkeeping code is
    raised at the next :meth:`checkpoint` (the end of the epoch, or between trials). The first
    signal counts; later ones are logged and ignored, so an impatient second Ctrl-C cannot cut
    the clean end short.
    """

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self._raised = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.exit_code is not None:
            logger.warning("already stopping: finishing the running trial's record")
            return
        self.exit_code = 128 + signum
        if _in_training(frame):
            self.checkpoint()
        logger.warning("stopping at the next safe point (the end of the running epoch)")

    def checkpoint(self) -> None:
        """Raise :class:`Interrupted` if a signal arrived and it was not raised yet."""
        if self.exit_code is not None and not self._raised:
            self._raised = True
            raise Interrupted(self.exit_code)

    def installed(self) -> contextlib.AbstractContextManager[None]:
        return handling_signals(self._handle)


@contextlib.contextmanager
def handling_signals(handler) -> Iterator[None]:
    """SIGINT and SIGTERM go to ``handler`` inside the block; the old handlers come back after."""
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


_BOOKKEEPING_PACKAGES = frozenset({"optuna", "sqlalchemy", "psycopg2", "alembic", "runner", "tqdm", "logging"})


def _in_training(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs inside segmodel's training loop (model, features, torch, numpy),
    with no storage or bookkeeping code between the loop and the signal."""
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("segmodel.trainer"):
            return True
        if module.partition(".")[0] in _BOOKKEEPING_PACKAGES:
            return False
        frame = frame.f_back
    return False


@contextlib.contextmanager
def _heartbeat(study: optuna.Study, trial: optuna.Trial, heartbeat: Heartbeat | None) -> Iterator[None]:
    """Refresh ``trial``'s heartbeat while it runs, as ``Study.optimize`` does for its trials.

    A failed refresh (the database briefly unreachable) is logged and retried at the next beat
    rather than ending the thread: a trial whose beats stop is failed by other workers.
    """
    if heartbeat is None:
        yield
        return
    storage = study._storage
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(heartbeat.interval):
            try:
                storage.record_heartbeat(trial._trial_id)
            except Exception as error:  # noqa: BLE001 - keep beating; the next one may succeed
                logger.warning("heartbeat of trial %d not recorded: %s", trial.number, type(error).__name__)

    thread = threading.Thread(target=beat, name=f"segrun-heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclass(frozen=True)
class _Decision:
    """What a worker does next: run ``trial``, wait for others, or stop for ``stop_reason``."""

    trial: optuna.Trial | None = None
    stop_reason: str | None = None
    waiting_for: int = 0


def _next_step(
    spec: StudySpec, study: optuna.Study, *, heartbeat: Heartbeat | None, deadline: float | None, bar: _ProgressBar
) -> _Decision:
    """Under the study's lock: recover abandoned trials, count, and start a trial if budget is left."""
    budget = spec.budget
    with budget_lock(study._storage, spec.name):
        # One read of the trials serves every check unless a check changed them.
        trials = study.get_trials(deepcopy=False)
        abandoned = fail_dead_local_trials(spec, study, trials=trials) + fail_silent_trials(spec, study, heartbeat)
        if abandoned:
            logger.warning("trials %s were abandoned by their workers; they will be re-run", abandoned)
            trials = study.get_trials(deepcopy=False)
        retried = enqueue_retries(study, trials=trials)
        if retried:
            logger.info("re-running trials %s", retried)
            trials = study.get_trials(deepcopy=False)
        done, failed = tally(trials)
        running = [t for t in trials if t.state == TrialState.RUNNING]
        bar.refresh(done)
        if done >= budget.n_trials:
            return _Decision(stop_reason="n_trials")
        if deadline is not None and time.monotonic() >= deadline:
            return _Decision(stop_reason="timeout")
        if budget.max_failed_trials is not None and failed >= budget.max_failed_trials:
            logger.error("stopping: %d trials failed (budget.max_failed_trials)", failed)
            return _Decision(stop_reason="max_failed_trials")
        if done + len(running) >= budget.n_trials:
            # The rest of the budget is running elsewhere. Wait for segrun's trials (one may be
            # abandoned and need a re-run); a trial some other program left RUNNING is not ours
            # to wait for.
            ours = sum(1 for t in running if WORKER_ATTR in t.user_attrs)
            return _Decision(waiting_for=ours) if ours else _Decision(stop_reason="n_trials")
        with warnings.catch_warnings():
            # Optuna expects heartbeats with Study.optimize; this loop beats them itself.
            warnings.filterwarnings("ignore", message="Heartbeat of storage")
            trial = study.ask()
        if heartbeat is not None:
            study._storage.record_heartbeat(trial._trial_id)
        trial.set_user_attr(WORKER_ATTR, process_identity())
        return _Decision(trial=trial)


def run_study(
    spec: StudySpec,
    *,
    allow_spec_change: bool = False,
    progress: bool = True,
    on_trial_end: Callable[[optuna.Study, TrialOutcome], None] | None = None,
    heartbeat: Heartbeat | None = DEFAULT_HEARTBEAT,
    parallel: bool = False,
) -> StudyRun:
    """Run trials until the study's total, the timeout or the failure budget is reached.

    Args:
        spec: The study.
        allow_spec_change: Resume a study created from a different spec.
        progress: Show a progress bar (else one log line per trial).
        on_trial_end: Called as ``on_trial_end(study, outcome)`` after every trial (the CLI
            rewrites the exports).
        heartbeat: Heartbeat of this worker's trials; None turns it off.
        parallel: Other workers run the same study. Each worker's sampler is then reseeded
            (as Optuna does for ``n_jobs > 1``) so workers do not propose the same parameters;
            the study is no longer reproducible from its seed.

    SIGINT/SIGTERM end the running trial as FAIL "interrupted" (re-run by the next run) and
    return with ``exit_code`` 130/143.

    Example:
        >>> run = run_study(load_spec("specs/quickstart.yaml"))  # doctest: +SKIP
        >>> run.stop_reason, run.exit_code  # doctest: +SKIP
        ('n_trials', 0)
    """
    started = time.perf_counter()
    deadline = time.monotonic() + spec.budget.timeout if spec.budget.timeout is not None else None
    study = open_study(spec, allow_spec_change=allow_spec_change, heartbeat=heartbeat)
    if parallel:
        study.sampler.reseed_rng()
    outcomes: list[TrialOutcome] = []
    bar = _ProgressBar(spec, study, enabled=progress)
    stop_reason, exit_code = "n_trials", 0
    signals = _StopSignals()
    try:
        with signals.installed():
            while True:
                signals.checkpoint()
                step = _next_step(spec, study, heartbeat=heartbeat, deadline=deadline, bar=bar)
                if step.stop_reason is not None:
                    stop_reason = step.stop_reason
                    break
                if step.trial is None:
                    bar.waiting(step.waiting_for)
                    time.sleep(WAIT_SECONDS)
                    continue
                bar.start_trial(step.trial)

                def on_epoch(trial: optuna.Trial, metrics, seed_number: int) -> None:
                    bar.epoch(trial, metrics, seed_number)
                    signals.checkpoint()

                try:
                    with _heartbeat(study, step.trial, heartbeat):
                        outcome = run_trial(spec, study, step.trial, on_epoch=on_epoch)
                except optuna.exceptions.UpdateFinishedTrialError:
                    # Another worker failed this trial while it ran (its heartbeat was late
                    # beyond the grace period); the re-run it enqueued replaces this one.
                    logger.warning("trial %d was failed by another worker as silent; its re-run replaces it",
                                   step.trial.number)
                    continue
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
        self.best = best_value(self.spec, self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

    def refresh(self, done: int) -> None:
        if self.bar is not None:
            self.bar.n = min(done, self.bar.total)
            self.bar.refresh()

    def _postfix(self, **extra) -> None:
        if self.bar is not None:
            best = f"{self.best:.4f}" if self.best is not None else "-"
            self.bar.set_postfix(best=best, **extra)

    def waiting(self, running: int) -> None:
        self._postfix(waiting_for=f"{running} running elsewhere")

    def start_trial(self, trial: optuna.Trial) -> None:
        self._postfix(trial=trial.number, epoch=0)

    def epoch(self, trial: optuna.Trial, metrics, seed_number: int = 1) -> None:
        seeds = self.spec.budget.seeds_per_trial
        self._postfix(trial=trial.number, **({"seed": f"{seed_number}/{seeds}"} if seeds > 1 else {}),
                      epoch=f"{metrics.epoch}/{self.spec.budget.epochs_max}",
                      value=f"{metrics.flat()[self.spec.primary.metric]:.4f}")

    def end_trial(self, outcome: TrialOutcome) -> None:
        if self.bar is not None:  # only the bar shows it; reading every trial back costs time
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


def best_value(spec: StudySpec, complete: list[FrozenTrial]) -> float | None:
    """The best primary value among ``complete`` trials, or None."""
    values = [t.values[0] for t in complete]
    if not values:
        return None
    return max(values) if spec.primary.direction == "maximize" else min(values)
