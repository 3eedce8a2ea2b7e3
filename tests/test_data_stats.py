"""Corpus structure statistics (segmodel.data._stats) on hand-made corpora."""

from __future__ import annotations

import math

import pytest

from segmodel.data import Song, corpus_stats, format_stats

# Song a: verse(2) chorus(2) verse(1) chorus(2); "hook" repeats inside the verse label,
#         "sing (yeah)" is an ad-lib line and repeats as chorus.
# Song b: no chorus, 3 lines, "la" twice.
# Song c: starts and ends with chorus: chorus(1) verse(1) chorus(1), nothing repeated.
SONGS = [
    Song(
        "a",
        ["hook", "v1", "sing (yeah)", "loud", "hook", "sing (yeah)", "proud"],
        [0, 0, 1, 1, 0, 1, 1],
    ),
    Song("b", ["la", "la", "end ("], [0, 0, 0]),
    Song("c", ["c1", "v", "c2"], [1, 0, 1]),
]


def test_hand_computed_figures() -> None:
    stats = corpus_stats(SONGS)
    assert stats == {
        "songs": 3,
        "lines": 13,
        "lines_per_song_median": 3.0,
        # numpy's linear interpolation: 3 + 0.9 * (7 - 3)
        "lines_per_song_p95": pytest.approx(6.6),
        "lines_per_song_max": 7,
        # a: 4 chorus lines, c: 2 -> 6 of 13
        "chorus_rate": pytest.approx(6 / 13),
        # changes a: 3, b: 0, c: 2
        "label_changes_median": 2.0,
        "songs_without_chorus": pytest.approx(1 / 3),
        "songs_starting_with_chorus": pytest.approx(1 / 3),
        "songs_ending_with_chorus": pytest.approx(2 / 3),
        # chorus lines repeated: the two "sing (yeah)" of 6 chorus lines
        "chorus_lines_repeated": pytest.approx(2 / 6),
        # verse lines: hook, v1, hook | la, la, end ( | v -> 4 of 7 repeated
        "verse_lines_repeated": pytest.approx(4 / 7),
        # chorus segments: 2, 2 (a), 1, 1 (c)
        "chorus_segment_mean": 1.5,
        # verse segments: 2, 1 (a), 3 (b), 1 (c)
        "verse_segment_mean": 1.75,
        # "sing (yeah)" twice; "end (" has no closing parenthesis
        "adlib_line_share": pytest.approx(2 / 13),
    }


def test_keys_are_in_table_order() -> None:
    assert list(corpus_stats(SONGS))[:3] == ["songs", "lines", "lines_per_song_median"]


def test_segments_do_not_run_across_songs() -> None:
    # Both songs are all chorus: two segments of 2, not one of 4.
    stats = corpus_stats([Song("a", ["x", "y"], [1, 1]), Song("b", ["x", "z"], [1, 1])])
    assert stats["chorus_segment_mean"] == 2.0
    assert stats["label_changes_median"] == 0.0
    # "x" is in both songs, but once per song: not repeated.
    assert stats["chorus_lines_repeated"] == 0.0
    assert math.isnan(stats["verse_lines_repeated"])
    assert math.isnan(stats["verse_segment_mean"])


def test_rejects_empty_and_unlabelled() -> None:
    with pytest.raises(ValueError, match="at least one song"):
        corpus_stats([])
    with pytest.raises(ValueError, match="song 'u' has no labels"):
        corpus_stats([Song("a", ["x"], [0]), Song("u", ["y"])])


def test_format_single_column() -> None:
    table = format_stats(corpus_stats(SONGS))
    lines = table.splitlines()
    assert len(lines) == 15
    assert lines[0].split() == ["songs", "3"]
    assert lines[5].endswith("46.2%")  # 6/13 chorus lines
    assert lines[6].split()[-1] == "2.0"
    # Every value ends in the same column: digits of numbers and percentages line up.
    ends = {len(line.rstrip(" ")) + (0 if line.endswith("%") else 1) for line in lines}
    assert len(ends) == 1


def test_format_columns_with_titles_and_missing_values() -> None:
    table = format_stats(
        {"songs": 600, "chorus_rate": 0.29},
        {"songs": 12, "chorus_rate": float("nan")},
        titles=["real", "synthetic"],
    )
    assert table.splitlines() == [
        "               real  synthetic",
        "songs          600         12",
        "chorus lines  29.0%         -",
    ]


def test_format_rejects_title_count_mismatch() -> None:
    with pytest.raises(ValueError, match="2 titles for 1 columns"):
        format_stats({"songs": 1}, titles=["a", "b"])
