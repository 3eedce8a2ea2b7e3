"""Every spec and config the project ships is valid and means what its comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner import load_spec
from segmodel.data import synthesize_songs, write_songs
from segmodel.errors import InputError

REPO = Path(__file__).resolve().parent.parent
SPECS = sorted((REPO / "specs").glob("*.yaml"))


@pytest.fixture
def lyrics_data(tmp_path, monkeypatch):
    write_songs(synthesize_songs(20, seed=1), tmp_path / "train.jsonl")
    write_songs(synthesize_songs(5, seed=2), tmp_path / "val.jsonl")
    monkeypatch.setenv("LYRICS_DATA", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_shipped_spec_is_valid(path, lyrics_data):
    spec = load_spec(path)
    assert spec.search_space and spec.budget.n_trials >= 10
    for values in spec.enqueue:  # enqueued baselines name searched parameters only
        assert set(values) <= {p.name for p in spec.search_space}


def test_lyrics_spec_reads_the_corpus_location_from_the_environment(lyrics_data, monkeypatch):
    spec = load_spec(REPO / "specs" / "lyrics.yaml")
    assert spec.base_document["data"]["train"] == str(lyrics_data / "train.jsonl")
    monkeypatch.delenv("LYRICS_DATA")
    with pytest.raises(InputError, match="environment variable LYRICS_DATA is not set"):
        load_spec(REPO / "specs" / "lyrics.yaml")


def test_boundary_spec_is_the_original_search_space(lyrics_data):
    spec = load_spec(REPO / "specs" / "boundary.yaml")
    space = {p.name: p for p in spec.search_space}
    assert space["model.hidden_dim"].choices == (128, 256, 384, 512)
    assert space["model.num_layers"].choices == (1, 2, 3)
    assert (space["model.layer_dropout"].low, space["model.layer_dropout"].high) == (0.0, 0.4)
    assert space["model.attention_heads"].choices == (4, 6, 8, 12)
    assert space["model.attention_dim"].choices == (128, 256, 384)
    assert space["training.batch_size"].choices == (16, 24, 32, 48)
    assert space["training.learning_rate"].log
    assert space["training.scheduler"].choices == ("plateau", "cosine", "cosine_restarts")
    assert spec.budget.n_trials == 50 and spec.budget.epochs_max == 25
    assert spec.pruner["type"] != "none"
