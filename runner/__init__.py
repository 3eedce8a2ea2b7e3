"""runner: study specs compiled into Optuna studies that train segmodel taggers.

The public surface is small: :func:`load_spec` reads and validates a spec, :func:`run_study`
runs (or resumes) it until its total is reached, :func:`write_exports` rebuilds every result
file from the storage. ``segrun`` (:func:`runner.cli.main`) is the command line over these.

Example:
    >>> from runner import load_spec, run_study, write_exports  # doctest: +SKIP
    >>> spec = load_spec("specs/quickstart.yaml")  # doctest: +SKIP
    >>> run = run_study(spec)  # doctest: +SKIP
    >>> write_exports(spec, run.study)["best_score"]  # doctest: +SKIP
"""

from runner._exports import choose_best, pareto_trials, write_exports
from runner._spec import StudySpec, load_spec, trial_config_document
from runner._study import StudyRun, count_done, open_study, run_study

__all__ = [
    "StudyRun",
    "StudySpec",
    "choose_best",
    "count_done",
    "load_spec",
    "open_study",
    "pareto_trials",
    "run_study",
    "trial_config_document",
    "write_exports",
]
