"""A deterministic generator of synthetic, labelled song lyrics.

The songs imitate the *structure* of real lyrics, not their meaning: a song is a sequence of
sections (intro, verses, pre-choruses, choruses, bridge, outro); verses are fresh lines in a rhyme
scheme, choruses a fixed block that comes back with variations. What makes real lyrics hard to
segment is imitated on purpose, each device with its own knob in :class:`SynthConfig`: choruses
that change (a new last line, dropped or added lines, extra ad-libs), verse material that repeats
(pre-choruses, hooks and refrains, filler lines, whole verses, chorus lines echoed in an outro),
songs without a chorus and songs that open with one.

Lines are built from hand-written templates whose slots take words of a part of speech from a
lyric vocabulary; line ends rhyme by the CMU Pronouncing Dictionary, and each section keeps a
syllable count per line, so rhyme and rhythm features see what they would see in real lyrics.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from segmodel.data._dice import Dice
from segmodel.data._songs import Song
from segmodel.data._vocabulary import (
    PARTS_OF_SPEECH,
    Vocabulary,
    count_syllables,
    load_vocabulary,
)
from segmodel.errors import InputError

__all__ = ["SynthConfig", "synthesize_songs"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class SynthConfig:
    """Knobs of the synthetic lyrics generator.

    The defaults reproduce the structure figures of a real corpus of 623 songs (see
    :func:`~segmodel.data.corpus_stats`); the repeated-line heuristic (a line is chorus iff it
    occurs twice in its song) scores about 0.71 line macro F1 on both. Every field is a
    probability in ``[0, 1]``.

    Attributes:
        no_chorus_rate: A song has no chorus at all (only verses, maybe with a refrain).
        chorus_first_rate: A song with a chorus opens with it (no intro, no verse before it).
        end_on_chorus_rate: A song with a chorus ends on it; otherwise an outro or a last verse
            follows the last chorus.
        intro_rate: A song has an intro (label 0): filler lines, spoken lines or an echo of the
            chorus.
        pre_chorus_rate: A song with a chorus has a pre-chorus: a block of 2-4 lines, labelled
            0, repeated verbatim before every chorus.
        bridge_rate: A song with three or more choruses has a bridge instead of its last verse.
        chorus_hook_rate: A chorus repeats its first line inside itself ("hook" line), so its
            lines repeat even when the chorus comes only once.
        chorus_variation_rate: A repeat of the chorus is varied: a new last line, a dropped
            half or line, an added line, or extra ad-libs (varied lines occur only once).
        final_chorus_double_rate: The last chorus is sung twice in a row.
        verse_hook_rate: A song with a chorus has a hook line (labelled 0) that comes back in
            every verse, at its end or on every other line.
        refrain_rate: A song without a chorus has a refrain: a hook line as above.
        chorus_echo_rate: An intro or outro is made of chorus lines, labelled 0.
        repeated_verse_rate: A later verse is a verbatim copy of the first.
        filler_line_rate: Per verse line, a short filler line ("Yeah", "Uh") is inserted; each
            song draws its few fillers once, so they repeat.
        doubled_line_rate: Per verse line, the line is sung twice in a row.
        adlib_rate: Per fresh line, a parenthesised ad-lib is added: an interjection ("(yeah)")
            or an echo of the line's last words.

    Raises:
        InputError: A field is outside ``[0, 1]``; ``key`` is ``synth.<field>``.

    Example:
        >>> SynthConfig().no_chorus_rate
        0.22
        >>> SynthConfig(adlib_rate=1.5)
        Traceback (most recent call last):
        ...
        segmodel.errors.InputError: synth.adlib_rate: must be a probability in [0, 1], got 1.5
    """

    no_chorus_rate: float = 0.22
    chorus_first_rate: float = 0.1
    end_on_chorus_rate: float = 0.42
    intro_rate: float = 0.35
    pre_chorus_rate: float = 0.4
    bridge_rate: float = 0.35
    chorus_hook_rate: float = 0.2
    chorus_variation_rate: float = 0.75
    final_chorus_double_rate: float = 0.2
    verse_hook_rate: float = 0.3
    refrain_rate: float = 0.6
    chorus_echo_rate: float = 0.5
    repeated_verse_rate: float = 0.12
    filler_line_rate: float = 0.04
    doubled_line_rate: float = 0.04
    adlib_rate: float = 0.1

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not 0.0 <= value <= 1.0:
                raise InputError(
                    f"must be a probability in [0, 1], got {value}", key=f"synth.{field.name}"
                )

    @classmethod
    def with_difficulty(cls, difficulty: float) -> SynthConfig:
        """The default config with its confusing devices scaled by ``difficulty``.

        ``0`` turns off chorus variations and every way verse lines repeat (the repeated-line
        heuristic is then nearly perfect), ``1`` is the default (like real lyrics), higher values
        make the devices more frequent (each rate capped at 1).

        Example:
            >>> SynthConfig.with_difficulty(2.0).pre_chorus_rate
            0.8
            >>> SynthConfig.with_difficulty(0.0).pre_chorus_rate
            0.0
        """
        if not difficulty >= 0:
            raise InputError(f"must be >= 0, got {difficulty}", key="synth.difficulty")
        default = cls()
        return dataclasses.replace(
            default,
            **{name: min(1.0, getattr(default, name) * difficulty) for name in _DIFFICULTY_FIELDS},
        )


# The knobs that confuse the repeated-line heuristic: chorus lines that do not repeat and verse
# lines that do.
_DIFFICULTY_FIELDS = (
    "chorus_variation_rate",
    "pre_chorus_rate",
    "verse_hook_rate",
    "refrain_rate",
    "chorus_echo_rate",
    "repeated_verse_rate",
    "filler_line_rate",
    "doubled_line_rate",
)


def synthesize_songs(n_songs: int, *, seed: int, config: SynthConfig | None = None) -> list[Song]:
    """Generate ``n_songs`` labelled songs.

    Song ``i`` depends only on ``seed``, ``i`` and ``config``: the same arguments give
    byte-identical songs, and a smaller ``n_songs`` gives a prefix of a larger corpus.

    Args:
        n_songs: How many songs, ``>= 0``.
        seed: Any integer.
        config: The knobs; ``None`` for the defaults (a realistic corpus).

    Returns:
        Songs with ids ``synth-<seed>-<index>`` and labels (1 = chorus line).

    Example:
        >>> songs = synthesize_songs(2, seed=7)
        >>> [song.id for song in songs]
        ['synth-7-00000', 'synth-7-00001']
        >>> songs == synthesize_songs(2, seed=7)
        True
        >>> all(len(song.labels) == len(song.lines) for song in songs)
        True
    """
    if n_songs < 0:
        raise ValueError(f"n_songs must be >= 0, got {n_songs}")
    if config is None:
        config = SynthConfig()
    vocabulary = load_vocabulary()
    templates = _templates_by_end()
    songs = [
        _SongWriter(Dice(f"segmodel-synth:{seed}:{index}"), vocabulary, templates, config).song(
            f"synth-{seed}-{index:05d}"
        )
        for index in range(n_songs)
    ]
    logger.debug("synthesised %d songs, %d lines", n_songs, sum(len(s.lines) for s in songs))
    return songs


@dataclass(frozen=True)
class _Table(Generic[T]):
    """Values drawn with given weights."""

    values: tuple[T, ...]
    cumulative_weights: tuple[float, ...]

    @classmethod
    def of(cls, *pairs: tuple[T, float]) -> _Table[T]:
        return cls(
            tuple(value for value, _ in pairs),
            tuple(itertools.accumulate(weight for _, weight in pairs)),
        )

    def draw(self, dice: Dice) -> T:
        return self.values[dice.weighted(self.cumulative_weights)]


# Structure sizes, read off the segment counts and lengths of the real corpus.
_CHORUS_COUNTS = _Table.of((1, 6), (2, 36), (3, 42), (4, 12), (5, 4))
_VERSE_COUNTS_WITHOUT_CHORUS = _Table.of((2, 20), (3, 40), (4, 30), (5, 10))
_VERSE_LENGTHS = _Table.of((4, 31), (6, 10), (8, 33), (12, 11), (16, 9), (20, 3), (24, 2), (32, 2))
_CHORUS_LENGTHS = _Table.of((2, 5), (3, 4), (4, 38), (5, 5), (6, 12), (8, 28), (12, 8))

# Fixed words and {slots}; the last token is always a slot, the rhyming word. "a" before a
# vowel becomes "an" when the line is written.
_TEMPLATES = (
    # ... rhyming on a noun
    "I {VD} my {N} for your {N}",
    "you {VD} the {A} {N}",
    "we been {VG} in the {N}",
    "I can't {V} without your {N}",
    "all I {V} is a little {N}",
    "take me to the {A} {N}",
    "I'm {VG} through the {N}",
    "she {VD} with a {A} {N}",
    "they never {V} the {N}",
    "lost in the {N} of a {N}",
    "you know I {V} your {N}",
    "out here {VG} for the {N}",
    "I {VD} it all for the {N}",
    "we {V} like a {A} {N}",
    "{VG} like a {N}",
    "don't you {V} my {N}",
    "every {N} is a {N}",
    "I remember the {A} {N}",
    "nothing but the {A} {N}",
    "baby, you're my {A} {N}",
    "meet me by the {A} {N}",
    "we were {A} in the {N}",
    "I see your {N} in the {N}",
    "give me one more {A} {N}",
    "it's a {A} {N}",
    "through the {N} and the {N}",
    "under the {A} {N}",
    "you got me {VG} for your {N}",
    "{VG} through my {N}",
    "I {VD} a {N} in the {N}",
    "I just wanna {V} your {N}",
    # ... on a plural noun
    "I {VD} all the {NS}",
    "we were {VG} with the {NS}",
    "{A} {NS} and {A} {NS}",
    "{VG} all my {A} {NS}",
    "you and me and all the {NS}",
    "I don't need your {A} {NS}",
    "look into my {A} {NS}",
    "we don't {V} no {NS}",
    "so many {A} {NS}",
    "nothing left but {A} {NS}",
    # ... on a verb
    "the {N} will never {V}",
    "tell me how to {V}",
    "baby, don't you {V}",
    "no {N} gonna make me {V}",
    "we were {A}, born to {V}",
    "I {VD} but never learned to {V}",
    "all the {NS} {V}",
    "let the {NS} {V}",
    "{N}, you don't have to {V}",
    "I could {V} and {V}",
    "when the {N} begins to {V}",
    "every {N} has to {V}",
    # ... on a past tense
    "the night the {N} {VD}",
    "then the {N} {VD}",
    "every {N} I had just {VD}",
    "when you {VD}, I {VD}",
    "all my {NS} {VD}",
    "that's the {N} we {VD}",
    # ... on an -ing form
    "my {N} keeps on {VG}",
    "we been {VG} and {VG}",
    "can't stop the {N} from {VG}",
    "the {A} {N} keeps {VG}",
    "all night we were {VG}",
    "{A} {N}, you got me {VG}",
    "I see the {NS} {VG}",
    "I'm still {VG}",
    # ... on an adjective
    "{VG} makes me feel so {A}",
    "your {N} makes me {A}",
    "the {N} is {A}",
    "we were {A} and {A}",
    "never been so {A}",
    "everything is {A} and {A}",
    "{VG} till I'm {A}",
    "my {N} is {A}",
    "I'm {A} and {A}",
    "the {NS} look so {A}",
)

# How often a line ends on each part of speech.
_END_PARTS = _Table.of(("N", 40), ("NS", 10), ("V", 16), ("VD", 8), ("VG", 11), ("A", 15))

# Rhyme schemes of four lines: equal letters rhyme, "x" is free.
_RHYME_SCHEMES = _Table.of(("aabb", 35), ("abab", 25), ("xaxa", 25), ("aaaa", 15))

_INTERJECTIONS = tuple(
    "yeah|oh|uh|ayy|woo|hey|oh-oh|yeah, yeah|uh-huh|come on|let's go|ooh|whoa|okay".split("|")
)
_FILLER_LINES = tuple(
    "Yeah|Ayy|Uh|Oh-oh-oh|Woo|Hey, hey|Yeah, yeah|Ooh|Okay|Let's go|Na-na-na-na|(Ooh)|(Yeah)"
    "|Uh-huh|Oh, oh|Hey".split("|")
)
_LINE_OPENERS = ("Oh, ", "Yeah, ", "Baby, ", "And ", "'Cause ", "So ", "Now ", "Hey, ", "But ")

# Fixed shapes of the song, not knobs: how often a line starts with an opener, a hook takes
# every other verse line (rather than ending each verse), a varied chorus gets a second
# variation, and a song that does not end on its chorus ends on an outro (rather than a verse).
_OPENER_RATE = 0.08
_ALTERNATING_HOOK_RATE = 0.3
_SECOND_VARIATION_RATE = 0.3
_OUTRO_RATE = 0.6

_SLOT = re.compile(r"\{(\w+)\}")
_ADLIB = re.compile(r"\s*\([^()]*\)")
_A_BEFORE_VOWEL = re.compile(r"\ba ([aeiou])")


@dataclass(frozen=True)
class _Template:
    text: str
    slots: tuple[str, ...]  # parts of speech, in order; the last one is the rhyme
    fixed_syllables: int

    @classmethod
    def parse(cls, text: str) -> _Template:
        slots = tuple(_SLOT.findall(text))
        if not text.endswith("}") or any(part not in PARTS_OF_SPEECH for part in slots):
            raise ValueError(f"bad template {text!r}")
        fixed = _SLOT.sub("", text).replace(",", " ").split()
        return cls(text, slots, sum(count_syllables(word) for word in fixed))

    def fill(self, words: Sequence[str]) -> str:
        filled = iter(words)
        return _A_BEFORE_VOWEL.sub(r"an \1", _SLOT.sub(lambda _: next(filled), self.text))


def _templates_by_end() -> dict[str, tuple[_Template, ...]]:
    """The templates, grouped by the part of speech of their rhyming word."""
    templates = [_Template.parse(text) for text in _TEMPLATES]
    return {
        part: tuple(template for template in templates if template.slots[-1] == part)
        for part in PARTS_OF_SPEECH
    }


@dataclass(frozen=True)
class _Hook:
    """A line that comes back in every verse: at its end, or on every other line."""

    line: str
    alternates: bool


class _SongWriter:
    """Writes one song; all its randomness comes from ``dice``."""

    def __init__(
        self,
        dice: Dice,
        vocabulary: Vocabulary,
        templates: dict[str, tuple[_Template, ...]],
        config: SynthConfig,
    ) -> None:
        self.dice = dice
        self.vocabulary = vocabulary
        self.templates = templates
        self.config = config
        # Per-song rhythm: verse lines run a little longer than chorus lines.
        self.verse_syllables = dice.between(7, 12)
        self.chorus_syllables = dice.between(6, 10)
        # Two fillers per song, so that they repeat as real ones do.
        self.fillers = dice.sample(_FILLER_LINES, 2)

    # -- lines ---------------------------------------------------------------------------------

    def line(self, end_part: str, end_word: str, syllables: int) -> str:
        """A fresh line of about ``syllables`` syllables ending in ``end_word``."""
        template = self.dice.choice(self.templates[end_part])
        inner = template.slots[:-1]
        budget = syllables - template.fixed_syllables - self.vocabulary.syllables[end_word]
        words = []
        for index, part in enumerate(inner):
            # Spread what is left of the budget evenly over the slots still to fill.
            share = round(budget / (len(inner) - index))
            word = self.vocabulary.word(self.dice, part, syllables=max(1, min(share, 2)))
            budget -= self.vocabulary.syllables[word]
            words.append(word)
        text = template.fill([*words, end_word])
        if self.dice.chance(_OPENER_RATE):
            text = self.dice.choice(_LINE_OPENERS) + text
        return text[0].upper() + text[1:]

    def stanza(self, n_lines: int, syllables: int) -> list[str]:
        """``n_lines`` fresh lines rhyming in groups of four, some with an ad-lib."""
        lines: list[str] = []
        for start in range(0, n_lines, 4):
            scheme = _RHYME_SCHEMES.draw(self.dice)[: n_lines - start]
            ends: dict[str, list[tuple[str, str]]] = {}
            for letter in sorted(set(scheme) - {"x"}):
                part = _END_PARTS.draw(self.dice)
                words = self.vocabulary.rhymes(self.dice, part, scheme.count(letter))
                ends[letter] = [(part, word) for word in words]
            for letter in scheme:
                if letter == "x":
                    part = _END_PARTS.draw(self.dice)
                    word = self.vocabulary.word(self.dice, part, syllables=self.dice.between(1, 2))
                    end = (part, word)
                else:
                    end = ends[letter].pop()
                line = self.line(*end, syllables + self.dice.between(-1, 1))
                lines.append(self.with_adlib(line, probability=self.config.adlib_rate))
        return lines

    def with_adlib(self, line: str, *, probability: float) -> str:
        """``line``, with ``probability`` followed or led by a ``(...)`` ad-lib."""
        if not self.dice.chance(probability):
            return line
        kind = self.dice.uniform()
        if kind < 0.4:  # an echo of the line's last words, as in rap
            words = _ADLIB.sub("", line).split()
            tail = " ".join(words[-self.dice.between(1, 3) :])
            return f"{line} ({tail[0].upper()}{tail[1:]})"
        interjection = self.dice.choice(_INTERJECTIONS).capitalize()
        if kind < 0.85:
            return f"{line} ({interjection})"
        return f"({interjection}) {line}"

    def short_line(self) -> str:
        """A short unrhymed line: hooks, refrains, a chorus's new last line."""
        part = _END_PARTS.draw(self.dice)
        return self.line(part, self.vocabulary.word(self.dice, part), self.dice.between(4, 7))

    def hook(self, probability: float) -> _Hook | None:
        if not self.dice.chance(probability):
            return None
        return _Hook(self.short_line(), alternates=self.dice.chance(_ALTERNATING_HOOK_RATE))

    # -- sections ------------------------------------------------------------------------------

    def verse(self, n_lines: int, hook: _Hook | None) -> list[str]:
        lines = self.stanza(n_lines, self.verse_syllables)
        if hook is not None and hook.alternates:
            lines[1::2] = [hook.line] * len(lines[1::2])
        elif hook is not None:
            lines.append(hook.line)
        verse: list[str] = []
        for line in lines:
            if self.dice.chance(self.config.filler_line_rate):
                verse.append(self.dice.choice(self.fillers))
            verse.append(line)
            if self.dice.chance(self.config.doubled_line_rate):
                verse.append(line)
        return verse

    def chorus(self, n_lines: int) -> list[str]:
        lines = self.stanza(n_lines, self.chorus_syllables)
        if n_lines >= 3 and self.dice.chance(self.config.chorus_hook_rate):
            # The first line returns mid-chorus (in a long chorus, twice).
            for position in range(2, n_lines, 4 if n_lines >= 8 else 2)[:2]:
                lines[position] = lines[0]
        return lines

    def chorus_repeat(self, chorus: list[str], *, last: bool) -> list[str]:
        """The chorus sung again: often varied; the last one sometimes twice in a row."""
        lines = list(chorus)
        if self.dice.chance(self.config.chorus_variation_rate):
            lines = self.varied(lines)
            if self.dice.chance(_SECOND_VARIATION_RATE):
                lines = self.varied(lines)
        # Singers ad-lib a little differently every time, varied chorus or not.
        lines = [self.with_adlib(line, probability=self.config.adlib_rate / 2) for line in lines]
        if last and self.dice.chance(self.config.final_chorus_double_rate):
            lines += chorus
        return lines

    def varied(self, lines: list[str]) -> list[str]:
        """``lines`` with one variation."""
        variation, half = self.dice.uniform(), len(lines) // 2
        if variation < 0.25:  # new last line(s)
            n_new = min(self.dice.between(1, 2), len(lines) - 1)
            return lines[: len(lines) - n_new] + [
                self.with_adlib(self.short_line(), probability=self.config.adlib_rate)
                for _ in range(n_new)
            ]
        if variation < 0.4 and half >= 2:  # a new second half, as in many rap hooks
            return lines[:half] + self.stanza(len(lines) - half, self.chorus_syllables)
        if variation < 0.55 and half >= 2:  # the second half only
            return lines[half:]
        if variation < 0.65 and len(lines) >= 2:  # one line dropped
            dropped = self.dice.below(len(lines))
            return lines[:dropped] + lines[dropped + 1 :]
        if variation < 0.75:  # the first line once more at the end
            return [*lines, lines[0]]
        varied = list(lines)  # new ad-libs on a few lines
        for index in self.dice.sample(range(len(lines)), self.dice.between(1, 3)):
            varied[index] = self.with_adlib(varied[index], probability=1.0)
        return varied

    def intro_or_outro(self, chorus: list[str] | None, hook: _Hook | None) -> list[str]:
        if chorus is not None and self.dice.chance(self.config.chorus_echo_rate):
            if self.dice.chance(0.5):
                return chorus[: self.dice.between(1, min(2, len(chorus)))]
            return [self.dice.choice(chorus)] * self.dice.between(2, 4)
        kind = self.dice.uniform()
        if hook is not None and kind < 0.3:
            return [hook.line] * self.dice.between(2, 3)
        if kind < 0.55:
            return [self.dice.choice(self.fillers) for _ in range(self.dice.between(1, 3))]
        return self.stanza(self.dice.between(2, 4), self.verse_syllables)

    # -- songs ---------------------------------------------------------------------------------

    def song(self, song_id: str) -> Song:
        if self.dice.chance(self.config.no_chorus_rate):
            sections = self.sections_without_chorus()
        else:
            sections = self.sections_with_chorus()
        lines = [line for section, _ in sections for line in section]
        labels = [label for section, label in sections for _ in section]
        return Song(song_id, tuple(lines), tuple(labels))

    def sections_with_chorus(self) -> list[tuple[list[str], int]]:
        """[intro] verse [pre] chorus, verse [pre] chorus, ... [bridge chorus] [outro or verse].

        A chorus-first song drops the intro and the first verse.
        """
        config, dice = self.config, self.dice
        n_choruses = _CHORUS_COUNTS.draw(dice)
        verse_length = _VERSE_LENGTHS.draw(dice)
        chorus = self.chorus(_CHORUS_LENGTHS.draw(dice))
        pre_chorus = (
            self.stanza(dice.between(2, 4), self.chorus_syllables)
            if dice.chance(config.pre_chorus_rate)
            else []
        )
        hook = self.hook(config.verse_hook_rate)
        repeats_first_verse = dice.chance(config.repeated_verse_rate)
        chorus_first = dice.chance(config.chorus_first_rate)

        sections: list[tuple[list[str], int]] = []
        if not chorus_first and dice.chance(config.intro_rate):
            sections.append((self.intro_or_outro(chorus, hook), 0))
        first_verse: list[str] | None = None
        for index in range(n_choruses):
            last = index == n_choruses - 1
            if index > 0 or not chorus_first:
                if last and index >= 2 and dice.chance(config.bridge_rate):
                    sections.append((self.stanza(dice.between(2, 6), self.verse_syllables), 0))
                else:
                    if first_verse is not None and last and repeats_first_verse:
                        verse = first_verse
                    else:
                        verse = self.verse(self.jittered(verse_length), hook)
                    first_verse = first_verse or verse
                    sections.append((verse + pre_chorus, 0))
            sections.append((chorus if index == 0 else self.chorus_repeat(chorus, last=last), 1))
        if not dice.chance(config.end_on_chorus_rate):
            if dice.chance(_OUTRO_RATE):
                sections.append((self.intro_or_outro(chorus, hook), 0))
            else:
                sections.append((self.verse(self.jittered(verse_length), hook), 0))
        return sections

    def sections_without_chorus(self) -> list[tuple[list[str], int]]:
        """[intro] verse verse ..., maybe with a refrain."""
        config, dice = self.config, self.dice
        verse_length = _VERSE_LENGTHS.draw(dice)
        refrain = self.hook(config.refrain_rate)
        verses = [
            self.verse(self.jittered(verse_length), refrain)
            for _ in range(_VERSE_COUNTS_WITHOUT_CHORUS.draw(dice))
        ]
        if len(verses) >= 3 and dice.chance(config.repeated_verse_rate):
            verses[-1] = verses[0]
        sections = [(verse, 0) for verse in verses]
        if dice.chance(config.intro_rate):
            sections.insert(0, (self.intro_or_outro(None, refrain), 0))
        return sections

    def jittered(self, n_lines: int) -> int:
        """``n_lines``, sometimes two more or two fewer (at least 2)."""
        return max(2, n_lines + self.dice.choice((-2, 0, 0, 0, 2)))
