"""Songs: loading, writing, a synthetic corpus and corpus statistics.

A song is a :class:`Song` (id, lyric lines, a 0/1 label per line: 1 = chorus). Corpora are JSONL
files read by :func:`load_songs` (every problem reported with its file and line) and written by
:func:`write_songs`; :func:`song_excerpts` adds labelled excerpts to a training set;
:func:`synthesize_songs` generates a labelled corpus that imitates the
structure of real lyrics, and :func:`corpus_stats` measures that structure.

Example:
    >>> songs = synthesize_songs(3, seed=1)
    >>> len(songs), corpus_stats(songs)["songs"]
    (3, 3)
"""

from segmodel.data._augment import song_excerpts
from segmodel.data._songs import Song, load_plain_lyrics, load_songs, songs_digest, write_songs
from segmodel.data._stats import corpus_stats, format_stats
from segmodel.data._synth import SynthConfig, synthesize_songs

__all__ = [
    "Song",
    "SynthConfig",
    "corpus_stats",
    "format_stats",
    "load_plain_lyrics",
    "load_songs",
    "song_excerpts",
    "songs_digest",
    "synthesize_songs",
    "write_songs",
]
