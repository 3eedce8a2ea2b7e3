"""Loading, checking and writing song files (segmodel.data._songs)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from segmodel.data import Song, load_plain_lyrics, load_songs, songs_digest, write_songs
from segmodel.errors import InputError

GOOD = '{"id": "a", "lines": ["one", "two"], "labels": [0, 1]}'


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(path: Path, **options: bool) -> InputError:
    with pytest.raises(InputError) as caught:
        load_songs(path, **options)
    return caught.value


def test_loads_songs_in_file_order_as_tuples(tmp_path: Path) -> None:
    corpus = write_lines(
        tmp_path / "c.jsonl", GOOD, '{"id": "b", "lines": ["x"], "labels": [1], "artist": "z"}'
    )
    songs = load_songs(corpus)
    assert songs == [Song("a", ("one", "two"), (0, 1)), Song("b", ("x",), (1,))]
    assert isinstance(songs[0].lines, tuple) and isinstance(songs[0].labels, tuple)


def test_blank_lines_are_skipped_but_counted_for_positions(tmp_path: Path) -> None:
    corpus = write_lines(tmp_path / "c.jsonl", "", GOOD, "   ", '{"id": "b"}')
    error = load_error(corpus)
    assert error.line == 4
    assert str(error).startswith(f"{corpus}:4: missing keys 'lines' and 'labels'")


def test_utf8_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\r\n")
    assert load_songs(corpus)[0].lines == ("one", "two")


def test_very_long_lines_are_fine(tmp_path: Path) -> None:
    prose = "word " * 600  # 3,000 characters
    record = {"id": "prose", "lines": [prose, "short"], "labels": [0, 0]}
    corpus = write_lines(tmp_path / "c.jsonl", json.dumps(record))
    assert load_songs(corpus)[0].lines[0] == prose


DROP = object()


def record(**fields: object) -> str:
    """A one-line song ``{"id": "a", "lines": ["x"], "labels": [0]}`` with fields changed."""
    song = {"id": "a", "lines": ["x"], "labels": [0], **fields}
    return json.dumps({key: value for key, value in song.items() if value is not DROP})


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[1, 2]", None, "expected a JSON object"),
        ('"just a string"', None, "got a string"),
        (record(labels=DROP), None, "missing key 'labels' (keys found: 'id', 'lines')"),
        (record(id=DROP, lines=DROP), None, "missing keys 'id' and 'lines'"),
        (record(id=5), "id", "must be a non-empty string, got a number"),
        (record(id=""), "id", "got an empty string"),
        (record(lines="x"), "lines", "must be a list of strings, got a string"),
        (record(lines=["x", 3], labels=[0, 0]), "lines[1]", "must be a string, got a number"),
        (record(lines=["x", None], labels=[0, 0]), "lines[1]", "got null"),
        (record(lines=[], labels=[]), "lines", "song has no lines"),
        (record(labels=1), "labels", "must be a list of 0/1 labels, got a number"),
        (record(labels=None), "labels", "got null"),
        (record(lines=["x", "y"]), "labels", "has 1 labels but 'lines' has 2"),
        (record(lines=["x", "y"], labels=[0, 2]), "labels[1]", "must be 0 or 1, got 2"),
        (record(labels=[-1]), "labels[0]", "got -1"),
        (record(labels=[True]), "labels[0]", "must be 0 or 1, got true"),
        (record(labels=[1.0]), "labels[0]", "got 1.0"),
        (record(labels=["1"]), "labels[0]", 'got "1"'),
    ],
)
def test_malformed_song_names_file_line_key_and_problem(
    tmp_path: Path, text: str, key: str | None, problem: str
) -> None:
    corpus = write_lines(tmp_path / "c.jsonl", GOOD.replace('"a"', '"first"'), text)
    error = load_error(corpus)
    assert (error.path, error.line, error.key) == (str(corpus), 2, key)
    assert problem in error.message
    place = f"{corpus}:2: " + (f"{key}: " if key else "")
    assert str(error).startswith(place)


def test_invalid_json_gives_the_column(tmp_path: Path) -> None:
    corpus = write_lines(tmp_path / "c.jsonl", GOOD.replace('"a"', '"x"'), '{"id": "a",, }')
    error = load_error(corpus)
    # The second comma is the 12th character of the line.
    assert (error.line, error.column) == (2, 12)
    assert str(error) == (
        f"{corpus}:2:12: invalid JSON: Expecting property name enclosed in double quotes"
    )


def test_truncated_json_is_invalid_json(tmp_path: Path) -> None:
    corpus = write_lines(tmp_path / "c.jsonl", GOOD[:-1])
    error = load_error(corpus)
    assert (error.line, error.column) == (1, len(GOOD))
    assert "invalid JSON: Expecting ',' delimiter" in str(error)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    other = GOOD.replace('"a"', '"b"')
    corpus = write_lines(tmp_path / "c.jsonl", GOOD, other, "", GOOD)
    error = load_error(corpus)
    assert str(error) == f"{corpus}:4: id: duplicate id 'a': already used on line 1"


@pytest.mark.parametrize("content", ["", "\n\n   \n"])
def test_empty_file_has_no_songs(tmp_path: Path, content: str) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(content)
    error = load_error(corpus)
    assert (error.path, error.line) == (str(corpus), None)
    assert str(error) == f"{corpus}: no songs: the file is empty or holds only blank lines"


def test_missing_file(tmp_path: Path) -> None:
    error = load_error(tmp_path / "nope.jsonl")
    assert str(error) == f"{tmp_path / 'nope.jsonl'}: file not found"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert "is a directory" in str(load_error(tmp_path))


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = write_lines(tmp_path / "c.jsonl", GOOD)

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # Simulated: file modes do not stop root, which runs these tests in some containers.
    monkeypatch.setattr("segmodel.data._songs.open", denied, raising=False)
    error = load_error(corpus)
    assert str(error) == f"{corpus}: cannot read the file: Permission denied"


def test_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_bytes(GOOD.encode() + b'\n{"id": "caf\xe9"}\n')
    error = load_error(corpus)
    # b'{"id": "caf' is 11 bytes: the bad byte is the 12th.
    assert (error.line, error.column) == (2, 12)
    assert "not UTF-8 text: byte 0xe9 cannot be decoded" in str(error)


def test_labels_optional_when_not_required(tmp_path: Path) -> None:
    corpus = write_lines(
        tmp_path / "c.jsonl",
        '{"id": "a", "lines": ["x"]}',
        '{"id": "b", "lines": ["y"], "labels": null}',
        '{"id": "c", "lines": ["z"], "labels": [1]}',
    )
    songs = load_songs(corpus, require_labels=False)
    assert [song.labels for song in songs] == [None, None, (1,)]


def test_given_labels_are_checked_even_when_not_required(tmp_path: Path) -> None:
    corpus = write_lines(tmp_path / "c.jsonl", '{"id": "a", "lines": ["x"], "labels": [3]}')
    error = load_error(corpus, require_labels=False)
    assert (error.line, error.key) == (1, "labels[0]")


def test_song_rejects_label_count_mismatch() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 lines"):
        Song("a", ["x"], [0, 1])


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    songs = [
        Song("a", ("Ünïcödé — ok", "line (yeah)"), (0, 1)),
        Song("b", ("x" * 3000,), (0,)),
    ]
    corpus = tmp_path / "sub" / "c.jsonl"
    write_songs(songs, corpus)
    assert load_songs(corpus) == songs
    assert "Ünïcödé" in corpus.read_text(encoding="utf-8")  # not \u-escaped
    assert os.listdir(corpus.parent) == ["c.jsonl"]  # no temporary file left behind


def test_write_omits_missing_labels(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    write_songs([Song("a", ["x"])], corpus)
    assert corpus.read_text() == '{"id":"a","lines":["x"]}\n'
    assert load_songs(corpus, require_labels=False) == [Song("a", ("x",))]


def test_write_replaces_an_existing_file(tmp_path: Path) -> None:
    corpus = write_lines(tmp_path / "c.jsonl", "old content")
    write_songs([Song("a", ["x"], [1])], corpus)
    assert corpus.read_text() == '{"id":"a","lines":["x"],"labels":[1]}\n'


def test_digest_is_sha256_of_canonical_records() -> None:
    expected = hashlib.sha256(b'{"id":"a","lines":["x"],"labels":[1]}\n{"id":"b","lines":["y"]}\n')
    assert songs_digest([Song("a", ["x"], [1]), Song("b", ["y"])]) == expected.hexdigest()


def test_digest_changes_with_any_content() -> None:
    base = [Song("a", ["x", "y"], [0, 1]), Song("b", ["z"], [0])]
    variants = [
        [Song("A", ["x", "y"], [0, 1]), base[1]],  # id
        [Song("a", ["x", "y "], [0, 1]), base[1]],  # a line
        [Song("a", ["x", "y"], [1, 1]), base[1]],  # a label
        [Song("a", ["x", "y"]), base[1]],  # labels dropped
        [base[1], base[0]],  # order
        base[:1],  # a song fewer
        # Same text split differently across lines must not collide.
        [Song("a", ["x y"], [0]), Song("b", ["z"], [0])],
    ]
    digests = {songs_digest(base)} | {songs_digest(variant) for variant in variants}
    assert len(digests) == len(variants) + 1
    assert songs_digest(list(base)) == songs_digest(tuple(base))


def test_plain_lyrics_file(tmp_path: Path) -> None:
    lyrics = tmp_path / "My Song.txt"
    lyrics.write_text("\n  First line  \n\n\nSecond line\r\n(Yeah)\n", encoding="utf-8")
    song = load_plain_lyrics(lyrics)
    assert song == Song("My Song", ("First line", "Second line", "(Yeah)"), None)


def test_plain_lyrics_without_lines(tmp_path: Path) -> None:
    lyrics = tmp_path / "empty.txt"
    lyrics.write_text("\n \n")
    with pytest.raises(InputError) as caught:
        load_plain_lyrics(lyrics)
    message = "no lyric lines: the file is empty or holds only blank lines"
    assert str(caught.value) == f"{lyrics}: {message}"


def test_plain_lyrics_not_utf8_and_missing(tmp_path: Path) -> None:
    lyrics = tmp_path / "latin1.txt"
    lyrics.write_bytes(b"ok\nna\xefve\n")
    with pytest.raises(InputError) as caught:
        load_plain_lyrics(lyrics)
    assert (caught.value.line, caught.value.column) == (2, 3)
    with pytest.raises(InputError, match="file not found"):
        load_plain_lyrics(tmp_path / "nope.txt")
