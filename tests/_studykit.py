"""Helpers for tests that run real ``segrun`` processes on a small study and break them.

Trials of :func:`write_study` take about a second (hidden 8, 60 songs, 40 short epochs, one
thread), long enough to signal a worker in the middle of one and short enough to keep the
fault tests fast.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import optuna
import pytest
from optuna.trial import FrozenTrial, TrialState

from runner._pruning import primary_curve
from runner._spec import load_spec
from runner._storage import open_storage

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")

BASE = """\
model: {hidden_dim: 8, num_layers: 1}
data:
  synthetic: {train_songs: 60, val_songs: 12}
training: {batch_size: 16}
system: {threads: 1}
"""


def write_study(folder: Path, *, name: str = "faults", n_trials: int = 3, epochs: int = 40,
                storage: str | None = None, sampler: str = "{type: random}",
                trial_timeout: float | None = None) -> Path:
    """A spec (and its base config) in ``folder``; results go to ``folder/results``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(BASE)
    storage_line = f"\n          storage: {storage}" if storage else ""
    timeout_line = f"\n          trial_timeout: {trial_timeout}" if trial_timeout else ""
    spec = folder / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        study:
          name: {name}
          seed: 3
          results_dir: results{storage_line}
          sampler: {sampler}
          pruner: {{type: none}}
        base: base.yaml
        search_space:
          training.learning_rate: {{type: float, low: 1.0e-3, high: 1.0e-2, log: true}}
          model.switch_penalty: {{type: float, low: 0.0, high: 2.0}}
        budget:
          n_trials: {n_trials}
          epochs: {{min: 1, max: {epochs}}}
          max_failed_trials: 5{timeout_line}
        """))
    return spec


_STARTED: list[subprocess.Popen] = []


def segrun(*args: object, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``segrun ARGS`` (the console entry point, as a user would) without waiting."""
    process = subprocess.Popen(
        [sys.executable, "-m", "runner.cli", *map(str, args)], cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
    )
    _STARTED.append(process)
    return process


@atexit.register
def _stop_leftovers() -> None:
    """A test that failed half-way must not leave workers running after the session."""
    for process in _STARTED:
        if process.poll() is None:
            process.terminate()  # a --workers parent passes it on to its children
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def finish(process: subprocess.Popen, timeout: float = 90) -> tuple[int, str, str]:
    """Wait for ``process``; one that hangs is killed (and the test fails) rather than left running."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"segrun did not finish within {timeout}s:\n{err[-3000:]}") from None
    return process.returncode, out, err


def wait_for(condition: Callable[[], T | None], *, timeout: float = 60, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def load_study(spec_path: Path, storage: str | None = None) -> optuna.Study:
    spec = load_spec(spec_path, storage=storage)
    return optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage))


def running_trial(spec_path: Path, *, storage: str | None = None, epochs: int = 2) -> Callable[[], FrozenTrial | None]:
    """A condition: some trial is RUNNING and has reported ``epochs`` epochs (so it is mid-training)."""
    opened: list[optuna.Study] = []

    def condition() -> FrozenTrial | None:
        if not opened:
            try:
                opened.append(load_study(spec_path, storage))
            except KeyError:  # the worker has not created the study yet
                return None
        for trial in opened[0].get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if len(primary_curve(trial)) >= epochs:
                return trial
        return None

    return condition


def reruns_of(study: optuna.Study, number: int) -> list[FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("segrun.retry_of") == number]


def postgres_url_or_skip() -> str:
    """The CI's PostgreSQL storage URL (``.ci/postgres`` starts one), or a visible skip."""
    url = os.environ.get("SEGRUN_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL server: run the tests through .ci/postgres (sets SEGRUN_TEST_POSTGRES_URL)")
    pytest.importorskip("psycopg2", reason="the PostgreSQL driver is missing: pip install 'segrun[postgres]'")
    return url
