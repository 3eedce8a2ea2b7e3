"""Where a trial ran and with what: recorded in every trial log so a result can be traced."""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = ["mask_storage_url", "process_identity", "provenance"]

_PACKAGES = ("segrun", "torch", "optuna", "numpy", "scikit-learn")


@functools.cache
def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def process_identity() -> dict[str, str | int]:
    """Host and PID of this worker (how stale RUNNING trials are recognised)."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def provenance() -> dict[str, object]:
    """Git commit, package versions, Python and platform of this process."""
    static = _static_provenance()
    return {**static, "packages": dict(static["packages"]), **process_identity()}


@functools.cache
def _static_provenance() -> dict[str, object]:
    # Looked up once per process: package metadata and platform probes cost milliseconds, and
    # every trial log records them.
    return {
        "git_commit": _git_commit(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def mask_storage_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (never print or store a password).

    Example:
        >>> mask_storage_url("postgresql://optuna:secret@db:5432/optuna")
        'postgresql://optuna:***@db:5432/optuna'
        >>> mask_storage_url("sqlite:///results/x/optuna_study.db")
        'sqlite:///results/x/optuna_study.db'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
