"""BiLSTM line tagger: features per line in, verse/chorus logits per line out."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from segmodel.model._attention import LineAttention
from segmodel.model._bilstm import BiLSTM
from segmodel.model._config import NUM_LABELS, ModelConfig
from segmodel.model._crf import LinearChainCRF
from segmodel.model._decoding import viterbi_decode
from segmodel.model._repeats import tie_repeated_lines

__all__ = ["SegmentationTagger", "num_parameters"]


class SegmentationTagger(nn.Module):
    """Bidirectional LSTM over a song's lines, optional attention, linear verse/chorus classifier.

    A song's logits do not depend on what it is batched with or on its padding: the
    :class:`BiLSTM` keeps padding behind every song in both directions and attention never looks
    at padded lines. The attention block (:class:`LineAttention`) is residual and
    layer-normalised.

    Args:
        input_dim: Features per line.
        config: Architecture and decoding.

    Example:
        >>> _ = torch.manual_seed(0)
        >>> tagger = SegmentationTagger(5, ModelConfig(hidden_dim=8, attention_type="self")).eval()
        >>> features, lengths = torch.randn(2, 4, 5), torch.tensor([4, 2])
        >>> logits = tagger(features, lengths)
        >>> logits.shape
        torch.Size([2, 4, 2])
        >>> [len(labels) for labels in tagger.decode(logits, lengths)]
        [4, 2]
    """

    def __init__(self, input_dim: int, config: ModelConfig) -> None:
        super().__init__()
        if input_dim < 1:
            raise ValueError(f"input_dim must be >= 1, got {input_dim}")
        self.input_dim = input_dim
        self.config = config
        self.lstm = BiLSTM(
            input_dim,
            config.hidden_dim,
            num_layers=config.num_layers,
            layer_dropout=config.layer_dropout,
        )
        width = 2 * config.hidden_dim
        self.attention: LineAttention | None = None
        if config.attention_type != "none":
            self.attention = LineAttention(
                width,
                kind=config.attention_type,
                heads=config.attention_heads,
                dim=config.resolved_attention_dim,
                dropout=config.attention_dropout,
                window=config.attention_window,
                positional=config.positional_encoding,
            )
            width = config.resolved_attention_dim
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(width, NUM_LABELS)
        self.crf = LinearChainCRF(NUM_LABELS) if config.decoding == "crf" else None

    def forward(
        self, features: torch.Tensor, lengths: torch.Tensor, repeats: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits ``(B, T, 2)`` for features ``(B, T, input_dim)`` and lengths ``(B,)``.

        ``lengths`` may live on any device; every song needs at least one line. Logits at padded
        positions are meaningless. ``repeats`` (``(B, T, T)``, from
        :func:`~segmodel.model.repeat_matrix`) is required when ``config.repeat_tying > 0``.
        """
        if features.dim() != 3 or features.shape[2] != self.input_dim:
            raise ValueError(
                f"features must be (batch, time, {self.input_dim}), got {tuple(features.shape)}"
            )
        lengths = _checked_lengths(lengths, batch=features.shape[0], steps=features.shape[1])
        lines = self.lstm(features, lengths)
        if self.attention is not None:
            lines = self.attention(lines, lengths)
        logits = self.classifier(self.dropout(lines))
        if self.config.repeat_tying > 0:
            if repeats is None:
                raise ValueError("repeat_tying is on: pass the songs' repeat matrix (repeats=...)")
            logits = tie_repeated_lines(logits, repeats, self.config.repeat_tying)
        return logits

    @torch.no_grad()
    def decode(self, logits: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        """Labels of each song's real lines, by the configured decoding.

        ``argmax`` takes each line's best label; ``viterbi`` runs :func:`viterbi_decode` on the
        log-softmax with ``config.switch_penalty``; ``crf`` takes the best path under the learned
        transitions.
        """
        lengths = _checked_lengths(lengths, batch=logits.shape[0], steps=logits.shape[1])
        if self.crf is not None:
            return self.crf.decode(logits, lengths)
        if self.config.decoding == "viterbi":
            return viterbi_decode(
                torch.log_softmax(logits.float(), dim=2),
                switch_penalty=self.config.switch_penalty,
                lengths=lengths,
            )
        labels = logits.argmax(dim=2).tolist()
        return [row[:length] for row, length in zip(labels, lengths.tolist(), strict=True)]

    def sequence_loss(
        self, logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """CRF negative log-likelihood (mean over songs) with ``crf`` decoding, else zero.

        The trainer adds this to the per-line cross-entropy. ``mask`` is ``(B, T)`` bool, true on
        real lines; labels at padded positions are ignored.
        """
        if self.crf is None:
            return logits.new_zeros(())
        return self.crf.negative_log_likelihood(logits, labels, mask)

    @torch.no_grad()
    def chorus_probabilities(self, logits: torch.Tensor, lengths: torch.Tensor) -> list[np.ndarray]:
        """Per-line softmax probability of chorus, one float32 array per song."""
        lengths = _checked_lengths(lengths, batch=logits.shape[0], steps=logits.shape[1])
        chorus = torch.softmax(logits.float(), dim=2)[:, :, 1].cpu().numpy()
        return [row[:length].copy() for row, length in zip(chorus, lengths.tolist(), strict=True)]


def num_parameters(module: nn.Module, *, trainable_only: bool = True) -> int:
    """Number of scalar parameters of ``module`` (only those with gradients by default).

    Example:
        >>> num_parameters(nn.Linear(3, 2))
        8
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def _checked_lengths(lengths: torch.Tensor, *, batch: int, steps: int) -> torch.Tensor:
    """``lengths`` as a CPU int64 tensor, after checking it fits a ``(batch, steps)`` padding."""
    lengths = torch.as_tensor(lengths).to(device="cpu", dtype=torch.long)
    if lengths.shape != (batch,):
        raise ValueError(f"lengths must have shape ({batch},), got {tuple(lengths.shape)}")
    if batch and (int(lengths.min()) < 1 or int(lengths.max()) > steps):
        raise ValueError(f"every length must lie in 1..{steps}, got {lengths.tolist()}")
    return lengths
