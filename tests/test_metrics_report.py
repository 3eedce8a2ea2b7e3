"""segmentation_scores (the score dict) and score_song_files (two labelled JSONL files)."""

import doctest
import json
from pathlib import Path

import numpy as np
import pytest

from segmodel.errors import InputError
from segmodel.metrics import (
    SCORE_KEYS,
    _report,
    boundary_scores,
    macro_f1,
    pk,
    score_song_files,
    segmentation_scores,
    windowdiff,
)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(_report)
    assert result.attempted > 0 and result.failed == 0


def test_hand_computed_scores() -> None:
    gold = [[0, 0, 1, 1], [0, 1, 1]]
    pred = [[0, 0, 1, 1], [0, 0, 1]]
    # Boundaries: song 0 gold 2 / pred 2, song 1 gold 1 / pred 2.
    # Lines: gold 0 / pred 0: 3, gold 1 / pred 1: 3, gold 1 / pred 0: 1.
    # Pk: song 0 perfect; song 1 has k = round(3 / 4) = 1 and both probes disagree.
    assert segmentation_scores(gold, pred) == {
        "boundary_f1": 0.5,
        "boundary_precision": 0.5,
        "boundary_recall": 0.5,
        "boundary_f1_relaxed_1": 1.0,
        "boundary_f1_relaxed_2": 1.0,
        "boundary_f1_macro": 0.5,
        "macro_f1": pytest.approx(6 / 7),
        "verse_f1": pytest.approx(2 * 3 / (3 + 4)),
        "chorus_f1": pytest.approx(2 * 3 / (4 + 3)),
        "accuracy": pytest.approx(6 / 7),
        "pk": 0.5,
        "windowdiff": 0.5,
        "chorus_rate": pytest.approx(3 / 7),
        "songs": 2,
        "lines": 7,
    }


def test_keys_are_score_keys_in_order() -> None:
    scores = segmentation_scores([[0, 1]], [[0, 1]])
    assert tuple(scores) == SCORE_KEYS
    assert isinstance(scores["songs"], int) and isinstance(scores["lines"], int)
    assert all(isinstance(scores[key], float) for key in SCORE_KEYS[:-2])


def test_pk_and_windowdiff_are_unweighted_means_over_songs_with_a_probe() -> None:
    # Song 0: 4 probes, Pk 1/4, WindowDiff 2/4. Song 1: 1 probe, both 1.0. Song 2: one line,
    # no probe, left out.
    gold = [[0, 0, 0, 1, 1, 1], [0, 1], [1]]
    pred = [[0, 0, 0, 1, 0, 0], [0, 0], [0]]
    scores = segmentation_scores(gold, pred)
    assert scores["pk"] == pytest.approx((0.25 + 1.0) / 2)
    assert scores["windowdiff"] == pytest.approx((0.5 + 1.0) / 2)


def _random_corpus(rng: np.random.Generator, n_songs: int, max_lines: int):
    songs = []
    for _ in range(n_songs):
        n_lines = int(rng.integers(1, max_lines))
        songs.append((np.cumsum(rng.random(n_lines) < 0.2) % 2).astype(int).tolist())
    return songs


def test_agrees_with_the_single_metrics_on_random_corpora() -> None:
    rng = np.random.default_rng(7)
    for _ in range(10):
        gold = _random_corpus(rng, 12, 30)
        pred = [(np.array(song) ^ (rng.random(len(song)) < 0.15)).tolist() for song in gold]
        scores = segmentation_scores(gold, pred)
        exact = boundary_scores(gold, pred)
        assert (scores["boundary_precision"], scores["boundary_recall"], scores["boundary_f1"]) == (
            exact.precision,
            exact.recall,
            exact.f1,
        )
        assert scores["boundary_f1_relaxed_2"] == boundary_scores(gold, pred, tolerance=2).f1
        assert scores["boundary_f1_macro"] == boundary_scores(gold, pred, average="macro").f1
        assert scores["macro_f1"] == pytest.approx(macro_f1(sum(gold, []), sum(pred, [])))
        probed = [(g, p) for g, p in zip(gold, pred) if len(g) >= 2]
        assert scores["pk"] == pytest.approx(np.mean([pk(g, p) for g, p in probed]))
        assert scores["windowdiff"] == pytest.approx(np.mean([windowdiff(g, p) for g, p in probed]))


