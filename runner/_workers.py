"""Several worker processes on one study: ``segrun SPEC --workers N`` and ``--gpus 0,1,…``.

The parent process starts N ``segrun worker`` children and shows one progress display for all
of them; it runs no trial itself and schedules nothing: each child is an ordinary worker
(:func:`runner._study.run_study`) that takes trials from the shared storage until the study's
total is reached. The parent

* gives each child its share of the CPU — torch threads ``cpu_count // N`` (at least 1), and the
  same ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` — because processes whose OpenMP threads
  outnumber the cores spin against each other and run 10–100× slower;
* with ``--gpus``, gives each child its own ``CUDA_VISIBLE_DEVICES`` and device ``cuda``;
* starts the children in their own sessions and forwards the first SIGINT/SIGTERM to each, so
  every child ends its running trial cleanly and the parent exits 130/143;
* restarts a child that dies (killed, crashed) while the study is unfinished, at most
  :data:`MAX_RESTARTS` times per child (the dead child's trial is failed and re-run by the
  workers, see :mod:`runner._recovery`);
* polls the storage every :data:`POLL_SECONDS`: one progress bar, one line per finished trial,
  and a callback (the CLI rewrites the exports; the children write only their trial logs).

Each child's output goes to ``<results_dir>/workers/worker-<i>.log``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from runner._recovery import tally
from runner._spec import StudySpec
from runner._storage import DEFAULT_HEARTBEAT, Heartbeat
from runner._study import best_value, handling_signals, open_study
from runner._trial import FAILURE_ATTR, WORKER_ATTR
from segmodel.errors import InputError
from segmodel.yamlconfig import set_dotted

__all__ = ["WorkerSlot", "WorkersRun", "parse_gpus", "plan_workers", "run_workers", "with_runtime"]

logger = logging.getLogger(__name__)

MAX_RESTARTS = 3
POLL_SECONDS = 1.0
_CLEAN_EXITS = (0, 128 + signal.SIGINT, 128 + signal.SIGTERM)


@dataclass(frozen=True)
class WorkerSlot:
    """One child process: its index, its torch threads and, with ``--gpus``, its GPU."""

    index: int
    threads: int
    gpu: str | None = None

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` plus this child's thread counts and visible GPU.

        Example:
            >>> WorkerSlot(1, threads=4, gpu="3").environment({})["CUDA_VISIBLE_DEVICES"]
            '3'
        """
        environment = dict(base)
        environment["OMP_NUM_THREADS"] = environment["MKL_NUM_THREADS"] = str(self.threads)
        if self.gpu is not None:
            environment["CUDA_VISIBLE_DEVICES"] = self.gpu
        return environment

    def options(self) -> list[str]:
        """``segrun worker`` options that set this child's threads and device."""
        options = ["--threads", str(self.threads)]
        if self.gpu is not None:
            # The one visible GPU is cuda:0 inside the child, whatever the base config names.
            options += ["--device", "cuda"]
        return options


def parse_gpus(text: str) -> list[str]:
    """``"0,1,3"`` → ``["0", "1", "3"]``: CUDA device ids or UUIDs; repeat one to share it.

    Raises:
        InputError: an empty entry or whitespace.

    Example:
        >>> parse_gpus("0,1,1")
        ['0', '1', '1']
    """
    gpus = text.split(",")
    if any(not gpu or gpu != gpu.strip() for gpu in gpus):
        raise InputError(f"--gpus wants a comma-separated list like 0,1,2, got {text!r}", key="--gpus")
    return gpus


