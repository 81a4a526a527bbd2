"""Files the service writes: atomically (never half a file, even after a crash), hashed, private.

Documents, previews, job outputs and the database hold personal data: the service's files
are readable by its own user only (0600, folders 0700), whatever the process umask.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def sha256(content: bytes) -> str:
    """The SHA-256 of a file's content in hex (register entries, bulk manifests)."""
    return hashlib.sha256(content).hexdigest()


# atomic_target's temporary name: `.<name>.<32 hex digits>.part`.
PARTIAL = re.compile(r"\..+\.[0-9a-f]{32}\.part")


@contextmanager
def atomic_target(path: Path, mode: int = 0o600) -> Iterator[Path]:
    """A unique temporary path beside `path`: synced and renamed over it on success, else gone."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    # Created with its final permissions: a private key is never readable, even for a moment.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    try:
        yield partial
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def drop_partials(folder: Path) -> int:
    """Remove the temporary files of writes a killed process cut short; how many there were.

    Only for a folder no write is going on in: a running write's file would go too.
    """
    dropped = 0
    for path in folder.iterdir() if folder.is_dir() else ():
        if PARTIAL.fullmatch(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            dropped += 1
    return dropped


def write_atomic(path: Path, content: bytes, mode: int = 0o600) -> Path:
    """Write the content to `path` atomically; the path."""
    with atomic_target(path, mode) as partial:
        partial.write_bytes(content)
    return path


def private_folder(path: Path) -> Path:
    """Create the folder and its missing parents as 0700 (existing ones are left); the path."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)  # exist_ok: another process may be first
    return path
