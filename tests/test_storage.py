"""Storage URLs (passwords from the environment, never shown), and the lock shared by workers."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from _studykit import postgres_url_or_skip, write_study
from runner._spec import load_spec
from runner._storage import budget_lock, expand_storage_url, open_storage, scrub_password
from runner.cli import main
from segmodel.errors import InputError

SECRET = "pa:ss@w/rd"


def test_placeholders_are_filled_from_the_environment_and_percent_encoded():
    url = "postgresql+psycopg2://optuna:${DB_PASSWORD}@db.lab:5432/${DB_NAME}"
    environ = {"DB_PASSWORD": SECRET, "DB_NAME": "studies"}
    assert expand_storage_url(url, environ=environ) == "postgresql+psycopg2://optuna:pa%3Ass%40w%2Frd@db.lab:5432/studies"
    assert expand_storage_url("sqlite:///results/x.db", environ={}) == "sqlite:///results/x.db"


def test_an_unset_placeholder_is_named_without_showing_anything_else():
    with pytest.raises(InputError) as caught:
        expand_storage_url("postgresql://optuna:${DB_PASSWORD}@db/optuna", environ={})
    assert str(caught.value) == (
        "study.storage: the storage URL postgresql://optuna:***@db/optuna uses ${DB_PASSWORD}, "
        "but the environment variable DB_PASSWORD is not set")


def test_a_password_is_scrubbed_raw_and_percent_decoded():
    url = "postgresql://optuna:pa%3Ass@db/optuna"
    assert scrub_password("refused: postgresql://optuna:pa%3Ass@db and 'pa:ss'", url) == (
        "refused: postgresql://optuna:***@db and '***'")


def test_a_storage_that_cannot_be_opened_is_reported_without_the_password(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEGRUN_TEST_SECRET", SECRET)
    spec = write_study(tmp_path)
    # Port 1 on loopback: nothing listens, the driver (or its absence) fails at once.
    code = main(["run", str(spec), "--storage", "postgresql+psycopg2://optuna:${SEGRUN_TEST_SECRET}@127.0.0.1:1/db"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith(f"segrun: error: {spec}: study.storage: cannot open storage "
                                   "postgresql+psycopg2://optuna:***@127.0.0.1:1/db: ")
    for shown in (SECRET, "pa%3Ass%40w%2Frd", "pa:ss"):
        assert shown not in captured.err
    assert "Traceback" not in captured.err
    with pytest.raises(InputError, match=r"optuna:\*\*\*@127.0.0.1:1") as caught:
        open_storage("postgresql+psycopg2://optuna:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in str(caught.value)


def test_a_spec_cannot_construct_python_objects(tmp_path):
    spec = write_study(tmp_path)
    marker = tmp_path / "pwned"
    payload = f'!!python/object/apply:os.system ["touch {marker}"]'
    spec.write_text(spec.read_text().replace("name: faults", f"name: {payload}"))
    with pytest.raises(InputError, match="YAML tags are not allowed"):
        load_spec(spec)
    assert not marker.exists()


HOLD_THE_LOCK = """\
import sys, time
from runner._storage import budget_lock, open_storage
storage = open_storage(sys.argv[1])
with budget_lock(storage, "demo"):
    print(time.time(), flush=True)
"""


def contend_for_the_lock(url: str, tmp_path) -> None:
    """While this process holds the study's lock, another process cannot take it."""
    storage = open_storage(url)
    script = tmp_path / "lock.py"
    script.write_text(HOLD_THE_LOCK)
    with budget_lock(storage, "demo"):
        other = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE, text=True)
        time.sleep(2.5)  # long enough for the other process to start and block
        released = time.time()
    taken = float(other.communicate(timeout=60)[0])
    assert other.returncode == 0 and taken >= released


def test_the_budget_lock_excludes_other_processes_on_sqlite(tmp_path):
    contend_for_the_lock(f"sqlite:///{tmp_path / 'study.db'}", tmp_path)


def test_the_budget_lock_excludes_other_processes_on_postgresql(tmp_path):
    contend_for_the_lock(postgres_url_or_skip(), tmp_path)
