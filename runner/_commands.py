"""Study subcommands of ``segrun``: run, worker, validate, plan, best, report, dashboard."""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

import optuna

from runner._exports import choose_best, write_exports
from runner._provenance import mask_storage_url
from runner._retrain import final_retrain, print_retrain
from runner._search_space import space_table, suggest
from runner._spec import StudySpec, _default_storage, load_spec, trial_config_document
from runner._storage import Heartbeat, open_storage
from runner._study import count_done, run_study
from runner._workers import available_cpus, parse_gpus, plan_workers, run_workers, with_runtime
from runner.cli import positive_int
from segmodel.errors import InputError
from segmodel.yamlconfig import dump_yaml

__all__ = ["add_study_commands"]

logger = logging.getLogger("segrun")

STORAGE_ENV = "SEGRUN_STORAGE"

_REPORT_INTERVAL_S = 60.0


def add_study_commands(commands) -> None:
    run = commands.add_parser("run", help="create or resume the study a spec describes (segrun SPEC)")
    _add_run_options(run)
    run.add_argument("--workers", type=int, metavar="N",
                     help="run N worker processes on the study, one progress display (default 1)")
    run.add_argument("--gpus", metavar="LIST",
                     help="one worker per listed GPU (e.g. 0,1,2,3), each with its own CUDA_VISIBLE_DEVICES")
    run.set_defaults(handler=_cmd_run)

    worker = commands.add_parser(
        "worker", help="join a study as one more worker (any host; storage from --storage, the spec "
        f"or ${STORAGE_ENV}); stops when the study's total is reached")
    _add_run_options(worker)
    worker.add_argument("--threads", type=positive_int, help="torch threads of this worker's trials")
    worker.add_argument("--device", help="device of this worker's trials (cpu, cuda, cuda:1, ...)")
    worker.add_argument("--no-export", action="store_true",
                        help="leave the study's result files to another process (trial logs are still written)")
    worker.set_defaults(handler=_cmd_worker)

    validate = commands.add_parser("validate", help="check a spec and its base config; exit 2 on errors")
    _add_spec_argument(validate)
    validate.set_defaults(handler=_cmd_validate)

    plan = commands.add_parser("plan", help="dry run: search space, sampled configs, model sizes, cost")
    _add_spec_argument(plan)
    plan.add_argument("--samples", type=int, default=3, help="trial configs to sample and check (3)")
    plan.set_defaults(handler=_cmd_plan)

    best = commands.add_parser("best", help="rewrite the exports from storage; print the best trial")
    best.add_argument("target", type=Path, metavar="RESULTS_OR_SPEC")
    best.add_argument("--storage", help="storage URL (default: the spec's, or $SEGRUN_STORAGE)")
    best.add_argument("--trial", type=int, metavar="N", help="print the trainable config of trial N")
    best.set_defaults(handler=_cmd_best)

    report = commands.add_parser("report", help="rewrite every export of a study from its storage")
    report.add_argument("target", type=Path, metavar="RESULTS_OR_SPEC")
    report.add_argument("--storage", help="storage URL (default: the spec's, or $SEGRUN_STORAGE)")
    report.set_defaults(handler=_cmd_report)

    dashboard = commands.add_parser(
        "dashboard", help="serve optuna-dashboard on the study's storage at 127.0.0.1 (segrun[dashboard])")
    dashboard.add_argument("target", type=Path, metavar="RESULTS_OR_SPEC")
    dashboard.add_argument("--storage", help="storage URL (default: the spec's, or $SEGRUN_STORAGE)")
    dashboard.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (8080)")
    dashboard.set_defaults(handler=_cmd_dashboard)


def _add_spec_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", type=Path, metavar="SPEC")
    parser.add_argument("--storage", help="Optuna storage URL (overrides the spec and $SEGRUN_STORAGE); "
                        "${NAME} is replaced by the environment variable NAME, e.g. a password")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    _add_spec_argument(parser)
    parser.add_argument("--allow-spec-change", action="store_true",
                        help="resume even though the spec changed since the study was created")
    parser.add_argument("--fork", metavar="NEW_NAME",
                        help="start a new study under NEW_NAME from this spec (results/NEW_NAME)")
    parser.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    parser.add_argument("--heartbeat", type=positive_int, default=Heartbeat.interval, metavar="SECONDS",
                        help="heartbeat interval of running trials; a trial silent for 3 intervals is "
                        f"failed and re-run ({Heartbeat.interval})")


