"""Training on a GPU gives a model that reloads on a CPU-only host with the scores it reported.

The same test runs on the CPU everywhere and on CUDA where a GPU is visible; the rest of the
suite hides GPUs (see conftest.py), so run this file on a GPU host with

    SEGRUN_TEST_GPU=1 pytest tests/test_gpu.py
"""

from __future__ import annotations

import math

import pytest
import torch

from segmodel.config import TrainConfig
from segmodel.trainer import TrainedModel, load_splits, train

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device visible (SEGRUN_TEST_GPU=1 on a GPU host)")


def _config(device: str, *, amp: bool = False) -> TrainConfig:
    config = TrainConfig()
    config.data.synthetic.train_songs = 120
    config.data.synthetic.val_songs = 30
    config.model.hidden_dim = 32
    config.model.num_layers = 2
    config.model.attention_type = "self"
    config.model.attention_heads = 2
    config.model.attention_dim = 32
    config.model.decoding = "crf"
    config.training.max_epochs = 3
    config.training.learning_rate = 5e-3
    config.system.threads = 1
    config.system.device = device
    config.system.amp = amp
    return config


@pytest.mark.parametrize(
    ("device", "amp", "tolerance"),
    [
        ("cpu", False, 1e-9),
        # cuDNN and TF32 round differently from the CPU: a borderline line may flip on reload.
        pytest.param("cuda", False, 0.02, marks=CUDA),
        pytest.param("cuda", True, 0.03, marks=CUDA),
    ],
)
def test_a_model_trained_on_the_device_reloads_on_the_cpu_with_its_scores(tmp_path, device, amp, tolerance):
    config = _config(device, amp=amp)
    result = train(config, run_dir=tmp_path / "run")
    assert all(math.isfinite(h.train_loss) for h in result.history)

    # Checkpoints must not pin tensors to the GPU: a CPU-only host has to load them.
    checkpoint = torch.load(tmp_path / "run" / "model.pt", weights_only=True)
    assert checkpoint["model_state"]
    assert {tensor.device.type for tensor in checkpoint["model_state"].values()} == {"cpu"}

    model = TrainedModel.load(tmp_path / "run", device=torch.device("cpu"))
    val = load_splits(config.data).val
    reloaded = model.evaluate(val)
    for metric in ("boundary_f1", "macro_f1"):
        assert reloaded[metric] == pytest.approx(result.val_metrics[metric], abs=tolerance)
