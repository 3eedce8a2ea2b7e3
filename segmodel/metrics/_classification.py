"""Line-level classification scores: accuracy, per-class F1 and the predicted chorus rate.

These pool the lines of all songs (pass every song's labels concatenated): a long song weighs
more than a short one, as each of its lines is one decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from segmodel.metrics._validation import LabelSequence, as_labels

VERSE, CHORUS = 0, 1


def line_accuracy(gold: LabelSequence, pred: LabelSequence) -> float:
    """Fraction of lines whose predicted label equals the gold label.

    Example:
        >>> line_accuracy([0, 0, 1, 1], [0, 1, 1, 1])
        0.75
    """
    return line_confusion(*_check_pair(gold, pred)).accuracy()


def class_f1(gold: LabelSequence, pred: LabelSequence, *, label: int) -> float:
    """F1 of one class (0 verse, 1 chorus), treating it as the positive class.

    With ``TP`` lines of class ``label`` in both, ``G`` in gold and ``P`` in pred::

        F1 = 2 TP / (G + P)

    which is the harmonic mean of precision ``TP / P`` and recall ``TP / G``. When the class
    occurs in neither gold nor pred, F1 is 1.0: nothing was missed, nothing invented.

    Example:
        >>> class_f1([0, 0, 1, 1], [0, 1, 1, 1], label=1)  # 2 * 2 / (2 + 3)
        0.8
    """
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or label not in (0, 1):
        raise ValueError(f"label must be 0 (verse) or 1 (chorus), got {label!r}")
    return line_confusion(*_check_pair(gold, pred)).f1(label)


def macro_f1(gold: LabelSequence, pred: LabelSequence) -> float:
    """Unweighted mean of the verse F1 and the chorus F1 (see :func:`class_f1`).

    Example:
        >>> round(macro_f1([0, 0, 1, 1], [0, 1, 1, 1]), 4)  # (2/3 + 4/5) / 2
        0.7333
    """
    return line_confusion(*_check_pair(gold, pred)).macro_f1()


def chorus_rate(pred: LabelSequence) -> float:
    """Fraction of lines labelled chorus (1); shows a tagger that collapses to one class.

    Example:
        >>> chorus_rate([0, 1, 1, 1])
        0.75
    """
    labels = as_labels(pred, name="pred")
    if not labels.size:
        raise ValueError("pred has no lines to score")
    return float(labels.mean())


@dataclass(frozen=True)
class LineConfusion:
    """Line counts by ``[gold label, predicted label]``, a 2x2 int array."""

    counts: npt.NDArray[np.int64]

    def accuracy(self) -> float:
        return float(np.trace(self.counts) / self.counts.sum())

    def f1(self, label: int) -> float:
        in_gold_or_pred = self.counts[label, :].sum() + self.counts[:, label].sum()
        if not in_gold_or_pred:
            return 1.0
        return float(2 * self.counts[label, label] / in_gold_or_pred)

    def macro_f1(self) -> float:
        return (self.f1(VERSE) + self.f1(CHORUS)) / 2

    def chorus_rate(self) -> float:
        return float(self.counts[:, CHORUS].sum() / self.counts.sum())


def line_confusion(gold: npt.NDArray[np.int8], pred: npt.NDArray[np.int8]) -> LineConfusion:
    """Count lines by (gold, predicted) label; both checked, equally long and non-empty."""
    counts = np.bincount(2 * gold.astype(np.int64) + pred, minlength=4).reshape(2, 2)
    return LineConfusion(counts)


def _check_pair(
    gold: LabelSequence, pred: LabelSequence
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    gold_labels = as_labels(gold, name="gold")
    pred_labels = as_labels(pred, name="pred")
    if gold_labels.shape != pred_labels.shape:
        raise ValueError(f"gold has {gold_labels.size} lines but pred has {pred_labels.size}")
    if not gold_labels.size:
        raise ValueError("gold and pred have no lines to score")
    return gold_labels, pred_labels
