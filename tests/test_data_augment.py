"""Excerpts of training songs: where they start, what they keep, and that training uses them."""

from __future__ import annotations

import pytest

from segmodel.config import TrainConfig, load_train_config
from segmodel.data import Song, song_excerpts, songs_digest, synthesize_songs
from segmodel.errors import InputError
from segmodel.trainer import load_splits, train

# Sections start at lines 0, 6, 10, 16 and 20 of 26.
LABELS = [0] * 6 + [1] * 4 + [0] * 6 + [1] * 4 + [0] * 2 + [1] * 4
SONG = Song("song", [f"line {i}" for i in range(len(LABELS))], LABELS)


def test_excerpts_are_labelled_slices_that_start_at_a_section_and_keep_half_to_nine_tenths():
    songs = song_excerpts([SONG], copies=16, seed=1)
    assert songs[0] is SONG
    excerpts = songs[1:]
    assert len(excerpts) >= 12  # only an excerpt as long as the song is dropped
    for excerpt in excerpts:
        start = int(excerpt.lines[0].split()[1])
        assert start in {0, 6, 10, 16, 20}
        assert excerpt.lines == SONG.lines[start : start + len(excerpt.lines)]
        assert excerpt.labels == SONG.labels[start : start + len(excerpt.lines)]
        assert 13 <= len(excerpt.lines) <= 23  # floor(26 * [0.5, 0.9])
        assert excerpt.id.startswith("song~excerpt")
    assert len({e.id for e in excerpts}) == len(excerpts)
    assert len({e.lines for e in excerpts}) > 1


def test_excerpts_depend_only_on_the_songs_and_the_seed():
    songs = synthesize_songs(20, seed=4)
    assert song_excerpts(songs, copies=2, seed=0) == song_excerpts(songs, copies=2, seed=0)
    assert song_excerpts(songs, copies=2, seed=0) != song_excerpts(songs, copies=2, seed=1)


def test_short_songs_songs_with_few_sections_and_unlabelled_songs_get_no_excerpt():
    short = Song("short", [f"l{i}" for i in range(11)], [0] * 4 + [1] * 4 + [0] * 3)
    one_section = Song("flat", [f"l{i}" for i in range(30)], [0] * 30)
    two_sections = Song("two", [f"l{i}" for i in range(30)], [0] * 15 + [1] * 15)
    unlabelled = Song("bare", [f"l{i}" for i in range(30)])
    songs = [short, one_section, two_sections, unlabelled]
    assert song_excerpts(songs, copies=3) == songs
    assert song_excerpts([SONG], copies=0) == [SONG]


@pytest.mark.parametrize(("options", "message"), [({"copies": -1}, "copies"), ({"min_fraction": 0.0}, "min_fraction")])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        song_excerpts([SONG], **{"copies": 1, **options})


def test_training_adds_the_excerpts_to_train_only():
    config = TrainConfig()
    config.data.synthetic.train_songs = 40
    config.data.synthetic.val_songs = 10
    config.model.hidden_dim = 16
    config.model.num_layers = 1
    config.training.max_epochs = 1
    config.system.threads = 1
    splits = load_splits(config.data)  # no excerpts yet
    config.data.excerpts.copies = 2
    with_excerpts = load_splits(config.data)
    assert with_excerpts.train == song_excerpts(splits.train, copies=2, seed=0)
    assert with_excerpts.val == splits.val
    expected = songs_digest([*song_excerpts(splits.train, copies=2, seed=0), *splits.val])[:16]
    assert expected != songs_digest([*splits.train, *splits.val])[:16]
    assert train(config).data_digest == expected


def test_an_excerpt_fraction_out_of_range_names_its_key(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("data:\n  excerpts:\n    copies: 2\n    min_fraction: 0.95\n")
    with pytest.raises(InputError) as error:
        load_train_config(path)
    assert "data.excerpts.min_fraction" in str(error.value)
    assert "config.yaml" in str(error.value)