def plan_workers(*, workers: int | None = None, gpus: Sequence[str] = (), cpu_count: int) -> list[WorkerSlot]:
    """The children to start: ``workers`` of them (default one per GPU), GPUs dealt in turn.

    Each child gets ``max(1, cpu_count // workers)`` torch threads.

    Raises:
        InputError: no workers, or fewer workers than GPUs.

    Example:
        >>> [(s.index, s.threads, s.gpu) for s in plan_workers(gpus=["0", "3"], cpu_count=16)]
        [(0, 8, '0'), (1, 8, '3')]
        >>> [s.threads for s in plan_workers(workers=3, cpu_count=2)]
        [1, 1, 1]
    """
    count = workers if workers is not None else len(gpus)
    if count < 1:
        raise InputError(f"--workers must be at least 1, got {count}", key="--workers")
    if gpus and count < len(gpus):
        raise InputError(f"{len(gpus)} GPUs but only {count} workers: give --workers {len(gpus)} or fewer GPUs",
                         key="--workers")
    threads = max(1, cpu_count // count)
    return [WorkerSlot(i, threads, gpus[i % len(gpus)] if gpus else None) for i in range(count)]


def with_runtime(spec: StudySpec, *, threads: int | None = None, device: str | None = None) -> StudySpec:
    """``spec`` whose trials train with ``system.threads``/``system.device`` set as given.

    Both are runtime-only settings: the study's fingerprint, and so what its trials compute,
    does not change.
    """
    document = copy.deepcopy(spec.base_document)
    if threads is not None:
        set_dotted(document, "system.threads", threads)
    if device is not None:
        set_dotted(document, "system.device", device)
    return replace(spec, base_document=document)


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class WorkersRun:
    """What ``segrun SPEC --workers N`` did."""

    study: optuna.Study
    stop_reason: str
    seconds: float
    exit_code: int = 0
    restarts: int = 0


@dataclass
class _Child:
    slot: WorkerSlot
    log: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    exit_code: int | None = None
    pids: set[int] = field(default_factory=set)


class _Children:
    """The child processes, started, watched and signalled together."""

    def __init__(self, spec: StudySpec, slots: Sequence[WorkerSlot], options: Sequence[str]) -> None:
        log_dir = spec.results_dir / "workers"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.spec = spec
        self.options = list(options)
        self.children = [_Child(slot, log_dir / f"worker-{slot.index}.log") for slot in slots]

    def start(self, child: _Child) -> None:
        command = [sys.executable, "-m", "runner.cli", "worker", str(self.spec.path),
                   "--no-progress", "--no-export", *child.slot.options(), *self.options]
        with open(child.log, "ab") as log:
            child.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=child.slot.environment(os.environ), start_new_session=True,
            )
        child.pids.add(child.process.pid)
        child.exit_code = None

    def start_all(self) -> None:
        for child in self.children:
            self.start(child)

    def running(self) -> list[_Child]:
        return [c for c in self.children if c.process is not None and c.process.poll() is None]

    def newly_exited(self) -> list[_Child]:
        exited = []
        for child in self.children:
            if child.process is not None and child.exit_code is None and child.process.poll() is not None:
                child.exit_code = child.process.returncode
                exited.append(child)
        return exited

    def signal_all(self, signum: int) -> None:
        for child in self.running():
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signum)

    def worker_of(self, pid: int | None) -> int | None:
        return next((c.slot.index for c in self.children if pid in c.pids), None)


class _ForwardSignals:
    """The first SIGINT/SIGTERM goes to every child; the parent then waits for them to end."""

    def __init__(self, children: _Children) -> None:
        self.children = children
        self.exit_code: int | None = None

    def _handle(self, signum: int, _frame) -> None:
        if self.exit_code is not None:
            logger.warning("already stopping: waiting for the workers to record their trials")
            return
        self.exit_code = 128 + signum
        logger.warning("stopping: each worker ends its running trial (re-run by the next `segrun`)")
        self.children.signal_all(signum)

    def installed(self) -> contextlib.AbstractContextManager[None]:
        return handling_signals(self._handle)


