"""A job's chosen files kept a while under a token: a form's base document, a refused table.

So a clerk whose table was refused fixes it without picking the base again, and a form's
preview hands its document to the bulk page (and to other systems as JSON) by its token.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.core.files import private_folder, write_atomic

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_NAME = re.compile(r"[^\w.\- ]+")


class InputNotFound(LookupError):
    """The kept file has expired or never existed."""


@dataclass(frozen=True)
class Kept:
    """A kept file: its bytes and the name the clerk chose it under."""

    content: bytes
    name: str
    token: str = ""  # empty for a file chosen just now
    media: str = ""  # the media type it was sent with, when its name has no extension


class InputStore:
    """Files under `root/<token>/<name>`, dropped after `ttl_seconds`."""

    def __init__(self, root: Path, ttl_seconds: float = 24 * 3600.0) -> None:
        self.root = root
        self.ttl = ttl_seconds

    def keep(self, content: bytes, name: str, token: str | None = None) -> str:
        """Keep a file (under `token`, e.g. a preview's, or a new one); its token."""
        self.expire()
        token = token or secrets.token_urlsafe(18)
        folder = self._folder(token)
        private_folder(self.root)
        shutil.rmtree(folder, ignore_errors=True)  # a preview redone keeps its newest document
        folder.mkdir(mode=0o700)
        safe = _NAME.sub("_", Path(name).name).strip() or "tep"
        write_atomic(folder / safe[:120], content)
        return token

    def keep_json(self, document: dict[str, Any], token: str | None = None) -> str:
        """Keep a document as a JSON file (a form's preview: its base for a bulk job); its token."""
        content = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
        return self.keep(content, f"{document.get('doc_type') or 'van-ban'}.json", token)

    def get(self, token: str) -> Kept:
        """A kept file by token, or InputNotFound."""
        folder = self._folder(token)
        files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
        if not files:
            raise InputNotFound(token)
        return Kept(files[0].read_bytes(), files[0].name, token)

    def expire(self) -> None:
        """Remove files older than the time to live."""
        if not self.root.exists():
            return
        limit = time.time() - self.ttl
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)

    def _folder(self, token: str) -> Path:
        if not _TOKEN.match(token or ""):
            raise InputNotFound(token)
        return self.root / token
