"""CSRF protection for the pages: a per-session token every POSTed form must carry."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"
SESSION_KEY = "_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def token() -> str:
    """The session's token (made on first use), for a hidden input named csrf_token."""
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[SESSION_KEY])


def check() -> None:
    """Refuse an unsafe request whose token is missing or not the session's (a before_request)."""
    if request.method not in UNSAFE:
        return
    sent = request.form.get(FIELD) or request.headers.get("X-CSRF-Token") or ""
    expected = session.get(SESSION_KEY) or ""
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        abort(
            400,
            description=(
                "Biểu mẫu đã hết hạn hoặc không hợp lệ (mã chống giả mạo CSRF không khớp). "
                "Hãy tải lại trang rồi gửi lại; nội dung đã nhập vẫn được giữ trong trình duyệt."
            ),
        )
