"""All segmentation scores in one dict: what ``segrun score`` prints and the trainer logs."""

from __future__ import annotations

import os
from collections.abc import Sequence

from segmodel.data import load_songs
from segmodel.errors import InputError
from segmodel.metrics._boundary import count_boundary_matches
from segmodel.metrics._classification import line_confusion
from segmodel.metrics._segmentation import window_errors
from segmodel.metrics._validation import LabelSequence, as_corpus, check_same_shape

SCORE_KEYS: tuple[str, ...] = (
    "boundary_f1",
    "boundary_precision",
    "boundary_recall",
    "boundary_f1_relaxed_1",
    "boundary_f1_relaxed_2",
    "boundary_f1_macro",
    "macro_f1",
    "verse_f1",
    "chorus_f1",
    "accuracy",
    "pk",
    "windowdiff",
    "chorus_rate",
    "songs",
    "lines",
)
"""The keys of :func:`segmentation_scores`, in order."""


def segmentation_scores(
    gold: Sequence[LabelSequence], pred: Sequence[LabelSequence]
) -> dict[str, float | int]:
    """Score predicted verse/chorus labels against gold labels, song by song.

    Keys (:data:`SCORE_KEYS`); higher is better except for ``pk`` and ``windowdiff``:

    - ``boundary_f1``, ``boundary_precision``, ``boundary_recall``: exact boundaries,
      micro-averaged over songs (:func:`boundary_scores`).
    - ``boundary_f1_relaxed_1``, ``boundary_f1_relaxed_2``: micro boundary F1 when a predicted
      boundary may be 1 or 2 lines off (one-to-one matching).
    - ``boundary_f1_macro``: exact boundary F1 per song, averaged over songs.
    - ``accuracy``, ``verse_f1``, ``chorus_f1``, ``macro_f1`` (mean of the two class F1s): over
      all lines pooled (:func:`line_accuracy`, :func:`class_f1`).
    - ``pk``, ``windowdiff``: per song with the default probe width, averaged over songs
      (:func:`pk`, :func:`windowdiff`).
    - ``chorus_rate``: fraction of lines predicted chorus.
    - ``songs``, ``lines``: how many were scored (ints).

    Args:
        gold: Reference labels, one 0/1 sequence per song.
        pred: Predicted labels, as many songs as ``gold``, each as long as its gold song.

    Raises:
        ValueError: Malformed labels, different numbers of songs or lines (naming the first song
            index that differs), or nothing to score.

    Example:
        >>> scores = segmentation_scores([[0, 0, 1, 1], [0, 1, 1]], [[0, 0, 1, 1], [0, 0, 1]])
        >>> scores["boundary_f1"], scores["boundary_f1_relaxed_1"], scores["accuracy"]
        (0.5, 1.0, 0.8571428571428571)
    """
    gold_corpus = as_corpus(gold, name="gold")
    pred_corpus = as_corpus(pred, name="pred")
    check_same_shape(gold_corpus, pred_corpus)
    if not gold_corpus.n_lines:
        raise ValueError("gold has no lines to score")
    exact = count_boundary_matches(gold_corpus, pred_corpus, tolerance=0)
    exact_micro = exact.micro()
    confusion = line_confusion(gold_corpus.labels, pred_corpus.labels)
    probes = window_errors(gold_corpus, pred_corpus)
    return {
        "boundary_f1": exact_micro.f1,
        "boundary_precision": exact_micro.precision,
        "boundary_recall": exact_micro.recall,
        "boundary_f1_relaxed_1": count_boundary_matches(
            gold_corpus, pred_corpus, tolerance=1
        ).micro().f1,
        "boundary_f1_relaxed_2": count_boundary_matches(
            gold_corpus, pred_corpus, tolerance=2
        ).micro().f1,
        "boundary_f1_macro": exact.macro().f1,
        "macro_f1": confusion.macro_f1(),
        "verse_f1": confusion.f1(0),
        "chorus_f1": confusion.f1(1),
        "accuracy": confusion.accuracy(),
        "pk": probes.mean_pk(),
        "windowdiff": probes.mean_windowdiff(),
        "chorus_rate": confusion.chorus_rate(),
        "songs": gold_corpus.n_songs,
        "lines": gold_corpus.n_lines,
    }


def score_song_files(
    gold_path: str | os.PathLike[str], pred_path: str | os.PathLike[str]
) -> dict[str, float | int]:
    """:func:`segmentation_scores` of two labelled song files, matched by song id.

    Both files are read with :func:`segmodel.data.load_songs`, which also rejects a repeated id.
    Every gold song needs exactly one prediction with the same id and as many labels as it has
    lines; songs are scored in gold file order.

    Raises:
        InputError: A file :func:`~segmodel.data.load_songs` rejects, or a song id missing from
            or extra in ``pred_path``, or with the wrong number of labels there.
    """
    gold_songs = load_songs(gold_path, require_labels=True)
    pred_songs = load_songs(pred_path, require_labels=True)
    pred_by_id = {song.id: song for song in pred_songs}
    gold_ids = {song.id for song in gold_songs}
    missing = [song.id for song in gold_songs if song.id not in pred_by_id]
    if missing:
        raise InputError(
            f"song {missing[0]!r} of {os.fspath(gold_path)} has no prediction "
            f"({len(missing)} gold song(s) missing in all); predictions are matched by id",
            path=pred_path,
        )
    extra = [song.id for song in pred_songs if song.id not in gold_ids]
    if extra:
        raise InputError(
            f"song {extra[0]!r} is not in {os.fspath(gold_path)} "
            f"({len(extra)} unknown song(s) in all); predictions are matched by id",
            path=pred_path,
        )
    for gold_song in gold_songs:
        predicted = pred_by_id[gold_song.id].labels
        if len(predicted) != len(gold_song.labels):
            raise InputError(
                f"song {gold_song.id!r} has {len(predicted)} predicted labels but "
                f"{len(gold_song.labels)} lines in {os.fspath(gold_path)}",
                path=pred_path,
            )
    return segmentation_scores(
        [song.labels for song in gold_songs],
        [pred_by_id[song.id].labels for song in gold_songs],
    )

