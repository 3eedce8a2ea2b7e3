"""segmodel: verse/chorus segmentation of song lyrics.

Layers, each a subpackage with one job: ``data`` (songs, synthetic corpus), ``features``
(self-similarity line features with an on-disk cache), ``model`` (BiLSTM tagger, attention,
structured decoding), ``loss``, ``trainer`` and ``metrics``. segmodel knows nothing about study
specs or Optuna; the study runner drives it through :func:`segmodel.train`.
"""

__version__ = "0.1.0"