class _Display:
    """One progress bar for all workers, and one line per finished trial."""

    def __init__(self, spec: StudySpec, children: _Children, *, enabled: bool) -> None:
        self.spec = spec
        self.children = children
        self.reported: set[int] | None = None
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=spec.budget.n_trials, desc=spec.name, unit="trial", dynamic_ncols=True)

    def update(self, trials: list[FrozenTrial]) -> bool:
        """Show ``trials``; True if some finished since the last update."""
        finished = [t for t in trials if t.state.is_finished()]
        first = self.reported is None
        if first:
            self.reported = {t.number for t in finished}  # earlier runs: counted, not listed
        new = [t for t in finished if t.number not in self.reported]
        for trial in new:
            self.reported.add(trial.number)
            self._line(trial)
        done, _ = tally(trials)
        if self.bar is not None:
            self.bar.n = min(done, self.bar.total)
            best = best_value(self.spec, [t for t in trials if t.state == TrialState.COMPLETE])
            self.bar.set_postfix(best="-" if best is None else f"{best:.4f}",
                                 running=sum(t.state == TrialState.RUNNING for t in trials),
                                 workers=len(self.children.running()))
        return bool(new)

    def _line(self, trial: FrozenTrial) -> None:
        detail = trial.state.name.lower()
        if trial.values:
            detail += f" {trial.values[0]:.4f}"
        elif trial.user_attrs.get(FAILURE_ATTR):
            detail += f" ({trial.user_attrs[FAILURE_ATTR][:70]})"
        seconds = trial.duration.total_seconds() if trial.duration else 0.0
        worker = self.children.worker_of((trial.user_attrs.get(WORKER_ATTR) or {}).get("pid"))
        text = f"trial {trial.number}: {detail} in {seconds:.1f}s" + (
            f" (worker {worker})" if worker is not None else "")
        if self.bar is not None:
            self.bar.write(text)
        else:
            logger.info("%s", text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_workers(
    spec: StudySpec,
    slots: Sequence[WorkerSlot],
    *,
    worker_options: Sequence[str] = (),
    allow_spec_change: bool = False,
    heartbeat: Heartbeat | None = DEFAULT_HEARTBEAT,
    progress: bool = True,
    on_trials_end: Callable[[optuna.Study], None] | None = None,
) -> WorkersRun:
    """Run ``spec`` with one ``segrun worker`` child per slot until the children are done.

    Args:
        spec: The study (the children load it again from ``spec.path``).
        slots: The children (:func:`plan_workers`).
        worker_options: More ``segrun worker`` options for every child (``--storage``,
            ``--fork``, ``--heartbeat``).
        allow_spec_change: Resume a study created from a different spec.
        heartbeat: This parent's storage settings (it only reads the study).
        progress: One progress bar; else one log line per finished trial.
        on_trials_end: Called as ``on_trials_end(study)`` whenever trials have finished.

    The exit code is 130/143 after SIGINT/SIGTERM, 1 if a child kept failing before the study
    reached its total, else 0.
    """
    started = time.perf_counter()
    study = open_study(spec, allow_spec_change=allow_spec_change, heartbeat=heartbeat)
    children = _Children(spec, slots, worker_options)
    display = _Display(spec, children, enabled=progress)
    signals = _ForwardSignals(children)
    gave_up: list[_Child] = []
    try:
        with signals.installed():
            children.start_all()
            while True:
                trials = study.get_trials(deepcopy=False)
                if display.update(trials) and on_trials_end is not None:
                    on_trials_end(study)
                for child in children.newly_exited():
                    if _should_restart(spec, trials, child, stopping=signals.exit_code is not None):
                        logger.warning("worker %d exited with status %s; restarting it (log: %s)",
                                       child.slot.index, child.exit_code, child.log)
                        child.restarts += 1
                        children.start(child)
                    elif child.exit_code not in _CLEAN_EXITS:
                        gave_up.append(child)
                        logger.error("worker %d exited with status %s:\n%s", child.slot.index,
                                     child.exit_code, _tail(child.log))
                if not children.running():
                    break
                time.sleep(POLL_SECONDS)
    finally:
        # The parent is leaving (normally or on an unexpected error): no child outlives it.
        children.signal_all(signal.SIGTERM)
        for child in children.children:
            if child.process is not None:
                child.process.wait()
        display.close()
    trials = study.get_trials(deepcopy=False)
    if display.update(trials) and on_trials_end is not None:
        on_trials_end(study)
    done, failed = tally(trials)
    reason, code = _outcome(spec, done=done, failed=failed, interrupted=signals.exit_code, gave_up=gave_up,
                            seconds=time.perf_counter() - started)
    return WorkersRun(study, reason, time.perf_counter() - started, code,
                      restarts=sum(c.restarts for c in children.children))


def _should_restart(spec: StudySpec, trials: list[FrozenTrial], child: _Child, *, stopping: bool) -> bool:
    if stopping or child.exit_code in _CLEAN_EXITS or child.restarts >= MAX_RESTARTS:
        return False
    return tally(trials)[0] < spec.budget.n_trials


def _outcome(spec: StudySpec, *, done: int, failed: int, interrupted: int | None, gave_up: list[_Child],
             seconds: float) -> tuple[str, int]:
    budget = spec.budget
    if interrupted is not None:
        return "interrupted", interrupted
    if done >= budget.n_trials:
        return "n_trials", 0
    if gave_up:
        return "workers failed", 1
    if budget.max_failed_trials is not None and failed >= budget.max_failed_trials:
        return "max_failed_trials", 0
    if budget.timeout is not None and seconds >= budget.timeout:
        return "timeout", 0
    return "workers stopped", 0


def _tail(log: Path, lines: int = 8) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {log})"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])
