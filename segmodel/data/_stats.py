"""Structure statistics of a labelled corpus.

The figures describe how choruses sit in songs (how many lines, where, how long, how often they
repeat), so a synthetic corpus can be compared with a real one, figure by figure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from segmodel.data._songs import Song

__all__ = ["corpus_stats", "format_stats"]

# A parenthesised ad-lib: "(yeah)", "(Did you miss me?)".
_ADLIB = re.compile(r"\([^()]*\)")

# (key, row label, format) in table order; "%" formats are shares shown as percentages.
_ROWS: tuple[tuple[str, str, str], ...] = (
    ("songs", "songs", "d"),
    ("lines", "lines", "d"),
    ("lines_per_song_median", "lines per song, median", ".1f"),
    ("lines_per_song_p95", "lines per song, 95th percentile", ".1f"),
    ("lines_per_song_max", "lines per song, max", "d"),
    ("chorus_rate", "chorus lines", "%"),
    ("label_changes_median", "label changes per song, median", ".1f"),
    ("songs_without_chorus", "songs without chorus", "%"),
    ("songs_starting_with_chorus", "songs starting with chorus", "%"),
    ("songs_ending_with_chorus", "songs ending with chorus", "%"),
    ("chorus_lines_repeated", "chorus lines repeated in song", "%"),
    ("verse_lines_repeated", "verse lines repeated in song", "%"),
    ("chorus_segment_mean", "chorus segment length, mean", ".1f"),
    ("verse_segment_mean", "verse segment length, mean", ".1f"),
    ("adlib_line_share", "lines with (ad-lib)", "%"),
)


def corpus_stats(songs: Sequence[Song]) -> dict[str, float]:
    """Structure figures of a labelled corpus.

    A *segment* is a maximal run of equal labels inside a song; a *label change* is a boundary
    between two segments. A line is *repeated* when the exact same string occurs at least twice
    in its song. An *ad-lib line* contains a parenthesised part, ``(...)``.

    Returns:
        A dict with, in this order:

        - ``songs``, ``lines``: corpus size.
        - ``lines_per_song_median``, ``lines_per_song_p95``, ``lines_per_song_max``.
        - ``chorus_rate``: share of lines labelled 1.
        - ``label_changes_median``: median over songs of the number of label changes.
        - ``songs_without_chorus``, ``songs_starting_with_chorus``, ``songs_ending_with_chorus``:
          shares of songs with no 1 label, a first line labelled 1, a last line labelled 1.
        - ``chorus_lines_repeated``, ``verse_lines_repeated``: share of chorus (1) and of other
          (0) lines that are repeated (``nan`` when the corpus has no line of that label).
        - ``chorus_segment_mean``, ``verse_segment_mean``: mean length in lines of segments
          labelled 1 and 0 (``nan`` when there are none).
        - ``adlib_line_share``: share of lines that are ad-lib lines.

    Raises:
        ValueError: ``songs`` is empty or a song has no labels.

    Example:
        >>> songs = [
        ...     Song("a", ["v1", "ch", "ch", "v2 (yeah)"], [0, 1, 1, 0]),
        ...     Song("b", ["x", "x"], [0, 0]),
        ... ]
        >>> stats = corpus_stats(songs)
        >>> stats["chorus_rate"], stats["label_changes_median"], stats["verse_lines_repeated"]
        (0.3333333333333333, 1.0, 0.5)
        >>> stats["verse_segment_mean"], stats["adlib_line_share"]
        (1.3333333333333333, 0.16666666666666666)
    """
    if not songs:
        raise ValueError("corpus_stats needs at least one song")
    unlabelled = next((song.id for song in songs if song.labels is None), None)
    if unlabelled is not None:
        raise ValueError(f"corpus_stats needs labelled songs; song {unlabelled!r} has no labels")

    lengths = np.array([len(song.lines) for song in songs])
    labels = np.concatenate([np.asarray(song.labels, dtype=np.int8) for song in songs])
    song_of_line = np.repeat(np.arange(len(songs)), lengths)
    song_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    chorus = labels == 1

    # A segment starts at every line whose song or label differs from the line before.
    new_segment = np.ones(len(labels), dtype=bool)
    new_segment[1:] = (song_of_line[1:] != song_of_line[:-1]) | (labels[1:] != labels[:-1])
    segment_starts = np.flatnonzero(new_segment)
    segment_lengths = np.diff(np.append(segment_starts, len(labels)))
    segment_is_chorus = chorus[segment_starts]
    changes = np.bincount(song_of_line[segment_starts], minlength=len(songs)) - 1

    repeated = _repeated_in_song(songs)
    adlib = np.fromiter(
        (_ADLIB.search(line) is not None for song in songs for line in song.lines),
        dtype=bool,
        count=len(labels),
    )
    return {
        "songs": len(songs),
        "lines": int(lengths.sum()),
        "lines_per_song_median": float(np.median(lengths)),
        "lines_per_song_p95": float(np.percentile(lengths, 95)),
        "lines_per_song_max": int(lengths.max()),
        "chorus_rate": float(chorus.mean()),
        "label_changes_median": float(np.median(changes)),
        "songs_without_chorus": float(
            np.mean(np.bincount(song_of_line[chorus], minlength=len(songs)) == 0)
        ),
        "songs_starting_with_chorus": float(chorus[song_starts].mean()),
        "songs_ending_with_chorus": float(chorus[song_starts + lengths - 1].mean()),
        "chorus_lines_repeated": _mean_or_nan(repeated[chorus]),
        "verse_lines_repeated": _mean_or_nan(repeated[~chorus]),
        "chorus_segment_mean": _mean_or_nan(segment_lengths[segment_is_chorus]),
        "verse_segment_mean": _mean_or_nan(segment_lengths[~segment_is_chorus]),
        "adlib_line_share": float(adlib.mean()),
    }


def format_stats(*stats: Mapping[str, float], titles: Sequence[str] | None = None) -> str:
    """An aligned text table of one or more :func:`corpus_stats` results, one column each.

    Args:
        stats: The figures, one mapping per column.
        titles: Column headings; without them the table has no heading row.

    Example:
        >>> print(format_stats({"songs": 2, "chorus_rate": 0.25}, titles=["demo"]))
                       demo
        songs            2
        chorus lines  25.0%
    """
    if not stats:
        raise ValueError("format_stats needs at least one stats mapping")
    if titles is not None and len(titles) != len(stats):
        raise ValueError(f"got {len(titles)} titles for {len(stats)} columns")
    rows = [
        (label, [_format_value(column.get(key), spec) for column in stats])
        for key, label, spec in _ROWS
        if any(key in column for column in stats)
    ]
    label_width = max(len(label) for label, _ in rows)
    widths = [
        max([len(cells[index]) for _, cells in rows] + ([len(titles[index])] if titles else []))
        for index in range(len(stats))
    ]
    table = []
    if titles is not None:
        table.append(_table_row("", titles, label_width, widths))
    table.extend(_table_row(label, cells, label_width, widths) for label, cells in rows)
    return "\n".join(table)


def _repeated_in_song(songs: Sequence[Song]) -> np.ndarray:
    """Per line of the corpus, whether its exact text occurs again in its song."""
    # Number every distinct (song, line) pair; a pair seen twice is a repeat.
    pair_ids: dict[tuple[int, str], int] = {}
    ids = np.fromiter(
        (
            pair_ids.setdefault((index, line), len(pair_ids))
            for index, song in enumerate(songs)
            for line in song.lines
        ),
        dtype=np.int64,
    )
    return np.bincount(ids)[ids] >= 2


def _mean_or_nan(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _format_value(value: float | None, spec: str) -> str:
    if value is None or value != value:  # absent from this column, or nan
        return "- "
    if spec == "%":
        return f"{100 * value:.1f}%"
    # The trailing space lines the last digit up with the digits of percentages.
    return format(value, spec) + " "


def _table_row(label: str, cells: Sequence[str], label_width: int, widths: Sequence[int]) -> str:
    return "  ".join(
        [label.ljust(label_width)]
        + [cell.rjust(width) for cell, width in zip(cells, widths, strict=True)]
    ).rstrip()
