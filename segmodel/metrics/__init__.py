"""Scores of verse/chorus labels against gold labels.

Pure functions over label sequences (0 verse, 1 chorus, one per line), in scikit-learn style:
inputs are checked and a malformed one raises :class:`ValueError` saying what and where.

- Boundaries (a line whose label differs from the previous line's): :func:`boundary_positions`,
  :func:`boundary_scores` (exact or within a tolerance, micro or macro over songs).
- Lines: :func:`line_accuracy`, :func:`class_f1`, :func:`macro_f1`, :func:`chorus_rate`.
- Segmentation probes: :func:`pk`, :func:`windowdiff`.
- Calibration: :func:`expected_calibration_error`.
- Everything at once: :func:`segmentation_scores` (keys :data:`SCORE_KEYS`), for labelled song
  files :func:`score_song_files`.
"""

from segmodel.metrics._boundary import BoundaryScores, boundary_positions, boundary_scores
from segmodel.metrics._calibration import expected_calibration_error
from segmodel.metrics._classification import chorus_rate, class_f1, line_accuracy, macro_f1
from segmodel.metrics._report import SCORE_KEYS, score_song_files, segmentation_scores
from segmodel.metrics._segmentation import pk, windowdiff

__all__ = [
    "SCORE_KEYS",
    "BoundaryScores",
    "boundary_positions",
    "boundary_scores",
    "chorus_rate",
    "class_f1",
    "expected_calibration_error",
    "line_accuracy",
    "macro_f1",
    "pk",
    "score_song_files",
    "segmentation_scores",
    "windowdiff",
]
