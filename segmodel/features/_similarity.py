"""Self-similarity matrices (SSMs): one n x n matrix in [0, 1] per view of a song's n lines.

Every function here is a pure, vectorised function of per-line inputs: pairwise comparisons are
matrix products or broadcast equality tests, never Python loops over pairs. Lines without
content (no words) are similar to nothing, themselves included, so that empty lines never look
like repeats.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "cosine_ssm",
    "exact_match_ssm",
    "jaccard_ssm",
    "ngram_counts",
    "ratio_ssm",
    "weighted_match_ssm",
]


def _codes(keys: Sequence[object | None]) -> np.ndarray:
    """Integer code per key (equal keys, equal codes); ``None`` becomes -1."""
    index: dict[object, int] = {}
    return np.array(
        [-1 if key is None else index.setdefault(key, len(index)) for key in keys], dtype=np.int64
    )


def exact_match_ssm(keys: Sequence[object | None]) -> np.ndarray:
    """``S[i, j] = 1`` when ``keys[i] == keys[j]`` and neither is ``None``, else 0.

    Example:
        >>> exact_match_ssm(["a", "b", "a", None]).astype(int).tolist()
        [[1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    """
    return weighted_match_ssm([keys], weights=[1.0])


def weighted_match_ssm(
    key_columns: Sequence[Sequence[object | None]], *, weights: Sequence[float]
) -> np.ndarray:
    """``S[i, j] = sum_c weights[c] * [key_columns[c][i] == key_columns[c][j] != None]``.

    Example:
        >>> weighted_match_ssm([["ay t", "ay m"], ["ay", "ay"]], weights=[0.75, 0.25]).tolist()
        [[1.0, 0.25], [0.25, 1.0]]
    """
    if len(key_columns) != len(weights):
        raise ValueError("one weight per key column is needed")
    n = len(key_columns[0]) if key_columns else 0
    ssm = np.zeros((n, n), dtype=np.float64)
    for keys, weight in zip(key_columns, weights, strict=True):
        codes = _codes(keys)
        ssm += weight * ((codes[:, None] == codes[None, :]) & (codes >= 0)[:, None])
    return ssm


def jaccard_ssm(token_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """Jaccard similarity of the token sets: intersection size over union size (0 if both empty).

    Example:
        >>> jaccard_ssm([["a", "b"], ["b", "c"], []]).round(3).tolist()
        [[1.0, 0.333, 0.0], [0.333, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    index: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, tokens in enumerate(token_lists):
        for token in set(tokens):
            rows.append(row)
            columns.append(index.setdefault(token, len(index)))
    incidence = np.zeros((len(token_lists), len(index)), dtype=np.float32)
    incidence[rows, columns] = 1.0
    intersection = (incidence @ incidence.T).astype(np.float64)
    sizes = incidence.sum(axis=1, dtype=np.float64)
    union = sizes[:, None] + sizes[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def ngram_counts(sequences: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Count matrix ``C[line, gram]`` of the ``n``-grams of integer sequences (one per line).

    The columns are the distinct n-grams of this song, in sorted order; a sequence shorter than
    ``n`` has none.

    Example:
        >>> ngram_counts([np.array([1, 2, 1, 2]), np.array([2, 1])], 2).tolist()
        [[2.0, 1.0], [0.0, 1.0]]
    """
    lengths = np.array([len(sequence) for sequence in sequences], dtype=np.int64)
    grams = np.maximum(lengths - n + 1, 0)
    if not grams.any():
        return np.zeros((len(sequences), 0), dtype=np.float32)
    owners = np.repeat(np.arange(len(sequences)), grams)
    # Start of every n-gram in the concatenated sequences: line offset + index within the line.
    rank_in_line = np.arange(int(grams.sum())) - np.repeat(np.cumsum(grams) - grams, grams)
    starts = np.repeat(np.cumsum(lengths) - lengths, grams) + rank_in_line
    flat = np.concatenate([np.asarray(sequence, dtype=np.int64) for sequence in sequences])
    symbols, flat = np.unique(flat, return_inverse=True)
    windows = flat.reshape(-1)[starts[:, None] + np.arange(n)]
    if len(symbols) ** n < 2**62:
        # Each n-gram as one base-|alphabet| integer: a 1-D unique is far faster than rows.
        windows = windows @ (len(symbols) ** np.arange(n - 1, -1, -1, dtype=np.int64))
    _, gram = np.unique(windows, axis=0 if windows.ndim == 2 else None, return_inverse=True)
    gram = gram.reshape(-1)
    vocabulary = int(gram.max()) + 1
    cells = owners * vocabulary + gram
    counts = np.bincount(cells, minlength=len(sequences) * vocabulary)
    return counts.reshape(len(sequences), vocabulary).astype(np.float32)


def cosine_ssm(vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of the rows of ``vectors``, clipped to [0, 1] (0 for zero rows).

    Example:
        >>> cosine_ssm(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])).round(3).tolist()
        [[1.0, 0.707, 0.0], [0.707, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    vectors = np.asarray(vectors, dtype=np.float32)  # single precision halves the matmul
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return np.clip(unit @ unit.T, 0.0, 1.0).astype(np.float64)


def ratio_ssm(values: np.ndarray) -> np.ndarray:
    """``1 - |v_i - v_j| / max(v_i, v_j) = min(v_i, v_j) / max(v_i, v_j)`` for values >= 0.

    Pairs where both values are 0 get 0.

    Example:
        >>> ratio_ssm(np.array([4, 8, 0])).tolist()
        [[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    values = np.asarray(values, dtype=np.float64)
    larger = np.maximum(values[:, None], values[None, :])
    smaller = np.minimum(values[:, None], values[None, :])
    return np.divide(smaller, larger, out=np.zeros_like(larger), where=larger > 0)
