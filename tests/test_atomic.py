"""Whole-or-nothing writes."""

from __future__ import annotations

import os

import pytest

from segmodel.atomic import atomic_path, write_text_atomic


def test_atomic_writes_respect_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "x.json", "{}")
    finally:
        os.umask(previous)
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "results.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
