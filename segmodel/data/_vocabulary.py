"""Words for synthetic lyrics: parts of speech, syllable counts and rhyme groups.

The content words are a hand-picked lyric vocabulary; their pronunciations come from the CMU
Pronouncing Dictionary (through :mod:`pronouncing`, offline), which gives every word its syllable
count and its *rhyming part* (the phones from the last stressed vowel on). Words with the same
rhyming part rhyme ("fire" / "desire"), and every group of two or more such words of one part of
speech is a rhyme group.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pronouncing

from segmodel.data._dice import Dice

__all__ = ["PARTS_OF_SPEECH", "Vocabulary", "count_syllables", "load_vocabulary", "rhyming_part"]

# Slot names used in line templates: singular noun, plural noun, verb (base form, past tense,
# -ing form) and adjective.
PARTS_OF_SPEECH = ("N", "NS", "V", "VD", "VG", "A")

_NOUNS = """
    love heart night light fire desire rain pain chain train flame name game shame frame soul
    hole road home bone stone phone throne zone sky lie goodbye eye tide ride side pride mind
    time rhyme crime dime line sign wine shine day way play ray sea tree breeze key street beat
    heat seat dream stream scream moon tune room bloom sun gun fun town crown ground sound cloud
    crowd door floor war shore core star car scar bar guitar art part spark park mark blood flood
    dust trust rust lust gold world girl boy joy money honey baby lady river silver summer winter
    water thunder wonder hunger danger stranger angel devil mirror window shadow pillow echo
    rhythm highway city party diamond bottle candle letter paper picture story glory heaven
    garden ocean motion feeling ceiling morning evening storm thorn rose glass grass past chance
    dance trance edge rope hope smoke ghost coast wave grave cave sin skin wind kiss bliss truth
    youth wall ball call hall fall rock clock block lock track back smile mile style trial cash
    flash ash crash bed head thread bread step breath death earth birth mouth south north speed
    need seed word bird voice choice noise vein brain lane plane flight sight bite fight wire
    liar island silence heartbeat daylight midnight sunrise sunset weekend lullaby paradise
    promise memory battle bullet jacket pocket rocket ticket engine radio
"""

_PLURAL_NOUNS = """
    eyes hands tears stars lights dreams streets lies years days nights words walls bones scars
    wings roads waves ghosts flames chains hearts friends lovers secrets diamonds shadows angels
    demons bridges windows feelings problems bottles dollars rings stones clouds flowers fingers
    prayers kisses promises questions answers reasons seasons colors faces places voices choices
    rhymes times signs lines games names lips arms knees keys trees seas waters memories stories
    cities highways pockets bullets rockets tickets mountains oceans rivers sirens strangers
"""

_ADJECTIVES = """
    cold bold old young wild free blind kind lonely broken golden silent empty holy heavy ready
    steady crazy lazy hazy high dry shy bright tight right white low slow true blue new sweet
    deep cheap real dead red sad bad mad glad strong wrong long sick quick thick slick soft lost
    tired wired pretty dirty hungry angry easy lucky happy sorry restless reckless careless
    fearless perfect strange brave fine warm dark sharp loud proud sure pure cruel hollow shallow
    yellow mellow tender gentle fragile sober faded jaded frozen stolen chosen hidden sacred naked
    wasted alone alive awake afraid
"""

# base past -ing, one verb per line.
_VERBS = """
    love loved loving / fall fell falling / call called calling / run ran running
    fight fought fighting / ride rode riding / hide hid hiding / try tried trying
    cry cried crying / fly flew flying / die died dying / lie lied lying / say said saying
    stay stayed staying / play played playing / pray prayed praying / pay paid paying
    break broke breaking / take took taking / make made making / shake shook shaking
    wake woke waking / dance danced dancing / burn burned burning / learn learned learning
    turn turned turning / go went going / know knew knowing / show showed showing
    grow grew growing / throw threw throwing / glow glowed glowing / flow flowed flowing
    blow blew blowing / feel felt feeling / steal stole stealing / heal healed healing
    deal dealt dealing / see saw seeing / free freed freeing / leave left leaving
    believe believed believing / breathe breathed breathing / need needed needing
    bleed bled bleeding / lead led leading / sing sang singing / bring brought bringing
    swing swung swinging / ring rang ringing / hold held holding / fold folded folding
    sell sold selling / tell told telling / dream dreamed dreaming / scream screamed screaming
    shine shined shining / sign signed signing / find found finding / drive drove driving
    arrive arrived arriving / survive survived surviving / write wrote writing
    bite bit biting / ignite ignited igniting / wait waited waiting / hate hated hating
    chase chased chasing / race raced racing / face faced facing / erase erased erasing
    lose lost losing / choose chose choosing / move moved moving / prove proved proving
    keep kept keeping / sleep slept sleeping / weep wept weeping / creep crept creeping
    drink drank drinking / think thought thinking / sink sank sinking / walk walked walking
    talk talked talking / stop stopped stopping / drop dropped dropping / rock rocked rocking
    roll rolled rolling / hit hit hitting / sit sat sitting / quit quit quitting
    win won winning / begin began beginning / spin spun spinning / kiss kissed kissing
    miss missed missing / wish wished wishing / touch touched touching / hurt hurt hurting
    rise rose rising / smile smiled smiling / shout shouted shouting / pull pulled pulling
    push pushed pushing / rush rushed rushing / crash crashed crashing
    wander wandered wandering / follow followed following / remember remembered remembering
    forget forgot forgetting / surrender surrendered surrendering / open opened opening
    whisper whispered whispering / shatter shattered shattering / carry carried carrying
    bury buried burying / worry worried worrying / come came coming / give gave giving
    live lived living / forgive forgave forgiving / get got getting / change changed changing
    stand stood standing / land landed landing / sail sailed sailing / fail failed failing
    crawl crawled crawling / fade faded fading / pretend pretended pretending
    mend mended mending / send sent sending / spend spent spending / bend bent bending