def _load_spec(path: Path, storage: str | None) -> StudySpec:
    """The spec with its storage: --storage, else the spec's, else $SEGRUN_STORAGE, else SQLite."""
    spec = load_spec(path, storage=storage)
    from_environment = os.environ.get(STORAGE_ENV)
    if storage is None and from_environment and spec.storage == _default_storage(spec.results_dir):
        spec = replace(spec, storage=from_environment)
    return spec


def resolve_spec(target: Path, storage: str | None) -> StudySpec:
    """A spec file, or a results folder whose ``hyperopt_results.json`` names its spec."""
    if target.is_dir():
        results = target / "hyperopt_results.json"
        if not results.is_file():
            raise InputError("not a study results folder (no hyperopt_results.json) and not a spec", path=target)
        try:
            spec_path = json.loads(results.read_text(encoding="utf-8"))["spec"]
        except (ValueError, KeyError) as error:
            raise InputError(f"cannot read the spec path: {error}", path=results) from None
        return _load_spec(spec_path, storage)
    return _load_spec(target, storage)


def _load_existing(spec: StudySpec) -> optuna.Study:
    try:
        return optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage))
    except KeyError:
        raise InputError(
            f"no study named {spec.name!r} in {mask_storage_url(spec.storage)}; run `segrun {spec.path}` first",
            path=spec.path,
        ) from None


def _cmd_run(args: argparse.Namespace) -> int:
    spec = _load_spec(args.spec, args.storage)
    if not args.verbose:
        # One progress line per study, not one log line per epoch of every trial.
        logging.getLogger("segmodel").setLevel(logging.WARNING)
    if args.fork:
        spec = spec.renamed(args.fork)
    logger.info("study %s: %d parameters, objectives %s, storage %s", spec.name, len(spec.search_space),
                ", ".join(f"{o.metric} ({o.direction})" for o in spec.objectives), mask_storage_url(spec.storage))

    # Imported here: matplotlib adds over a second to every segrun start; only drawing commands pay.
    from runner._report import render_report

    next_export = next_report = 0.0

    def export(study, *_outcome) -> None:
        # The storage is the record; the files are views of it, and rewriting them costs time
        # that grows with the study. Mid-run they are rewritten only while that stays within a
        # tenth of the run's time (after every trial, once trials take more than a moment); the
        # run's end always rewrites them, and `segrun report` does at any time.
        nonlocal next_export, next_report
        started = time.monotonic()
        if started < next_export:
            return
        results = write_exports(spec, study)
        next_export = time.monotonic() + 9 * (time.monotonic() - started)
        # Plots take seconds: mid-run the report is redrawn at most once a minute and in at most
        # a tenth of the time.
        if time.monotonic() >= next_report:
            started = time.monotonic()
            render_report(spec, study, results)
            next_report = time.monotonic() + max(_REPORT_INTERVAL_S, 9 * (time.monotonic() - started))

    slots = _worker_slots(args)
    if slots:
        run = run_workers(spec, slots, worker_options=_worker_options(args), allow_spec_change=args.allow_spec_change,
                          heartbeat=Heartbeat(args.heartbeat), progress=not args.no_progress, on_trials_end=export)
    else:
        run = run_study(spec, allow_spec_change=args.allow_spec_change, progress=not args.no_progress,
                        on_trial_end=export, heartbeat=Heartbeat(args.heartbeat))
    results = write_exports(spec, run.study)
    render_report(spec, run.study, results)
    done = count_done(run.study)
    best = results["best_score"]
    print(
        f"study {spec.name}: {done}/{spec.budget.n_trials} trials done ({run.stop_reason}), "
        f"best {spec.primary.metric} = {'-' if best is None else f'{best:.4f}'} "
        f"(trial {results['best_trial']}), {run.seconds / 60:.1f} min -> {spec.results_dir}"
    )
    if run.stop_reason == "interrupted":
        print(f"interrupted: the running trial was recorded as failed and will be re-run by `segrun {args.spec}`")
    elif run.exit_code:
        print(f"workers failed before the study was done: see {spec.results_dir / 'workers'}")
    elif run.stop_reason == "n_trials":
        report = final_retrain(spec, run.study)
        if report is not None:
            write_exports(spec, run.study)  # the summary quotes retrain.json
            print_retrain(spec, report)
    return run.exit_code


