"""The ``segrun`` command line.

``segrun SPEC`` runs a study; the subcommands below cover the rest of the workflow. Every user
mistake is printed as one located paragraph with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from segmodel.errors import InputError, TrainingError

logger = logging.getLogger("segrun")

EXIT_INPUT_ERROR = 2
EXIT_FAILED = 1


def _add_data_commands(commands) -> None:
    data = commands.add_parser("data", help="synthetic corpus, corpus statistics, feature cache")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="COMMAND")

    synth = data_commands.add_parser("synth", help="write the deterministic synthetic corpus")
    synth.add_argument("--songs", type=positive_int, default=600, help="number of songs (600)")
    synth.add_argument("--seed", type=int, default=13, help="generator seed (13)")
    synth.add_argument(
        "--difficulty", type=float, default=1.0, help="0 easy, 1 like real lyrics (default), 2 hard"
    )
    synth.add_argument("-o", "--output", required=True, type=Path, help="JSONL file to write")
    synth.set_defaults(handler=_cmd_data_synth)

    stats = data_commands.add_parser("stats", help="corpus figures of a songs JSONL file")
    stats.add_argument("file", type=Path)
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(handler=_cmd_data_stats)

    features = data_commands.add_parser(
        "features", help="precompute (cache) the features of a training config's data or a JSONL file"
    )
    features.add_argument("source", type=Path, metavar="CONFIG_OR_FILE")
    features.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    features.set_defaults(handler=_cmd_data_features)


def _add_model_commands(commands) -> None:
    score = commands.add_parser("score", help="score predicted labels against gold labels")
    score.add_argument("gold", type=Path, metavar="GOLD.jsonl")
    score.add_argument("pred", type=Path, metavar="PRED.jsonl")
    score.add_argument("--json", action="store_true", help="print one JSON object")
    score.set_defaults(handler=_cmd_score)

    train = commands.add_parser("train", help="train one model from a training config")
    train.add_argument("config", type=Path, metavar="CONFIG")
    train.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override a config value (type-checked like the file); repeatable")
    train.add_argument("--run-dir", type=Path, help="run directory (default: output.dir/output.name)")
    train.set_defaults(handler=_cmd_train)

    evaluate = commands.add_parser("evaluate", help="score a trained run on labelled songs")
    evaluate.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    evaluate.add_argument("data", type=Path, metavar="DATA.jsonl")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(handler=_cmd_evaluate)

    predict = commands.add_parser("predict", help="label the lines of songs")
    predict.add_argument("run_dir", nargs="?", type=Path, metavar="RUN_DIR")
    predict.add_argument("file", type=Path, metavar="FILE",
                         help="songs JSONL, or a plain-text lyrics file (one lyric line per line)")
    predict.add_argument("--baseline", choices=["repeat"],
                         help="use a built-in baseline instead of a trained run")
    predict.add_argument("--jsonl", action="store_true", help="write songs JSONL with predicted labels")
    predict.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    predict.set_defaults(handler=_cmd_predict)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segrun",
        description="Declarative hyperparameter studies for lyrics segmentation. "
        "`segrun SPEC` runs the study a spec describes.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_data_commands(commands)
    _add_model_commands(commands)
    from runner import _commands, _retrain

    _commands.add_study_commands(commands)
    _retrain.add_retrain_command(commands)
    return parser


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


# --- data -------------------------------------------------------------------------------------


def _cmd_data_synth(args: argparse.Namespace) -> int:
    from segmodel.data import SynthConfig, synthesize_songs, write_songs

    started = time.perf_counter()
    songs = synthesize_songs(
        args.songs, seed=args.seed, config=SynthConfig.with_difficulty(args.difficulty)
    )
    write_songs(songs, args.output)
    lines = sum(len(s.lines) for s in songs)
    logger.info("wrote %d songs (%d lines) to %s in %.1fs", len(songs), lines, args.output,
                time.perf_counter() - started)
    return 0


def _cmd_data_stats(args: argparse.Namespace) -> int:
    from segmodel.data import corpus_stats, format_stats, load_songs

    stats = corpus_stats(load_songs(args.file))
    if args.json:
        # A corpus without chorus lines has no chorus figures: null, not JSON-invalid NaN.
        print(json.dumps({k: None if v != v else v for k, v in stats.items()}, indent=2))
    else:
        print(format_stats(stats))
    return 0


def _cmd_data_features(args: argparse.Namespace) -> int:
    from segmodel.config import TrainConfig, load_train_config
    from segmodel.data import load_songs
    from segmodel.features import extract_features
    from segmodel.trainer import default_cache_dir, load_splits

    if args.source.suffix in {".yaml", ".yml"}:
        config = load_train_config(args.source, overrides=args.set)
        splits = load_splits(config.data)
        named = {"train": splits.train, "val": splits.val, "test": splits.test}
    else:
        config = TrainConfig()
        named = {args.source.name: load_songs(args.source)}
    cache_dir = config.system.cache_dir or default_cache_dir()
    for name, songs in named.items():
        if not songs:
            continue
        result = extract_features(songs, config.features, cache_dir=cache_dir, progress=True)
        lines = sum(len(s.lines) for s in songs)
        print(f"{name}: {len(songs)} songs, {lines} lines, dim {result.dim}, "
              f"{result.seconds:.2f}s ({'cached' if result.cache_hit else 'computed'}) -> {result.cache_path}")
    return 0


# --- model ------------------------------------------------------------------------------------


def _print_scores(scores: dict, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(scores, indent=2))
        return
    width = max(len(k) for k in scores)
    for key, value in scores.items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")


def _cmd_score(args: argparse.Namespace) -> int:
    from segmodel.metrics import score_song_files

    _print_scores(score_song_files(args.gold, args.pred), as_json=args.json)
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from segmodel.config import load_train_config
    from segmodel.trainer import train

    config = load_train_config(args.config, overrides=args.set)
    run_dir = args.run_dir or Path(config.output.dir) / (
        config.output.name or f"{args.config.stem}-{datetime.now():%Y%m%d-%H%M%S}"
    )
    result = train(config, run_dir=run_dir, progress=True)
    v = result.val_metrics
    print(
        f"best epoch {result.best_epoch}/{result.epochs_run} ({result.stop_reason}), "
        f"val boundary F1 {v['boundary_f1']:.4f}, macro F1 {v['macro_f1']:.4f}, "
        f"{result.seconds:.1f}s -> {run_dir}"
    )
    if result.test_metrics:
        t = result.test_metrics
        print(f"test boundary F1 {t['boundary_f1']:.4f}, macro F1 {t['macro_f1']:.4f}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from segmodel.data import load_songs
    from segmodel.trainer import TrainedModel

    model = TrainedModel.load(args.run_dir)
    _print_scores(model.evaluate(load_songs(args.data)), as_json=args.json)
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from segmodel.baselines import repeat_line_baseline
    from segmodel.data import Song, load_plain_lyrics, load_songs, write_songs

    if (args.run_dir is None) == (args.baseline is None):
        raise InputError("give either RUN_DIR or --baseline repeat (not both, not neither)",
                         path="command line")
    if args.file.suffix == ".jsonl":
        songs = load_songs(args.file, require_labels=False)
    else:
        songs = [load_plain_lyrics(args.file)]
    if args.baseline:
        labelled = [(s, repeat_line_baseline(s.lines), None) for s in songs]
    else:
        from segmodel.trainer import TrainedModel

        predictions = TrainedModel.load(args.run_dir).predict(songs)
        labelled = [(s, p.labels, p.chorus_probabilities) for s, p in zip(songs, predictions, strict=True)]
    if args.jsonl:
        out = [Song(id=s.id, lines=s.lines, labels=tuple(labels)) for s, labels, _ in labelled]
        if args.output:
            write_songs(out, args.output)
        else:
            for song in out:
                print(json.dumps({"id": song.id, "lines": list(song.lines), "labels": list(song.labels)}))
        return 0
    rows = []
    for song, labels, probs in labelled:
        if len(labelled) > 1:
            rows.append(f"# {song.id}")
        for i, (line, label) in enumerate(zip(song.lines, labels, strict=True)):
            prob = f"{probs[i]:.3f}" if probs is not None else "  -  "
            rows.append(f"{'chorus' if label else 'verse ':<6} {prob}  {line}")
    text = "\n".join(rows) + "\n"
    if args.output:
        from segmodel.atomic import write_text_atomic

        write_text_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


# --- entry point ------------------------------------------------------------------------------


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s" if args.verbose
                        else "%(message)s", stream=sys.stderr)
    # Optuna logs one INFO line per trial; the progress bar says the same more compactly.
    logging.getLogger("optuna").setLevel(logging.WARNING if not args.verbose else logging.INFO)
    # matplotlib logs an INFO line per categorical axis of every report plot.
    logging.getLogger("matplotlib").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``segrun`` console script; returns the exit status."""
    # Before torch loads OpenMP: spinning threads wait on each other when other processes hold
    # the cores (measured 1.6 s -> 11 s per epoch on a busy 2-core machine). Users can override.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    # `segrun SPEC` is short for `segrun run SPEC`.
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and first not in known:
        argv.insert(argv.index(first), "run")
    args = parser.parse_args(argv)
    _configure_logging(args)
    try:
        return int(args.handler(args) or 0)
    except InputError as error:
        print(f"segrun: error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("segrun: interrupted", file=sys.stderr)
        return 130
    except TrainingError as error:
        print(f"segrun: training failed: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
