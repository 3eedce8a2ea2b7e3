"""The synthetic lyrics generator (segmodel.data._synth)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pronouncing
import pytest
from sklearn.metrics import f1_score

from segmodel.data import Song, SynthConfig, corpus_stats, synthesize_songs, write_songs
from segmodel.errors import InputError


def repeat_heuristic_macro_f1(songs: Sequence[Song]) -> float:
    """Line macro F1 of "a line is chorus iff its exact text occurs twice in its song"."""
    gold, predicted = [], []
    for song in songs:
        counts = Counter(song.lines)
        gold += song.labels
        predicted += [int(counts[line] >= 2) for line in song.lines]
    return f1_score(gold, predicted, average="macro")


@pytest.fixture(scope="module")
def corpus() -> list[Song]:
    return synthesize_songs(300, seed=0)


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    write_songs(synthesize_songs(40, seed=11), tmp_path / "one.jsonl")
    write_songs(synthesize_songs(40, seed=11), tmp_path / "two.jsonl")
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_other_seed_gives_other_songs() -> None:
    one, other = synthesize_songs(20, seed=1), synthesize_songs(20, seed=2)
    assert {song.lines for song in one}.isdisjoint(song.lines for song in other)
    assert [song.id for song in one][:2] == ["synth-1-00000", "synth-1-00001"]


def test_fewer_songs_are_a_prefix() -> None:
    assert synthesize_songs(5, seed=3) == synthesize_songs(12, seed=3)[:5]
    assert synthesize_songs(0, seed=3) == []


def test_config_changes_the_corpus() -> None:
    plain = synthesize_songs(30, seed=4)
    without_adlibs = synthesize_songs(30, seed=4, config=SynthConfig(adlib_rate=0.0))
    assert plain != without_adlibs
    # What is left: "(Ooh)" filler lines and ad-libs that vary a repeated chorus.
    without = corpus_stats(without_adlibs)["adlib_line_share"]
    assert without < corpus_stats(plain)["adlib_line_share"] / 3


def test_songs_are_well_formed(corpus: list[Song]) -> None:
    assert len({song.id for song in corpus}) == len(corpus)
    for song in corpus:
        assert song.lines and len(song.labels) == len(song.lines)
        assert set(song.labels) <= {0, 1}
        assert all(line and line == line.strip() and "\n" not in line for line in song.lines)
        assert all(line[0].isupper() or line[0] in "('" for line in song.lines)


def test_structure_is_close_to_the_real_corpus(corpus: list[Song]) -> None:
    stats = corpus_stats(corpus)
    # (low, high) bands around the real corpus (623 songs): median 38 lines, p95 97, chorus
    # rate 0.29, 4 label changes, 22.6% without chorus, 7.7% / 32% starting / ending with it,
    # 78% / 28% of chorus / verse lines repeated, segments of 6 / 11.6 lines, 11% ad-lib lines.
    bands = {
        "lines_per_song_median": (30, 48),
        "lines_per_song_p95": (70, 125),
        "chorus_rate": (0.23, 0.35),
        "label_changes_median": (3, 6),
        "songs_without_chorus": (0.16, 0.30),
        "songs_starting_with_chorus": (0.03, 0.13),
        "songs_ending_with_chorus": (0.24, 0.40),
        "chorus_lines_repeated": (0.70, 0.87),
        "verse_lines_repeated": (0.21, 0.36),
        "chorus_segment_mean": (4.8, 7.5),
        "verse_segment_mean": (9.0, 14.5),
        "adlib_line_share": (0.07, 0.16),
    }
    outside = {
        key: stats[key] for key, (low, high) in bands.items() if not low <= stats[key] <= high
    }
    assert not outside


def test_repeat_heuristic_is_far_from_perfect(corpus: list[Song]) -> None:
    assert 0.65 <= repeat_heuristic_macro_f1(corpus) <= 0.80


def test_difficulty_scales_how_hard_the_corpus_is() -> None:
    scores = [
        repeat_heuristic_macro_f1(
            synthesize_songs(150, seed=5, config=SynthConfig.with_difficulty(difficulty))
        )
        for difficulty in (0.0, 1.0, 2.0)
    ]
    assert scores[0] > 0.9  # no variations, no repeated verse lines
    assert scores[0] > scores[1] > scores[2]
    assert SynthConfig.with_difficulty(1.0) == SynthConfig()


def test_rejects_bad_knobs() -> None:
    with pytest.raises(InputError) as caught:
        SynthConfig(no_chorus_rate=-0.1)
    assert caught.value.key == "synth.no_chorus_rate"
    with pytest.raises(InputError, match="must be >= 0"):
        SynthConfig.with_difficulty(-1.0)
    with pytest.raises(ValueError, match="n_songs"):
        synthesize_songs(-1, seed=0)


def test_line_ends_rhyme(corpus: list[Song]) -> None:
    def end_word(line: str) -> str:
        words = re.sub(r"\([^)]*\)", "", line).split()
        return words[-1].lower().strip(",") if words else ""

    def rhyming_part(word: str) -> str | None:
        phones = pronouncing.phones_for_word(word)
        return pronouncing.rhyming_part(phones[0]) if phones else None

    with_partner = total = 0
    for song in corpus[:60]:
        ends = [rhyming_part(end_word(line)) for line in song.lines]
        for index, part in enumerate(ends):
            neighbours = ends[max(0, index - 3) : index] + ends[index + 1 : index + 4]
            total += 1
            with_partner += part is not None and part in neighbours
    # Schemes AABB / ABAB / AAAA rhyme every line, XAXA half of them.
    assert with_partner / total > 0.6


def test_fresh_lines_rarely_recur_across_songs(corpus: list[Song]) -> None:
    # Lines are built from templates and a vocabulary large enough that two songs seldom
    # share a line by chance (fillers such as "Yeah" aside).
    song_count = Counter(line for song in corpus for line in set(song.lines) if len(line) > 20)
    shared = sum(1 for count in song_count.values() if count > 1)
    assert shared / len(song_count) < 0.03


def test_imitates_chorus_variations_and_echo_adlibs(corpus: list[Song]) -> None:
    echo = re.compile(r"^(.*) \((.+)\)$")
    echoes = sum(
        1
        for song in corpus
        for line in song.lines
        if (match := echo.match(line)) and match[1].lower().endswith(match[2].lower())
    )
    assert echoes > 100
    # Some choruses come back with lines that occur only once in their song.
    varied = sum(
        1
        for song in corpus
        for line, label in zip(song.lines, song.labels, strict=True)
        if label == 1 and song.lines.count(line) == 1
    )
    assert varied > 0.1 * sum(sum(song.labels) for song in corpus)