def _worker_slots(args: argparse.Namespace):
    """The child processes ``--workers``/``--gpus`` ask for; none for a plain in-process run."""
    gpus = parse_gpus(args.gpus) if args.gpus else []
    if not gpus and args.workers in (None, 1):
        return []
    return plan_workers(workers=args.workers, gpus=gpus, cpu_count=available_cpus())


def _worker_options(args: argparse.Namespace) -> list[str]:
    """What every child needs to open the same study as this process."""
    # A storage that came from the spec or $SEGRUN_STORAGE is found again by the children; only
    # an explicit --storage is passed on.
    options = ["--storage", args.storage] if args.storage else []
    if args.fork:
        options += ["--fork", args.fork]
    return options + ["--heartbeat", str(args.heartbeat)]


def _cmd_worker(args: argparse.Namespace) -> int:
    spec = _load_spec(args.spec, args.storage)
    if not args.verbose:
        logging.getLogger("segmodel").setLevel(logging.WARNING)
    if args.fork:
        spec = spec.renamed(args.fork)
    spec = with_runtime(spec, threads=args.threads, device=args.device)
    if spec.storage.startswith("sqlite"):
        logger.info("SQLite storage: only workers on this machine can join; use PostgreSQL for several hosts")
    run = run_study(spec, allow_spec_change=args.allow_spec_change, progress=not args.no_progress,
                    heartbeat=Heartbeat(args.heartbeat), parallel=True)
    if not args.no_export:
        from runner._report import render_report

        render_report(spec, run.study, write_exports(spec, run.study))
    print(f"worker: {len(run.outcomes)} trials run here; study {spec.name}: {count_done(run.study)}/"
          f"{spec.budget.n_trials} trials done ({run.stop_reason})")
    return run.exit_code


