"""Files kept a while under an unguessable token: a preview's render, a bulk job's chosen files.

A token is the folder's name: 144 random bits, and anything not shaped like one is refused
before it reaches the file system. It is not the only key: a folder knows its owner (the unit
it was made for), and a reader the owner may not see is answered as if it did not exist.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from service.core.files import private_folder, write_atomic

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_UNSAFE = re.compile(r"[^\w.\- ]+")
OWNER = ".owner"  # a dot file: never one of the kept files (their names are made safe)
Visible = Callable[[str], bool]  # whether the reader may see what this owner made


class TokenNotFound(LookupError):
    """Nothing is kept under the token: expired, never made, or not a token at all."""


class TokenStore:
    """Named files under `root/<token>/`, a folder dropped `ttl_seconds` after its last change."""

    def __init__(
        self, root: Path, ttl_seconds: float, missing: type[TokenNotFound] = TokenNotFound
    ) -> None:
        self.root = root
        self.ttl = ttl_seconds
        self.missing = missing  # what a caller catches: PreviewNotFound, InputNotFound

    def new(self, token: str | None = None, *, owner: str = "") -> str:
        """A new token (or another store's new one) with its folder, owned by `owner` (a unit,
        or "" for none); expired ones go."""
        self.expire()
        token = token or secrets.token_urlsafe(18)  # 144 bits, 24 characters
        private_folder(self.root)
        self.path(token).mkdir(mode=0o700)  # a fresh token: never there already
        write_atomic(self.path(token, OWNER), owner.encode("utf-8"))
        return token

    def check(self, token: str, visible: Visible) -> None:
        """`missing` unless the reader may see the token's owner (another unit's is not there)."""
        path = self.path(token, OWNER)
        owner = path.read_text(encoding="utf-8") if path.is_file() else ""
        if not visible(owner):
            raise self.missing(token)

    def write(self, token: str, name: str, content: bytes) -> str:
        """Keep a file under the token atomically, its name made safe; that name."""
        safe = _UNSAFE.sub("_", Path(name).name).strip()[:120]
        # Never "" or "..", the folder or its parent, nor a dot file such as the owner's.
        safe = safe if safe.strip(".") and not safe.startswith(".") else "tep"
        write_atomic(self.path(token, safe), content)
        return safe

    def read(self, token: str, name: str) -> bytes:
        """A kept file's bytes, or `missing`."""
        path = self.path(token, name)
        if not path.is_file():
            raise self.missing(token)
        return path.read_bytes()

    def files(self, token: str) -> list[Path]:
        """The files kept under the token, by name; `missing` when there are none."""
        folder = self.path(token)
        found = sorted(
            p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
        ) if folder.is_dir() else []
        if not found:
            raise self.missing(token)
        return found

    def path(self, token: str, name: str = "") -> Path:
        """Where the token's folder (or its file `name`) is; `missing` for a malformed token."""
        if not TOKEN.match(token or ""):
            raise self.missing(token)
        return self.root / token / name if name else self.root / token

    def expire(self) -> None:
        """Remove the token folders not changed within the time to live."""
        if not self.root.exists():
            return
        limit = time.time() - self.ttl
        for folder in self.root.iterdir():
            # Only token folders: a store may hold another store's root (a preview's documents).
            if TOKEN.match(folder.name) and folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
