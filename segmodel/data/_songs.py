"""Songs and the files they live in.

A corpus is a JSONL file, one song per line::

    {"id": "song-1", "lines": ["First line", "Second line"], "labels": [0, 1]}

``labels`` holds one label per lyric line: ``1`` for a chorus line, ``0`` for anything else
(verse, pre-chorus, bridge, intro, outro). Every song is checked on loading, and the first
problem is raised as one :class:`~segmodel.errors.InputError` that names the file and line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from segmodel.atomic import atomic_path
from segmodel.errors import InputError

__all__ = ["Song", "load_plain_lyrics", "load_songs", "songs_digest", "write_songs"]

_UTF8_BOM = b"\xef\xbb\xbf"

# Builds the InputError for one place in the file: ``fail(message, key=..., column=...)``.
_Fail = Callable[..., InputError]


@dataclass(frozen=True)
class Song:
    """One song: its lyric lines and, for training data, a label per line.

    Lists given for ``lines`` or ``labels`` are stored as tuples, so a song is immutable and
    hashable.

    Attributes:
        id: Identifier, unique within a corpus.
        lines: The lyric lines, in order.
        labels: ``1`` (chorus) or ``0`` (not chorus) per line, or ``None`` for unlabelled lyrics.

    Raises:
        ValueError: ``labels`` is not as long as ``lines``.

    Example:
        >>> song = Song("demo", ["Here we go", "Sing it loud"], [0, 1])
        >>> song.lines, song.labels
        (('Here we go', 'Sing it loud'), (0, 1))
    """

    id: str
    lines: tuple[str, ...]
    labels: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        if self.labels is not None:
            object.__setattr__(self, "labels", tuple(self.labels))
            if len(self.labels) != len(self.lines):
                raise ValueError(
                    f"song {self.id!r} has {len(self.labels)} labels for {len(self.lines)} lines"
                )


def load_songs(path: str | os.PathLike[str], *, require_labels: bool = True) -> list[Song]:
    """Read and check a JSONL corpus.

    Blank lines are skipped; keys other than ``id``, ``lines`` and ``labels`` are ignored.

    Args:
        path: The JSONL file.
        require_labels: Whether every song must carry ``labels``. With ``False`` a song may
            leave them out (or give ``null``); labels that are given are still checked.

    Returns:
        The songs, in file order.

    Raises:
        InputError: The file is missing, unreadable, not UTF-8 or empty, or a song is malformed
            (invalid JSON, missing key, wrong type, no lines, labels that are not 0/1 or do not
            match the lines, duplicate id). The error carries the file and 1-based line number.

    Example:
        >>> import tempfile, pathlib
        >>> corpus = pathlib.Path(tempfile.mkdtemp()) / "songs.jsonl"
        >>> _ = corpus.write_text('{"id": "a", "lines": ["la", "la"], "labels": [1, 1]}\\n')
        >>> load_songs(corpus)
        [Song(id='a', lines=('la', 'la'), labels=(1, 1))]
        >>> _ = corpus.write_text('{"id": "a", "lines": ["la"], "labels": [2]}\\n')
        >>> load_songs(corpus)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        segmodel.errors.InputError: ...songs.jsonl:1: labels[0]: must be 0 or 1, got 2
    """
    songs: list[Song] = []
    first_line_of_id: dict[str, int] = {}
    with _open_for_reading(path) as stream:
        for number, text in _decoded_lines(stream, path):
            if not text.strip():
                continue
            song = _parse_song(text, require_labels=require_labels, path=path, line=number)
            if song.id in first_line_of_id:
                raise InputError(
                    f"duplicate id {song.id!r}: already used on line {first_line_of_id[song.id]}",
                    path=path,
                    line=number,
                    key="id",
                )
            first_line_of_id[song.id] = number
            songs.append(song)
    if not songs:
        raise InputError("no songs: the file is empty or holds only blank lines", path=path)
    return songs


def write_songs(songs: Iterable[Song], path: str | os.PathLike[str]) -> None:
    """Write songs as JSONL, atomically, in the format :func:`load_songs` reads.

    ``labels`` is left out of songs that have none.

    Example:
        >>> import tempfile, pathlib
        >>> corpus = pathlib.Path(tempfile.mkdtemp()) / "songs.jsonl"
        >>> write_songs([Song("a", ["la"], [1]), Song("b", ["da"])], corpus)
        >>> print(corpus.read_text(), end="")
        {"id":"a","lines":["la"],"labels":[1]}
        {"id":"b","lines":["da"]}
    """
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as stream:
        for song in songs:
            stream.write(_song_json(song) + "\n")


def songs_digest(songs: Iterable[Song]) -> str:
    """SHA-256 (hex) of the songs' ids, lines and labels, in order.

    Two corpora have the same digest exactly when they hold the same songs in the same order,
    so the digest keys caches of anything computed from the songs.

    Example:
        >>> a = songs_digest([Song("a", ["la"], [1])])
        >>> a == songs_digest([Song("a", ["la"], [1])]), a == songs_digest([Song("a", ["la"], [0])])
        (True, False)
        >>> len(a)
        64
    """
    hasher = hashlib.sha256()
    for song in songs:
        # One canonical JSON record per song, newline-terminated: no two different song
        # sequences serialise to the same bytes.
        hasher.update(_song_json(song).encode("utf-8") + b"\n")
    return hasher.hexdigest()


def load_plain_lyrics(path: str | os.PathLike[str]) -> Song:
    """Read a plain-text lyrics file: one lyric line per line, blank lines ignored.

    The song's id is the file name without its suffix; it has no labels.

    Raises:
        InputError: The file is missing, unreadable, not UTF-8, or has no lyric line.

    Example:
        >>> import tempfile, pathlib
        >>> lyrics = pathlib.Path(tempfile.mkdtemp()) / "my-song.txt"
        >>> _ = lyrics.write_text("First line\\n\\n  Second line \\n")
        >>> load_plain_lyrics(lyrics)
        Song(id='my-song', lines=('First line', 'Second line'), labels=None)
    """
    with _open_for_reading(path) as stream:
        lines = [text.strip() for _, text in _decoded_lines(stream, path) if text.strip()]
    if not lines:
        raise InputError("no lyric lines: the file is empty or holds only blank lines", path=path)
    return Song(Path(path).stem, tuple(lines))


def _song_json(song: Song) -> str:
    record: dict[str, Any] = {"id": song.id, "lines": list(song.lines)}
    if song.labels is not None:
        record["labels"] = list(song.labels)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _open_for_reading(path: str | os.PathLike[str]) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path=path) from None
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", path=path) from None


def _decoded_lines(stream: BinaryIO, path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Yield ``(1-based line number, text)`` with the line ending removed."""
    try:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(_UTF8_BOM):
                raw = raw[len(_UTF8_BOM) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(
                    f"not UTF-8 text: byte 0x{raw[error.start]:02x} cannot be decoded; "
                    "save the file as UTF-8",
                    path=path,
                    line=number,
                    column=error.start + 1,
                ) from None
            yield number, text.rstrip("\r\n")
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", path=path) from None


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _parse_song(
    text: str, *, require_labels: bool, path: str | os.PathLike[str], line: int
) -> Song:
    def fail(message: str, *, key: str | None = None, column: int | None = None) -> InputError:
        return InputError(message, path=path, line=line, column=column, key=key)

    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(f"invalid JSON: {error.msg}", column=error.colno) from None
    if not isinstance(record, dict):
        raise fail(
            'expected a JSON object {"id": ..., "lines": [...], "labels": [...]}, '
            f"got {_json_type(record)}"
        )

    required = ("id", "lines", "labels") if require_labels else ("id", "lines")
    missing = [key for key in required if key not in record]
    if missing:
        found = ", ".join(repr(key) for key in record) or "none"
        noun = "key" if len(missing) == 1 else "keys"
        names = " and ".join(repr(key) for key in missing)
        raise fail(f"missing {noun} {names} (keys found: {found})")

    song_id = record["id"]
    if not isinstance(song_id, str) or not song_id:
        got = "an empty string" if song_id == "" else _json_type(song_id)
        raise fail(f"must be a non-empty string, got {got}", key="id")

    lines = _checked_lines(record["lines"], fail)
    labels = record.get("labels")
    if labels is None:
        if require_labels:
            raise fail("must be a list of 0/1 labels, got null", key="labels")
        return Song(song_id, lines)
    return Song(song_id, lines, _checked_labels(labels, len(lines), fail))


def _checked_lines(lines: Any, fail: _Fail) -> tuple[str, ...]:
    if not isinstance(lines, list):
        raise fail(f"must be a list of strings, got {_json_type(lines)}", key="lines")
    if not lines:
        raise fail("song has no lines: 'lines' is an empty list", key="lines")
    for index, item in enumerate(lines):
        if not isinstance(item, str):
            raise fail(f"must be a string, got {_json_type(item)}", key=f"lines[{index}]")
    return tuple(lines)


def _checked_labels(labels: Any, n_lines: int, fail: _Fail) -> tuple[int, ...]:
    if not isinstance(labels, list):
        raise fail(f"must be a list of 0/1 labels, got {_json_type(labels)}", key="labels")
    for index, item in enumerate(labels):
        # bool is a subclass of int in Python, but true/false in a label file is a mistake.
        if isinstance(item, bool) or not isinstance(item, int) or item not in (0, 1):
            raise fail(f"must be 0 or 1, got {json.dumps(item)}", key=f"labels[{index}]")
    if len(labels) != n_lines:
        raise fail(
            f"has {len(labels)} labels but 'lines' has {n_lines} lines; give one label per line",
            key="labels",
        )
    return tuple(labels)
