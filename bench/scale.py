"""Feature extraction at scale: a synthetic corpus of N songs, wall time and peak memory.

Run by hand:

    .venv/bin/python bench/scale.py --songs 20000

Generates the corpus (deterministic), extracts all offline views cold into a fresh cache, then
loads it cached, and reports wall times and the process's peak resident memory. bench/features.py
--mode scale gives the per-song cost against song length.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from segmodel.data import synthesize_songs
    from segmodel.features import FeatureConfig, extract_features

    started = time.perf_counter()
    songs = synthesize_songs(args.songs, seed=args.seed)
    generated = time.perf_counter() - started
    lines = sum(len(s.lines) for s in songs)
    cache = tempfile.mkdtemp(prefix="segrun-scale-")
    started = time.perf_counter()
    cold = extract_features(songs, FeatureConfig(), cache_dir=cache)
    cold_seconds = time.perf_counter() - started
    started = time.perf_counter()
    warm = extract_features(songs, FeatureConfig(), cache_dir=cache)
    warm_seconds = time.perf_counter() - started
    assert warm.cache_hit
    print(json.dumps({
        "songs": args.songs,
        "lines": lines,
        "feature_dim": cold.dim,
        "generate_seconds": round(generated, 2),
        "extract_cold_seconds": round(cold_seconds, 2),
        "extract_cold_us_per_line": round(1e6 * cold_seconds / lines, 1),
        "load_cached_seconds": round(warm_seconds, 2),
        "cache_file_mib": round(cold.cache_path.stat().st_size / 2**20, 1),
        "peak_rss_mib": round(peak_mib(), 0),
    }, indent=2))


if __name__ == "__main__":
    main()
