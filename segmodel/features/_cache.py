"""Features of a whole corpus, cached on disk as one ``.npz`` per (songs, config, version)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm.auto import tqdm

from segmodel.atomic import atomic_path
from segmodel.errors import InputError
from segmodel.features._config import FeatureConfig
from segmodel.features._extractor import FEATURE_VERSION, FeatureExtractor

__all__ = ["FeatureSet", "extract_features", "feature_cache_key"]

logger = logging.getLogger(__name__)


class _HasLines(Protocol):
    @property
    def lines(self) -> Sequence[str]: ...


@dataclass
class FeatureSet:
    """Per-line features of a list of songs.

    Attributes:
        matrices: One float32 ``(lines, dim)`` matrix per song, in the songs' order.
        names: Column names (``"word_overlap.max"``, ...).
        dim: Number of columns.
        seconds: Wall time spent computing or loading.
        cache_hit: Whether the matrices came from the cache.
        cache_path: The cache file read or written (``None`` without caching).
    """

    matrices: list[np.ndarray]
    names: list[str]
    dim: int
    seconds: float
    cache_hit: bool
    cache_path: Path | None


def feature_cache_key(songs: Sequence[_HasLines], config: FeatureConfig) -> str:
    """SHA-256 (hex) of everything the features depend on.

    That is the songs' lines (song by song, in order; ids and labels do not change features, so
    relabelling a corpus keeps its cache), the config as canonical JSON and
    :data:`FEATURE_VERSION`.

    Example:
        >>> from types import SimpleNamespace as Song
        >>> key = feature_cache_key([Song(lines=("la la", "la"))], FeatureConfig())
        >>> key == feature_cache_key([Song(lines=["la la", "la"])], FeatureConfig()), len(key)
        (True, 64)
        >>> key == feature_cache_key([Song(lines=("la la",)), Song(lines=("la",))], FeatureConfig())
        False
    """
    digest = hashlib.sha256()
    header = {"feature_version": FEATURE_VERSION, "config": dataclasses.asdict(config)}
    digest.update(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    for song in songs:
        digest.update(b"\n")
        digest.update(json.dumps(list(song.lines), ensure_ascii=False).encode())
    return digest.hexdigest()


def extract_features(
    songs: Sequence[_HasLines],
    config: FeatureConfig | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool = False,
    device: str | None = None,
) -> FeatureSet:
    """Features of every song, from the cache in ``cache_dir`` when it has them.

    The cache file is ``cache_dir/features-<key>.npz`` with ``key =``
    :func:`feature_cache_key`. It is written atomically (a temporary file in ``cache_dir``,
    then ``os.replace``), so processes may share a cache directory; an unreadable or
    inconsistent file is recomputed with a warning, and a failed write only logs a warning.

    Args:
        songs: Objects with a ``lines`` sequence of strings (e.g. ``segmodel.data.Song``).
        config: Feature views; defaults to :class:`FeatureConfig`'s defaults.
        cache_dir: Cache directory, created if missing; ``None`` disables caching.
        progress: Show a progress bar over songs while computing.
        device: Torch device for the optional embedding view.

    Raises:
        InputError: When ``cache_dir`` cannot be used as a directory, or for bad config values.

    Example:
        >>> from types import SimpleNamespace as Song
        >>> features = extract_features([Song(lines=["hey", "hey", "ho"])], cache_dir=None)
        >>> [matrix.shape[0] for matrix in features.matrices], features.cache_hit
        ([3], False)
    """
    started = time.perf_counter()
    config = FeatureConfig() if config is None else config
    extractor = FeatureExtractor(config, device=device)
    cache_path = None
    if cache_dir is not None:
        cache_path = _cache_directory(Path(cache_dir)) / (
            f"features-{feature_cache_key(songs, config)}.npz"
        )
        matrices = _read_cache(cache_path, songs, extractor.names)
        if matrices is not None:
            logger.info("features of %d songs loaded from %s", len(songs), cache_path)
            return FeatureSet(
                matrices=matrices,
                names=list(extractor.names),
                dim=extractor.dim,
                seconds=time.perf_counter() - started,
                cache_hit=True,
                cache_path=cache_path,
            )
    matrices = [
        extractor.song_features(song.lines)
        for song in tqdm(songs, desc="features", unit="song", disable=not progress)
    ]
    if cache_path is not None and not _write_cache(cache_path, matrices, extractor.names):
        cache_path = None
    seconds = time.perf_counter() - started
    logger.info("features of %d songs computed in %.1f s", len(songs), seconds)
    return FeatureSet(
        matrices=matrices,
        names=list(extractor.names),
        dim=extractor.dim,
        seconds=seconds,
        cache_hit=False,
        cache_path=cache_path,
    )


def _cache_directory(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"cannot use it as the feature cache directory: {error.strerror or error}", path=path
        ) from error
    return path


def _read_cache(
    path: Path, songs: Sequence[_HasLines], names: list[str]
) -> list[np.ndarray] | None:
    """The cached matrices, or ``None`` when there is no usable cache file."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            values, offsets, stored_names = stored["values"], stored["offsets"], stored["names"]
        line_counts = np.array([len(song.lines) for song in songs])
        problem = None
        if stored_names.tolist() != names:
            problem = "its column names differ from this feature version's"
        elif values.dtype != np.float32 or values.shape != (int(line_counts.sum()), len(names)):
            problem = f"it holds {values.dtype} values of shape {values.shape}"
        elif offsets.shape != (len(songs) + 1,) or not np.array_equal(
            np.diff(offsets), line_counts
        ):
            problem = "its song offsets do not match the songs"
        elif not np.isfinite(values).all():
            problem = "it holds non-finite values"
    except Exception as error:  # any unreadable file is recomputed, never fatal
        problem = f"it cannot be read ({type(error).__name__}: {error})"
    if problem is not None:
        logger.warning("feature cache %s is unusable, recomputing: %s", path, problem)
        return None
    return [values[start:stop] for start, stop in itertools.pairwise(offsets)]


def _write_cache(path: Path, matrices: list[np.ndarray], names: list[str]) -> bool:
    """Write the cache atomically; on an OS error (disk full, read-only) warn and return False."""
    dim = len(names)
    values = np.concatenate(
        [matrix.reshape(-1, dim) for matrix in matrices] or [np.zeros((0, dim))]
    )
    offsets = np.concatenate([[0], np.cumsum([len(matrix) for matrix in matrices])])
    try:
        with atomic_path(path) as temporary, open(temporary, "wb") as file:
            # A file object, not a path: np.savez would append ".npz" to the temporary name.
            np.savez(
                file,
                values=values.astype(np.float32),
                offsets=offsets.astype(np.int64),
                names=np.array(names, dtype=str),
            )
    except OSError as error:
        logger.warning("could not write the feature cache %s: %s", path, error)
        return False
    return True
