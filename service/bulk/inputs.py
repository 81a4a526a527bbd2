"""A job's chosen files kept a while under a token: a form's base document, a refused table.

So a clerk whose table was refused fixes it without picking the base again, and a form's
preview hands its document to the bulk page (and to other systems as JSON) by its token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.core.preview import PreviewNotFound, PreviewStore
from service.core.token_store import TokenNotFound, TokenStore, Visible


class InputNotFound(TokenNotFound):
    """The kept file has expired or never existed."""


@dataclass(frozen=True)
class Kept:
    """A kept file: its bytes and the name the clerk chose it under."""

    content: bytes
    name: str
    token: str = ""  # empty for a file chosen just now
    media: str = ""  # the media type it was sent with, when its name has no extension


class InputStore:
    """Files under `root/<token>/<name>` for a day; a preview's token names its form's document."""

    def __init__(
        self, root: Path, ttl_seconds: float = 24 * 3600.0, previews: PreviewStore | None = None
    ) -> None:
        self.tokens = TokenStore(root, ttl_seconds, InputNotFound)
        self.previews = previews

    def keep(self, content: bytes, name: str, *, owner: str = "") -> str:
        """Keep a file under a new token for `owner` (the unit it was chosen in); the token."""
        token = self.tokens.new(owner=owner)
        self.tokens.write(token, name, content)
        return token

    def get(self, token: str, *, visible: Visible) -> Kept:
        """A kept file (or a preview's document) the reader may see by token, or InputNotFound."""
        try:
            first = self.tokens.files(token)[0]
        except InputNotFound:
            return self._previewed(token, visible)
        self.tokens.check(token, visible)
        return Kept(first.read_bytes(), first.name, token)

    def _previewed(self, token: str, visible: Visible) -> Kept:
        """The form's document a preview kept under its token, or InputNotFound."""
        if self.previews is None:
            raise InputNotFound(token)
        try:
            name, content = self.previews.document(token, visible=visible)
        except PreviewNotFound:
            raise InputNotFound(token) from None
        return Kept(content, name, token)
