"""Device choice and seeding."""

from __future__ import annotations

import logging
import random

import numpy as np
import torch

from segmodel.errors import InputError

logger = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    """``auto`` = CUDA, then MPS, then CPU; an explicit device that is missing is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError("CUDA was requested but torch sees no CUDA device", key="system.device")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise InputError(
            f"cuda:{device.index} requested but only {torch.cuda.device_count()} CUDA device(s) are visible",
            key="system.device",
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise InputError("MPS was requested but is not available", key="system.device")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch so a CPU run is reproducible bit for bit."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
