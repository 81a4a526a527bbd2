"""Atomic writes: whole files or none, with their permissions from the start."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from service.core.files import atomic_target, sha256, write_atomic


def test_write_atomic_replaces_and_leaves_nothing_beside(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    target.write_bytes(b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["a.pdf"]
    assert sha256(b"new") == "11507a0e2f5e69d5dfa40a62a1bd7b6ee57e6bcd85c67c9b8431b36fff21c437"


def test_a_failed_write_keeps_the_old_file_and_removes_the_partial(tmp_path: Path) -> None:
    target = tmp_path / "all.zip"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_target(target) as partial:
        partial.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["all.zip"]


def test_private_files_are_owner_only(tmp_path: Path) -> None:
    key = write_atomic(tmp_path / "key.p12", b"secret", mode=0o600)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
