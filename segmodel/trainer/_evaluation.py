"""Running a trained tagger over a split: loss, decoded labels and logits per song."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from segmodel.trainer._batching import SongTensors, iterate_batches

__all__ = ["SplitOutput", "run_split"]


@dataclass
class SplitOutput:
    """What the model says about one split, songs in their original order."""

    loss: float
    predictions: list[list[int]]
    logits: list[torch.Tensor]  # (n_lines, 2) per song, on the CPU


@torch.no_grad()
def run_split(
    model: torch.nn.Module,
    songs: SongTensors,
    *,
    device: torch.device,
    loss_fn: torch.nn.Module | None = None,
    batch_size: int = 64,
) -> SplitOutput:
    """Evaluate ``model`` on every song; ``loss`` is the line-weighted mean batch loss (0 without loss_fn)."""
    was_training = model.training
    model.eval()
    predictions: list[list[int] | None] = [None] * len(songs)
    logits_out: list[torch.Tensor | None] = [None] * len(songs)
    total_loss, total_lines = 0.0, 0
    for batch in iterate_batches(songs, batch_size=batch_size, length_bucketing=True):
        batch = batch.to(device)
        logits = model(batch.features, batch.lengths, batch.repeats)
        if loss_fn is not None:
            loss = loss_fn(logits.float(), batch.labels, batch.mask).total
            loss = loss + model.sequence_loss(logits.float(), batch.labels, batch.mask)
            lines = int(batch.lengths.sum())
            total_loss += float(loss) * lines
            total_lines += lines
        decoded = model.decode(logits.float(), batch.lengths)
        cpu_logits = logits.float().cpu()
        for row, index in enumerate(batch.indices):
            length = int(batch.lengths[row])
            predictions[index] = list(decoded[row][:length])
            logits_out[index] = cpu_logits[row, :length]
    model.train(was_training)
    return SplitOutput(
        loss=total_loss / max(1, total_lines),
        predictions=predictions,  # type: ignore[arg-type]
        logits=logits_out,  # type: ignore[arg-type]
    )
