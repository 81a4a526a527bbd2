"""Who is acting: the user an authenticating proxy names, else the client's address."""

from __future__ import annotations

from flask import request

# Offices put the service behind their intranet login, which forwards the user name.
USER_HEADER = "X-Remote-User"


def current_actor() -> str:
    """The acting user for the audit trail and the register."""
    user = (request.headers.get(USER_HEADER) or "").strip()
    return user[:120] if user else f"anonymous@{request.remote_addr or 'unknown'}"
