"""Browser-facing protections: session cookie flags and the headers every answer carries."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

# The pages load only their own scripts, styles and images (page previews are same-origin
# PNGs); nothing may frame them, so a click cannot be hijacked from another site.
POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The API docs page is flask-smorest's Swagger UI, which starts itself from an inline script.
DOCS_POLICY = POLICY + "; script-src 'self' 'unsafe-inline'"
DOCS_PREFIXES = ("/docs",)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
}


class SessionCookies(SecureCookieSessionInterface):
    """Signed session cookies, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request arrived over HTTPS."""
        return bool(super().get_cookie_secure(app)) or request.is_secure


def add_headers(response: Response) -> Response:
    """Give every answer the content-type, framing and script policy headers."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    policy = DOCS_POLICY if request.path.startswith(DOCS_PREFIXES) else POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    return response


def init_app(app: Flask) -> None:
    """Set the cookie flags and the response headers on the app."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = SessionCookies()
    app.after_request(add_headers)
