"""The line tagger: BiLSTM, optional attention, and structured decoding.

:class:`SegmentationTagger` maps padded per-line features ``(batch, time, input_dim)`` and song
lengths to verse/chorus logits ``(batch, time, 2)``; :class:`ModelConfig` describes it. Decoding
is per-line argmax, :func:`viterbi_decode` with a penalty per label change, or a
:class:`LinearChainCRF` with learned transitions.
"""

from segmodel.model._attention import BoundaryBias, LineAttention
from segmodel.model._bilstm import BiLSTM
from segmodel.model._config import ATTENTION_TYPES, DECODINGS, NUM_LABELS, ModelConfig
from segmodel.model._crf import LinearChainCRF
from segmodel.model._decoding import viterbi_decode
from segmodel.model._positional import sinusoidal_positions
from segmodel.model._repeats import repeat_matrix, tie_repeated_lines
from segmodel.model._tagger import SegmentationTagger, num_parameters

__all__ = [
    "ATTENTION_TYPES",
    "DECODINGS",
    "NUM_LABELS",
    "BiLSTM",
    "BoundaryBias",
    "LineAttention",
    "LinearChainCRF",
    "ModelConfig",
    "SegmentationTagger",
    "num_parameters",
    "repeat_matrix",
    "sinusoidal_positions",
    "tie_repeated_lines",
    "viterbi_decode",
]