def test_accepts_numpy_arrays_and_tuples() -> None:
    gold = [np.array([0, 1, 1]), (1, 1)]
    pred = [np.array([0, 1, 1], dtype=np.int64), np.array([True, True])]
    assert segmentation_scores(gold, pred)["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("gold", "pred", "message"),
    [
        ([[0, 1], [0, 0]], [[0, 1]], "gold has 2 songs but pred has 1"),
        (
            [[0, 1], [0, 0], [1]],
            [[0, 1], [0, 0, 1], [1]],
            "song 1: gold has 2 lines but pred has 3",
        ),
        ([[0, 1]], [[0, -1]], r"pred song 0, line 1: label -1 is not 0"),
        ([], [], "gold has no lines to score"),
        ([[]], [[]], "gold has no lines to score"),
    ],
)
def test_rejects_bad_input(gold, pred, message) -> None:
    with pytest.raises(ValueError, match=message):
        segmentation_scores(gold, pred)


def _write_songs(path: Path, songs: list[tuple[str, list[int]]]) -> Path:
    with path.open("w", encoding="utf-8") as file:
        for song_id, labels in songs:
            lines = [f"line {index}" for index in range(len(labels))]
            file.write(json.dumps({"id": song_id, "lines": lines, "labels": labels}) + "\n")
    return path


def test_score_song_files_matches_songs_by_id(tmp_path: Path) -> None:
    gold = _write_songs(tmp_path / "gold.jsonl", [("a", [0, 0, 1, 1]), ("b", [0, 1, 1])])
    pred = _write_songs(tmp_path / "pred.jsonl", [("b", [0, 0, 1]), ("a", [0, 0, 1, 1])])
    assert score_song_files(gold, pred) == segmentation_scores(
        [[0, 0, 1, 1], [0, 1, 1]], [[0, 0, 1, 1], [0, 0, 1]]
    )


@pytest.mark.parametrize(
    ("pred_songs", "message"),
    [
        ([("a", [0, 0, 1, 1])], r"song 'b' of .*gold.jsonl has no prediction"),
        (
            [("a", [0, 0, 1, 1]), ("b", [0, 1, 1]), ("c", [1])],
            r"song 'c' is not in .*gold.jsonl",
        ),
        (
            [("a", [0, 0, 1, 1]), ("b", [0, 1])],
            r"song 'b' has 2 predicted labels but 3 lines in .*gold.jsonl",
        ),
    ],
)
def test_score_song_files_rejects_unmatched_predictions(
    tmp_path: Path, pred_songs, message
) -> None:
    gold = _write_songs(tmp_path / "gold.jsonl", [("a", [0, 0, 1, 1]), ("b", [0, 1, 1])])
    pred = _write_songs(tmp_path / "pred.jsonl", pred_songs)
    with pytest.raises(InputError, match=message) as caught:
        score_song_files(gold, pred)
    assert caught.value.path == str(pred)
    assert str(caught.value).startswith(f"{pred}: ")


def test_score_song_files_rejects_a_repeated_id(tmp_path: Path) -> None:
    gold = _write_songs(tmp_path / "gold.jsonl", [("a", [0, 1])])
    pred = _write_songs(tmp_path / "pred.jsonl", [("a", [0, 1]), ("a", [1, 1])])
    with pytest.raises(InputError, match="'a'") as caught:
        score_song_files(gold, pred)
    assert caught.value.path == str(pred)
