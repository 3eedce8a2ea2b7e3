"""extract_features: the on-disk cache (hits, keys, corrupt files, atomic writes)."""

import logging
from types import SimpleNamespace

import numpy as np
import pytest

import segmodel.features._cache as cache_module
from segmodel.errors import InputError
from segmodel.features import FeatureConfig, extract_features, feature_cache_key

VERSES = [
    ["Walking down the road alone", "Every door is closed to me", "Nobody knows my name"],
    ["Morning came and you were gone", "Nothing left but memory", "Cold coffee on the table"],
]
CHORUS = ["We are the night", "Burning so bright", "Hold on to the light"]


def _songs(count: int = 12) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            id=f"s{index}",
            lines=[f"Song {index} begins"]
            + VERSES[index % 2]
            + CHORUS
            + VERSES[1 - index % 2]
            + CHORUS,
            labels=None,
        )
        for index in range(count)
    ]


def _assert_same(first, second) -> None:
    assert len(first.matrices) == len(second.matrices)
    for a, b in zip(first.matrices, second.matrices, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.names == second.names


def test_second_call_is_a_cache_hit_with_identical_arrays(tmp_path):
    songs = _songs()
    miss = extract_features(songs, cache_dir=tmp_path)
    hit = extract_features(songs, cache_dir=tmp_path)
    assert (miss.cache_hit, hit.cache_hit) == (False, True)
    assert (
        miss.cache_path
        == hit.cache_path
        == tmp_path / f"features-{feature_cache_key(songs, FeatureConfig())}.npz"
    )
    assert [path.name for path in tmp_path.iterdir()] == [miss.cache_path.name]
    _assert_same(miss, hit)
    assert all(matrix.dtype == np.float32 for matrix in hit.matrices)
    assert [len(matrix) for matrix in hit.matrices] == [len(song.lines) for song in songs]
    assert hit.dim == miss.dim == len(hit.names)
    assert hit.seconds < miss.seconds / 2


def test_without_a_cache_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    features = extract_features(_songs(2), cache_dir=None, progress=True)
    assert (features.cache_hit, features.cache_path) == (False, None)
    assert list(tmp_path.iterdir()) == []


def test_cache_key_follows_lines_config_and_version(monkeypatch):
    songs = _songs(3)
    key = feature_cache_key(songs, FeatureConfig())
    changed_line = [SimpleNamespace(lines=list(song.lines)) for song in songs]
    changed_line[1].lines[2] += "!"
    assert feature_cache_key(changed_line, FeatureConfig()) != key
    assert feature_cache_key(songs[:2], FeatureConfig()) != key
    assert feature_cache_key(songs, FeatureConfig(window=3)) != key
    # Ids and labels do not change features, so they do not change the key either.
    relabelled = [
        SimpleNamespace(id="other", lines=tuple(song.lines), labels=[1] * len(song.lines))
        for song in songs
    ]
    assert feature_cache_key(relabelled, FeatureConfig()) == key
    monkeypatch.setattr(cache_module, "FEATURE_VERSION", cache_module.FEATURE_VERSION + 1)
    assert feature_cache_key(songs, FeatureConfig()) != key


def test_a_different_config_does_not_hit_the_old_cache(tmp_path):
    songs = _songs(2)
    extract_features(songs, cache_dir=tmp_path)
    other = extract_features(songs, FeatureConfig(window=3), cache_dir=tmp_path)
    assert not other.cache_hit
    assert len(list(tmp_path.iterdir())) == 2


def test_a_corrupt_cache_file_is_recomputed_with_a_warning(tmp_path, caplog):
    songs = _songs(3)
    first = extract_features(songs, cache_dir=tmp_path)
    first.cache_path.write_bytes(b"PK\x03\x04 not really a zip file")
    with caplog.at_level(logging.WARNING, logger="segmodel.features._cache"):
        again = extract_features(songs, cache_dir=tmp_path)
    assert not again.cache_hit
    assert "unusable, recomputing" in caplog.text
    assert "cannot be read" in caplog.text
    _assert_same(first, again)
    assert extract_features(songs, cache_dir=tmp_path).cache_hit  # the file was rewritten


def test_a_cache_file_that_does_not_fit_the_songs_is_recomputed(tmp_path, caplog):
    songs = _songs(3)
    first = extract_features(songs, cache_dir=tmp_path)
    with np.load(first.cache_path) as stored:
        values, names = stored["values"], stored["names"]
    with open(first.cache_path, "wb") as file:
        np.savez(file, values=values, offsets=np.array([0, 1, 2, len(values)]), names=names)
    with caplog.at_level(logging.WARNING, logger="segmodel.features._cache"):
        again = extract_features(songs, cache_dir=tmp_path)
    assert not again.cache_hit
    assert "offsets do not match" in caplog.text
    _assert_same(first, again)


def _failing_savez(error: Exception):
    def savez(file, **arrays):
        file.write(b"PK\x03\x04 half a file")
        raise error

    return savez


def test_a_failed_write_leaves_no_file_and_still_returns_features(tmp_path, monkeypatch, caplog):
    songs = _songs(2)
    monkeypatch.setattr(
        cache_module.np, "savez", _failing_savez(OSError(28, "No space left on device"))
    )
    with caplog.at_level(logging.WARNING, logger="segmodel.features._cache"):
        features = extract_features(songs, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert "could not write the feature cache" in caplog.text
    assert features.cache_path is None
    assert [len(matrix) for matrix in features.matrices] == [len(song.lines) for song in songs]


def test_an_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module.np, "savez", _failing_savez(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        extract_features(_songs(2), cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_cache_dir_that_is_a_file_is_an_input_error(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")
    with pytest.raises(InputError) as caught:
        extract_features(_songs(1), cache_dir=blocker / "features")
    assert caught.value.path == str(blocker / "features")
    assert "feature cache directory" in str(caught.value)


def test_a_missing_cache_dir_is_created(tmp_path):
    features = extract_features(_songs(1), cache_dir=tmp_path / "a" / "b")
    assert features.cache_path.parent == tmp_path / "a" / "b"
    assert features.cache_path.exists()


def test_no_songs(tmp_path):
    features = extract_features([], cache_dir=tmp_path)
    assert features.matrices == []
    assert features.dim == len(features.names)
    assert extract_features([], cache_dir=tmp_path).cache_hit
