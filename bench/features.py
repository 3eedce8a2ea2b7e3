"""Benchmark of the line features: a real corpus cold and cached, and cost against song length.

Run by hand from the repository root::

    .venv/bin/python bench/features.py                      # corpus + scale
    .venv/bin/python bench/features.py --mode corpus --per-view
    .venv/bin/python bench/features.py --mode scale --lengths 50,100,200,500
    .venv/bin/python bench/features.py --mode chorus-f1     # sanity check of usefulness

``corpus`` extracts every offline view (embeddings stay off) from ``--data`` twice: cold, into a
fresh temporary cache directory (this includes the lazy textblob import and CMU dictionary
load), then from that cache. ``scale`` times one song at a time for synthetic songs of growing
length, to show where the quadratic SSM cost starts to matter. ``chorus-f1`` fits a logistic
regression on the features of ``--data`` and reports line-level chorus macro F1 on ``--val``:
not a model, a check that the features carry signal.

Timings are wall-clock on whatever else the machine is running; repeat them before trusting a
small difference.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from segmodel.data import Song, load_songs, synthesize_songs  # noqa: E402
from segmodel.features import FeatureConfig, FeatureExtractor, extract_features  # noqa: E402

DEFAULT_TRAIN = REPO.parent / "shared" / "data" / "lyrics" / "train.jsonl"
DEFAULT_VAL = REPO.parent / "shared" / "data" / "lyrics" / "val.jsonl"
OFFLINE_VIEWS = ("head", "tail", "word_overlap", "char", "rhyme", "syllables", "pos", "repetition")


def _only(view: str) -> FeatureConfig:
    config = FeatureConfig()
    for other in OFFLINE_VIEWS:
        getattr(config, other).enabled = other == view
    return config


def bench_corpus(path: Path, *, per_view: bool) -> None:
    songs = load_songs(path, require_labels=False)
    lines = sum(len(song.lines) for song in songs)
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = extract_features(songs, FeatureConfig(), cache_dir=cache_dir)
        cached = extract_features(songs, FeatureConfig(), cache_dir=cache_dir)
        size_mb = cold.cache_path.stat().st_size / 1e6
    print(f"corpus {path}: {len(songs)} songs, {lines} lines, dim {cold.dim}")
    print(f"  cold   {cold.seconds:7.2f} s  ({1e6 * cold.seconds / lines:.0f} us/line)")
    print(f"  cached {cached.seconds:7.3f} s  (hit={cached.cache_hit}, file {size_mb:.1f} MB)")
    if per_view:
        # Imports and dictionaries are warm by now: these are the views' own costs.
        print("  one view at a time (plus position/line columns), warm:")
        for view in OFFLINE_VIEWS:
            alone = extract_features(songs, _only(view), cache_dir=None)
            print(f"    {view:13s} {alone.seconds:6.2f} s  dim {alone.dim}")


def _songs_of_length(length: int, count: int, seed: int) -> list[Song]:
    """Synthetic songs cut to ``length`` lines, made by joining consecutive synthetic songs."""
    pool = [
        line
        for song in synthesize_songs(count * (length // 20 + 2), seed=seed)
        for line in song.lines
    ]
    return [
        Song(
            id=f"scale-{length}-{index}",
            lines=pool[index * length : (index + 1) * length],
            labels=None,
        )
        for index in range(count)
    ]


def bench_scale(lengths: list[int], *, songs_per_length: int) -> None:
    extractor = FeatureExtractor()
    extractor.song_features(["warm up the lazy imports", "and the dictionaries"])
    print(f"scale: median of {songs_per_length} synthetic songs per length, all offline views")
    print(f"  {'lines':>6s} {'ms/song':>9s} {'us/line':>8s}")
    for length in lengths:
        songs = _songs_of_length(length, songs_per_length, seed=length)
        seconds = []
        for song in songs:
            started = time.perf_counter()
            extractor.song_features(song.lines)
            seconds.append(time.perf_counter() - started)
        median = statistics.median(seconds)
        print(f"  {length:6d} {1e3 * median:9.1f} {1e6 * median / length:8.0f}")


def _with_neighbours(matrices: list[np.ndarray]) -> list[np.ndarray]:
    """Each line's features next to its neighbours' (zeros past the ends)."""
    widened = []
    for matrix in matrices:
        pad = np.zeros((1, matrix.shape[1]), dtype=matrix.dtype)
        widened.append(
            np.hstack([matrix, np.vstack([pad, matrix[:-1]]), np.vstack([matrix[1:], pad])])
        )
    return widened


def bench_chorus_f1(train_path: Path, val_path: Path, *, ablate: bool) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler

    train, val = load_songs(train_path), load_songs(val_path)
    y_train = np.concatenate([song.labels for song in train])
    y_val = np.concatenate([song.labels for song in val])

    def score(config: FeatureConfig, label: str) -> None:
        results = []
        for widen in (lambda matrices: matrices, _with_neighbours):
            x_train = np.concatenate(
                widen(extract_features(train, config, cache_dir=None).matrices)
            )
            x_val = np.concatenate(widen(extract_features(val, config, cache_dir=None).matrices))
            scaler = StandardScaler().fit(x_train)
            model = LogisticRegression(max_iter=3000).fit(scaler.transform(x_train), y_train)
            results.append(f1_score(y_val, model.predict(scaler.transform(x_val)), average="macro"))
        print(f"  {label:22s} line {results[0]:.4f}   line+neighbours {results[1]:.4f}")

    print(f"chorus macro F1, logistic regression, train {train_path.name} -> {val_path.name}:")
    score(FeatureConfig(), "all views")
    if ablate:
        for view in OFFLINE_VIEWS:
            config = copy.deepcopy(FeatureConfig())
            getattr(config, view).enabled = False
            score(config, f"without {view}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["all", "corpus", "scale", "chorus-f1"], default="all")
    parser.add_argument("--data", type=Path, default=DEFAULT_TRAIN, help="JSONL corpus")
    parser.add_argument(
        "--val", type=Path, default=DEFAULT_VAL, help="validation JSONL (chorus-f1)"
    )
    parser.add_argument("--per-view", action="store_true", help="also time each view alone")
    parser.add_argument("--ablate", action="store_true", help="chorus-f1 without each view in turn")
    parser.add_argument(
        "--lengths", default="50,100,200,300,400,500", help="song lengths for scale"
    )
    parser.add_argument("--songs-per-length", type=int, default=5)
    args = parser.parse_args()
    if args.mode in ("all", "corpus"):
        bench_corpus(args.data, per_view=args.per_view)
    if args.mode in ("all", "scale"):
        bench_scale(
            [int(length) for length in args.lengths.split(",")],
            songs_per_length=args.songs_per_length,
        )
    if args.mode == "chorus-f1":
        bench_chorus_f1(args.data, args.val, ablate=args.ablate)


if __name__ == "__main__":
    main()