def _cmd_validate(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, storage=args.storage)
    print(
        f"{args.spec}: valid. Study {spec.name!r}, {len(spec.search_space)} parameters, "
        f"{len(spec.derived)} derived, objectives "
        + ", ".join(f"{o.metric} ({o.direction})" for o in spec.objectives)
        + f", {spec.budget.n_trials} trials of up to {spec.budget.epochs_max} epochs"
        + (f" on each of {spec.budget.seeds_per_trial} seeds." if spec.budget.seeds_per_trial > 1 else ".")
    )
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from segmodel.config import train_config_from_mapping
    from segmodel.features import FeatureExtractor
    from segmodel.model import SegmentationTagger

    spec = load_spec(args.spec, storage=args.storage)
    rows = space_table(spec)
    widths = [max(len(r[i]) for r in [("parameter", "domain", "condition"), *rows]) for i in range(3)]
    print(f"Study {spec.name}: {len(rows)} parameters")
    for row in [("parameter", "domain", "condition"), *rows]:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for derived in spec.derived:
        print(f"  {derived.name} = {derived.source}" + (f" x {derived.scale:g}" if derived.scale != 1 else ""))
    # Sample with a seeded random sampler in memory: nothing touches the study's storage.
    scratch = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=spec.seed or 0))
    budget = spec.budget
    print(f"\nEpochs per trial: {budget.epochs_min}..{budget.epochs_max} (pruning from epoch {budget.epochs_min})")
    seconds_per_epoch = []
    for index in range(args.samples):
        trial = scratch.ask()
        values = suggest(trial, spec)
        config = train_config_from_mapping(trial_config_document(spec, values),
                                           path=f"{spec.path} (sample {index + 1})", base_dir=spec.path.parent)
        dim = FeatureExtractor(config.features).dim
        model = SegmentationTagger(dim, config.model)
        parameters = sum(p.numel() for p in model.parameters())
        cost = _seconds_per_batch(model, dim, config.training.batch_size)
        songs = config.data.synthetic.train_songs if config.data.train is None else None
        if songs and config.data.excerpts.copies:
            from segmodel.trainer import load_splits

            songs = len(load_splits(config.data).train)
        line = f"sample {index + 1}: feature dim {dim}, {parameters:,} parameters, ~{cost * 1000:.0f} ms per batch"
        if songs:
            epoch_seconds = cost * -(-songs // config.training.batch_size)
            seconds_per_epoch.append(epoch_seconds)
            line += f", ~{epoch_seconds:.1f}s per epoch of {songs} training songs"
        print(line)
        print("    " + ", ".join(f"{k}={v}" for k, v in values.items()))
        scratch.tell(trial, 0.0)
    if seconds_per_epoch:
        mean = sum(seconds_per_epoch) / len(seconds_per_epoch)
        worst = budget.n_trials * budget.epochs_max * mean
        print(f"\nCost estimate (this machine, no pruning): up to {worst / 60:.0f} min for "
              f"{budget.n_trials} trials x {budget.epochs_max} epochs; pruning and early stopping cut this.")
    else:
        print("\nCost estimate: depends on the size of the data files (time per batch above).")
    return 0


def _seconds_per_batch(model, dim: int, batch_size: int, lines: int = 40) -> float:
    """Rough forward+backward time of one batch of ``lines``-line songs on random features."""
    import torch

    from segmodel.model import repeat_matrix

    features = torch.randn(batch_size, lines, dim)
    lengths = torch.full((batch_size,), lines, dtype=torch.long)
    repeats = None
    if model.config.repeat_tying > 0:
        # Timed as if each song's first half came back 8 lines later, like a chorus would.
        first = torch.arange(lines // 2)
        pairs = torch.cat([torch.stack([first, first + 8], 1), torch.stack([first + 8, first], 1)])
        repeats = repeat_matrix([pairs] * batch_size, lines)
    model.train()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        model(features, lengths, repeats=repeats).sum().backward()
        timings.append(time.perf_counter() - started)
    return min(timings)


def _cmd_best(args: argparse.Namespace) -> int:
    spec = resolve_spec(args.target, args.storage)
    study = _load_existing(spec)
    if args.trial is not None:
        trials = {t.number: t for t in study.get_trials(deepcopy=False)}
        if args.trial not in trials:
            raise InputError(f"study {spec.name!r} has no trial {args.trial}", path="--trial")
        from runner._trial import VALUES_ATTR

        trial = trials[args.trial]
        print(dump_yaml(trial_config_document(spec, trial.user_attrs.get(VALUES_ATTR) or trial.params)), end="")
        return 0
    from runner._report import render_report

    results = write_exports(spec, study)
    render_report(spec, study, results)
    best = choose_best(spec, study)
    if best is None:
        print(f"study {spec.name}: no complete trial yet")
        return 0
    print(f"best trial {best.number}: " + ", ".join(
        f"{o.metric} = {v:.4f}" for o, v in zip(spec.objectives, best.values, strict=True)))
    for name, value in sorted(best.params.items()):
        print(f"  {name}: {value}")
    print(f"-> {spec.results_dir / 'best_config.yaml'} ({len(results['pareto_front'])} Pareto-optimal)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from runner._report import render_report

    spec = resolve_spec(args.target, args.storage)
    study = _load_existing(spec)
    report = render_report(spec, study, write_exports(spec, study))
    print((spec.results_dir / "hyperopt_summary.txt").read_text(encoding="utf-8"), end="")
    print(f"Report: {report}")
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    try:
        import optuna_dashboard
    except ImportError:
        raise InputError("segrun dashboard needs optuna-dashboard: pip install 'segrun[dashboard]'") from None
    if not 0 < args.port < 65536:
        raise InputError(f"must be a port number from 1 to 65535, got {args.port}", key="--port")
    spec = resolve_spec(args.target, args.storage)
    _load_existing(spec)
    print(f"optuna-dashboard for study {spec.name} ({mask_storage_url(spec.storage)}): "
          f"http://127.0.0.1:{args.port}/  (Ctrl-C stops it)")
    # Loopback only: the dashboard can change the study and has no authentication.
    optuna_dashboard.run_server(open_storage(spec.storage), host="127.0.0.1", port=args.port)
    return 0
