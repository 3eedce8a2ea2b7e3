"""Opening a study's storage the same way in every worker, and starting trials within budget.

Every process that works on a study — ``segrun SPEC``, a ``--workers`` child, a ``segrun
worker`` on another host — opens its storage with :func:`open_storage`:

* ``${NAME}`` in a storage URL is replaced by the environment variable ``NAME``
  (percent-encoded), so a password need not be written into a spec or a command line; the URL
  a person sees (logs, reports, errors) keeps the placeholder, and a literal password is masked.
* SQLite waits up to 60 s for a lock instead of failing at once: several local workers write
  to one file.
* Relational storages (SQLite, PostgreSQL, MySQL) get Optuna's heartbeat: a worker refreshes
  its running trial every ``interval`` seconds, and a trial silent for ``grace_period`` seconds
  (its worker died, its host went away) is failed by the next worker that looks.

:func:`budget_lock` makes "count the trials, then start one" atomic across processes and hosts
(a PostgreSQL advisory lock, a lock file beside a SQLite database), so workers never start more
trials than the study's budget holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import optuna
from optuna.trial import FrozenTrial

from runner._provenance import mask_storage_url
from segmodel.errors import InputError

__all__ = ["DEFAULT_HEARTBEAT", "Heartbeat", "budget_lock", "expand_storage_url", "open_storage", "scrub_password"]

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT = 60
"""Seconds a SQLite writer waits for another process's lock before giving up."""

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Heartbeat:
    """Optuna's heartbeat for relational storages.

    A running trial is refreshed every ``interval`` seconds; one not refreshed for
    ``grace_period`` seconds (default three intervals) counts as abandoned. Keep the grace
    period well above the longest pause a live worker can have (a slow storage round trip).
    """

    interval: int = 10
    grace_period: int | None = None

    @property
    def grace(self) -> int:
        """The grace period in seconds."""
        return self.grace_period if self.grace_period is not None else 3 * self.interval


DEFAULT_HEARTBEAT = Heartbeat()


def expand_storage_url(url: str, *, environ: Mapping[str, str] | None = None) -> str:
    """Replace each ``${NAME}`` in ``url`` by the environment variable ``NAME``, percent-encoded.

    Encoding makes any password usable in a URL (``@``, ``/`` and ``:`` included).

    Raises:
        InputError: a named variable is not set.

    Example:
        >>> expand_storage_url("postgresql://me:${PW}@db/optuna", environ={"PW": "p@ss"})
        'postgresql://me:p%40ss@db/optuna'
    """
    environ = os.environ if environ is None else environ
    missing = [name for name in _PLACEHOLDER.findall(url) if name not in environ]
    if missing:
        raise InputError(
            f"the storage URL {mask_storage_url(url)} uses ${{{missing[0]}}}, "
            f"but the environment variable {missing[0]} is not set",
            key="study.storage",
        )
    return _PLACEHOLDER.sub(lambda match: quote(environ[match.group(1)], safe=""), url)


def scrub_password(text: str, url: str) -> str:
    """``text`` with the password of ``url`` (raw or percent-decoded) replaced by ``***``.

    Database drivers quote the URL they failed to open in their error messages.

    Example:
        >>> scrub_password("bad url 'pg://u:s%40t@h/db'", "pg://u:s%40t@h/db")
        "bad url 'pg://u:***@h/db'"
    """
    password = urlsplit(url).password
    if not password:
        return text
    for secret in {password, unquote(password)}:
        text = text.replace(secret, "***")
    return text


def open_storage(
    url: str,
    *,
    heartbeat: Heartbeat | None = None,
    stale_trial_callback: Callable[[optuna.Study, FrozenTrial], None] | None = None,
) -> optuna.storages.BaseStorage:
    """The Optuna storage behind ``url`` (``${NAME}`` expanded), set up for several workers.

    ``stale_trial_callback`` is Optuna's ``heartbeat_stale_trial_callback``: it is called for
    each trial the heartbeat declared abandoned, after that trial was failed.

    Raises:
        InputError: an unset ``${NAME}``, a missing database driver, or a URL the database
            layer refuses; the message never contains the password.
    """
    expanded = expand_storage_url(url)
    options: dict = {}
    if heartbeat is not None:
        options = {
            "heartbeat_interval": heartbeat.interval,
            "grace_period": heartbeat.grace,
            "heartbeat_stale_trial_callback": stale_trial_callback,
        }
    engine_kwargs = {}
    if expanded.startswith("sqlite:///"):
        database = expanded.removeprefix("sqlite:///")
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine_kwargs = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}}
    try:
        with _quiet_experimental_warnings():
            return optuna.storages.RDBStorage(expanded, engine_kwargs=engine_kwargs, **options)
    except Exception as error:  # noqa: BLE001 - any driver or URL error becomes one clear message
        detail = scrub_password(f"{type(error).__name__}: {error}", expanded)
        hint = ""
        if isinstance(error, ImportError) and expanded.startswith("postgresql"):
            hint = " (install the driver: pip install 'segrun[postgres]')"
        raise InputError(
            f"cannot open storage {mask_storage_url(url)}: {detail}{hint}", key="study.storage"
        ) from None


@contextlib.contextmanager
def _quiet_experimental_warnings() -> Iterator[None]:
    # Optuna marks the heartbeat as experimental and warns on every use; segrun relies on it
    # deliberately, and the warning would be printed once per worker and per trial.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


def _lock_key(study_name: str) -> int:
    """A signed 64-bit advisory-lock key for the study (PostgreSQL's ``bigint``)."""
    digest = hashlib.sha256(f"segrun:{study_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def budget_lock(storage: optuna.storages.BaseStorage, study_name: str) -> Iterator[None]:
    """Hold the study's lock, shared by every worker on every host, for the ``with`` block.

    PostgreSQL: a transaction-level advisory lock (released by the server if the worker dies).
    SQLite: an exclusive ``flock`` on ``<database>.lock`` (released by the kernel if the
    worker dies). Other storages are not locked: up to one extra trial per concurrent worker
    can then be started when the budget runs out.

    Example:
        >>> storage = open_storage("sqlite:///:memory:")
        >>> with budget_lock(storage, "demo"):
        ...     pass
    """
    # A study's storage is Optuna's cache in front of the RDBStorage that holds the engine.
    engine = getattr(getattr(storage, "_backend", storage), "engine", None)
    dialect = engine.dialect.name if engine is not None else None
    if dialect == "postgresql":
        from sqlalchemy import text

        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(study_name)})
            yield
        return
    database = engine.url.database if dialect == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # Windows: no flock; SQLite's own locking still keeps the file whole
        yield
        return
    with open(f"{database}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