"""


def count_syllables(word: str) -> int:
    """Syllables of ``word``: from the CMU dictionary, else one per group of vowel letters.

    Example:
        >>> count_syllables("desire"), count_syllables("Oh-oh,")
        (3, 2)
    """
    phones = pronouncing.phones_for_word(word.strip(',.!?"()').lower())
    if phones:
        return pronouncing.syllable_count(phones[0])
    groups, previous_vowel = 0, False
    for letter in word.lower():
        vowel = letter in "aeiouy"
        groups += vowel and not previous_vowel
        previous_vowel = vowel
    return max(groups, 1)


@dataclass(frozen=True)
class _PartOfSpeech:
    """The words of one part of speech, indexed by syllable count and by rhyme."""

    by_syllables: dict[int, tuple[str, ...]]
    syllable_counts: tuple[int, ...]  # sorted keys of ``by_syllables``
    rhyme_groups: tuple[tuple[str, ...], ...]
    # Running totals of the group sizes: a group is drawn with probability proportional to its
    # size, so every rhyming word is about equally likely to come up.
    rhyme_group_cumulative: tuple[int, ...]

    def draw(self, dice: Dice, syllables: int) -> str:
        """A word with the syllable count nearest to ``syllables`` (ties: the shorter)."""
        position = bisect.bisect_left(self.syllable_counts, syllables)
        candidates = self.syllable_counts[max(position - 1, 0) : position + 1]
        nearest = min(candidates, key=lambda count: (abs(count - syllables), count))
        return dice.choice(self.by_syllables[nearest])

    def draw_rhymes(self, dice: Dice, n_words: int) -> list[str]:
        """``n_words`` rhyming words, distinct while the drawn group has enough of them."""
        group = self.rhyme_groups[dice.weighted(self.rhyme_group_cumulative)]
        words: list[str] = []
        while len(words) < n_words:
            words += dice.sample(group, n_words - len(words))
        return words


@dataclass(frozen=True)
class Vocabulary:
    """Lyric words by part of speech (see :data:`PARTS_OF_SPEECH`) with their syllables.

    Example:
        >>> from segmodel.data._dice import Dice
        >>> vocabulary = load_vocabulary()
        >>> first, second = vocabulary.rhymes(Dice("doc"), "N", 2)
        >>> first != second and rhyming_part(first) == rhyming_part(second)
        True
        >>> vocabulary.syllables["desire"]
        3
    """

    parts: dict[str, _PartOfSpeech]
    syllables: dict[str, int]

    def word(self, dice: Dice, part: str, *, syllables: int = 1) -> str:
        """A random ``part`` word with about ``syllables`` syllables."""
        return self.parts[part].draw(dice, syllables)

    def rhymes(self, dice: Dice, part: str, n_words: int) -> list[str]:
        """``n_words`` random ``part`` words that rhyme with each other."""
        return self.parts[part].draw_rhymes(dice, n_words)


def load_vocabulary() -> Vocabulary:
    """Build the lyric vocabulary (the first call in a process loads the CMU dictionary, ~0.5 s).

    Words the CMU dictionary does not know are left out.
    """
    verb_forms = [line.split() for line in _VERBS.replace("\n", "/").split("/") if line.strip()]
    words = {
        "N": _NOUNS.split(),
        "NS": _PLURAL_NOUNS.split(),
        "V": [forms[0] for forms in verb_forms],
        "VD": [forms[1] for forms in verb_forms],
        "VG": [forms[2] for forms in verb_forms],
        "A": _ADJECTIVES.split(),
    }
    known = {
        part: sorted({word for word in words[part] if pronouncing.phones_for_word(word)})
        for part in PARTS_OF_SPEECH
    }
    syllables = {word: count_syllables(word) for part in PARTS_OF_SPEECH for word in known[part]}
    return Vocabulary(
        parts={part: _index(known[part], syllables) for part in PARTS_OF_SPEECH},
        syllables=syllables,
    )


def rhyming_part(word: str) -> str:
    """The phones of ``word`` from its last stressed vowel on; rhyming words share them.

    Example:
        >>> rhyming_part("fire") == rhyming_part("desire")
        True
    """
    return pronouncing.rhyming_part(pronouncing.phones_for_word(word)[0])


def _index(words: Sequence[str], syllables: dict[str, int]) -> _PartOfSpeech:
    by_syllables: dict[int, list[str]] = defaultdict(list)
    by_rhyme: dict[str, list[str]] = defaultdict(list)
    for word in words:
        by_syllables[syllables[word]].append(word)
        by_rhyme[rhyming_part(word)].append(word)
    groups = tuple(tuple(group) for _, group in sorted(by_rhyme.items()) if len(group) >= 2)
    return _PartOfSpeech(
        by_syllables={count: tuple(pool) for count, pool in sorted(by_syllables.items())},
        syllable_counts=tuple(sorted(by_syllables)),
        rhyme_groups=groups,
        rhyme_group_cumulative=tuple(itertools.accumulate(len(group) for group in groups)),
    )
