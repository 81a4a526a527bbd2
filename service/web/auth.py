"""Who is calling and what each route needs: checked before every request, default deny.

A caller is an API key (`Authorization: Bearer`), a logged-in page session, or a user named
by an intranet login proxy from an address the settings trust. Nothing else is believed: an
`X-Remote-User` from any other address is ignored.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from service.core.login_throttle import LoginThrottle
from service.core.rate_limit import RateLimiter
from service.usecases.access import Permission, Principal
from service.web import csrf
from service.web.context import services
from service.web.errors import JSON_PREFIXES, error_response

log = logging.getLogger("service.web.auth")
USER_HEADER = "X-Remote-User"
SESSION_ACCOUNT, SESSION_STAMP, SESSION_SEEN = "account", "stamp", "seen"
LIMITS, LOGIN_LIMITS, THROTTLE = "vb_rate_limits", "vb_login_limits", "vb_login_throttle"
PUBLIC = "public"  # anyone, no credentials
SIGNED_IN = "signed-in"  # any caller with credentials
Rule = Permission | str

# Every endpoint of the app and what it needs; an endpoint missing here is refused (403) and
# tests/unit/test_access.py fails, so a new route cannot slip out unguarded.
RULES: dict[str, Rule] = {
    "static": PUBLIC,
    "pages.static": PUBLIC,
    "swagger_assets": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "api-docs.openapi_swagger_ui": PUBLIC,
    "health.Health": PUBLIC,
    "documents.Health": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": SIGNED_IN,
    "auth.password": SIGNED_IN,
    "documents.Types": SIGNED_IN,
    "documents.TypeDetail": SIGNED_IN,
    "documents.Verify": SIGNED_IN,
    "documents.Render": Permission.RENDER,
    "register.Issue": Permission.ISSUE,
    "register.Entries": Permission.READ_REGISTER,
    "register.Entry": Permission.READ_REGISTER,
    "register.Book": Permission.READ_REGISTER,
    "register.EntryFile": Permission.READ_REGISTER,
    "register.Scans": Permission.ISSUE,
    "register.Scan": Permission.READ_REGISTER,
    "audit.Audit": Permission.READ_AUDIT,
    "register_pages.index": Permission.READ_REGISTER,
    "register_pages.entry": Permission.READ_REGISTER,
    "register_pages.entry_file": Permission.READ_REGISTER,
    "register_pages.export": Permission.READ_REGISTER,
    "register_pages.scan_file": Permission.READ_REGISTER,
    "register_pages.attach_scan": Permission.ISSUE,
    "register_pages.confirm": Permission.ISSUE,
    "register_pages.issue": Permission.ISSUE,
    "copies.Copies": Permission.ISSUE,
    "copy_pages.form": Permission.ISSUE,
    "copy_pages.confirm": Permission.ISSUE,
    "copy_pages.make": Permission.ISSUE,
    "jobs_api.create_job": Permission.BULK,
    "jobs_api.job_status": Permission.BULK,
    "jobs_api.cancel_job": Permission.BULK,
    "jobs_api.job_output": Permission.BULK,
    "jobs_api.row_file": Permission.BULK,
    "jobs_api.province_list": SIGNED_IN,
    "jobs_api.commune_list": SIGNED_IN,
    "jobs.index": Permission.BULK,
    "jobs.submit": Permission.BULK,
    "jobs.detail": Permission.BULK,
    "jobs.cancel_page": Permission.BULK,
    "jobs.form_json": Permission.RENDER,
    "pages.index": SIGNED_IN,
    "pages.form": Permission.RENDER,
    "pages.submit": Permission.RENDER,
    "pages.download": Permission.RENDER,
    "pages.preview_page": Permission.RENDER,
    "pages.unit_list": SIGNED_IN,
    "pages.unit_new": Permission.MANAGE,
    "pages.unit_edit": Permission.MANAGE,
    "pages.unit_delete": Permission.MANAGE,
    "pages.unit_seal": Permission.MANAGE,
    "pages.unit_key_install": Permission.MANAGE,
    "pages.unit_key_remove": Permission.MANAGE,
    "admin.accounts": Permission.MANAGE,
    "admin.account_new": Permission.MANAGE,
    "admin.account_edit": Permission.MANAGE,
    "admin.account_reset": Permission.MANAGE,
    "admin.keys": Permission.MANAGE,
    "admin.key_new": Permission.MANAGE,
    "admin.key_revoke": Permission.MANAGE,
    "drafts.Drafts": Permission.RENDER,
    "drafts.Draft": Permission.RENDER,
    "drafts.DraftFile": Permission.RENDER,
    "drafts.Submit": Permission.RENDER,
    "drafts.Return": Permission.SIGN,
    "drafts.Signed": Permission.SIGN,
    "drafts.Paper": Permission.SIGN,
    "drafts.Issue": Permission.ISSUE,
    "draft_pages.index": Permission.RENDER,
    "draft_pages.detail": Permission.RENDER,
    "draft_pages.download": Permission.RENDER,
    "draft_pages.page_image": Permission.RENDER,
    "draft_pages.submit": Permission.RENDER,
    "draft_pages.waiting": Permission.SIGN,
    "draft_pages.send_back": Permission.SIGN,
    "draft_pages.on_paper": Permission.SIGN,
    "draft_pages.upload": Permission.SIGN,
    "draft_pages.to_issue": Permission.ISSUE,
    "draft_pages.issue": Permission.ISSUE,
    "draft_pages.verify": SIGNED_IN,
    "metrics": Permission.METRICS,
}
# Still reachable by an account that must first replace its one-time password.
PASSWORD_CHANGE_ALLOWED = frozenset({"auth.logout", "auth.password", "static", "pages.static"})
NO_CREDENTIALS = "Cần đăng nhập, hoặc gửi khóa API trong tiêu đề Authorization: Bearer …"
FORBIDDEN = "Tài khoản hoặc khóa API này không có quyền làm việc này."


def principal() -> Principal:
    """The caller of this request (set before the view runs)."""
    found: Principal = g.principal
    return found


def current_actor() -> str:
    """The name the register and the audit trail record for this request."""
    return principal().name


def scope() -> frozenset[str] | None:
    """The units whose records the caller sees (None: every unit)."""
    return principal().units


def sees_owner(owner: str) -> bool:
    """Whether the caller may read what was kept for this unit ("" for none): a preview, a
    bulk job's chosen file. Another unit's answers as if it were not there."""
    return principal().sees(owner or None)


def owner() -> str:
    """The unit what the caller keeps now belongs to: its own ("" for none)."""
    return principal().unit or ""


def allowed(endpoint: str) -> bool:
    """Whether this request's caller may open the endpoint (the nav shows only those)."""
    rule = RULES.get(endpoint)
    found: Principal | None = g.get("principal")
    if rule is None or found is None:
        return rule == PUBLIC
    return not isinstance(rule, Permission) or found.can(rule)


def is_api() -> bool:
    """Whether the request is for the JSON API (answers 401/403 as JSON, never redirects)."""
    return request.path.startswith(JSON_PREFIXES)


def from_key() -> Principal | None | bool:
    """The API key's principal; False when a Bearer header is sent but not a valid key."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return services().api_keys.authenticate(token.strip()) or False


def from_proxy() -> Principal | None:
    """The account an intranet login proxy names, only from the addresses the settings trust."""
    user = request.headers.get(USER_HEADER, "").strip()
    if not user or request.remote_addr not in services().settings.trusted_proxies:
        return None
    return services().accounts.by_name(header_text(user))


def header_text(value: str) -> str:
    """A header as the proxy meant it: WSGI hands bytes over as Latin-1, proxies send UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def from_session() -> Principal | None:
    """The logged-in account of this browser session, until it idles out or its password changes."""
    account_id = session.get(SESSION_ACCOUNT)
    if not isinstance(account_id, int):
        return None
    idle = services().settings.session_idle_minutes * 60
    now = int(time.time())
    if now - int(session.get(SESSION_SEEN) or 0) > idle:
        session.clear()
        return None
    found = services().accounts.principal(account_id)
    stamp = str(session.get(SESSION_STAMP) or "")
    if found is None or not hmac.compare_digest(stamp, found.stamp):
        session.clear()  # disabled, deleted, or its password changed: every session ends
        return None
    session[SESSION_SEEN] = now
    return found


def sign_in(found: Principal) -> None:
    """Start a page session for an account that has just logged in (a fresh session)."""
    session.clear()
    session[SESSION_ACCOUNT] = found.account_id
    session[SESSION_STAMP] = found.stamp
    session[SESSION_SEEN] = int(time.time())
    session.permanent = False


def cross_site(found: Principal) -> bool:
    """Whether a cookie-authenticated API call could have been sent by another site's page.

    Browsers send cookies with a cross-site form post; they do not let another site set the
    CSRF header or send JSON with its own Origin, so either one proves the call is ours.
    """
    if request.method not in csrf.UNSAFE or found.kind != "account" or not is_api():
        return False
    if request.headers.get("Authorization") or request.headers.get(USER_HEADER):
        return False
    sent = request.headers.get("X-CSRF-Token", "")
    expected = str(session.get(csrf.SESSION_KEY) or "")
    if sent and expected and hmac.compare_digest(sent, expected):
        return False
    origin = request.headers.get("Origin", "")
    same_origin = bool(origin) and urlsplit(origin).netloc == request.host
    return not (request.mimetype == "application/json" and same_origin)


def check_access() -> Any:
    """Before every request: find the caller and refuse what the endpoint's rule does not allow."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no such route: the 404 handler answers
    rule = RULES.get(endpoint)
    if rule is None:
        log.error("endpoint %s has no access rule; refused", endpoint)
        return error_response(403, FORBIDDEN)
    if rule == PUBLIC:
        return None
    found = _caller()
    if found is False:
        return error_response(401, "Khóa API không đúng, đã thu hồi hoặc đã hết hạn.",
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if found is None:
        if is_api():
            return error_response(401, NO_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    assert isinstance(found, Principal)
    g.principal = found
    wait = current_app.extensions[LIMITS].wait_for(f"{found.kind}:{found.name}")
    if wait:
        return too_many(wait, "Quá nhiều yêu cầu từ tài khoản hoặc khóa API này")
    if found.must_change_password and endpoint not in PASSWORD_CHANGE_ALLOWED:
        if is_api():
            return error_response(403, "Hãy đổi mật khẩu dùng một lần trước khi làm việc.")
        return redirect(url_for("auth.password"))
    unit = (request.view_args or {}).get("slug")
    if unit is not None and not found.sees(unit):
        # Another unit's profile does not exist for this caller, as its other records do not.
        abort(404, description=f"Không có đơn vị “{unit}”.")
    if isinstance(rule, Permission) and not found.can(rule):
        return error_response(403, FORBIDDEN)
    type_id = (request.view_args or {}).get("type_id")
    if type_id is not None and not found.may_use_type(type_id):
        # Every route of one document type (render, form, preview, issue) is checked here once.
        return error_response(403, type_refused(type_id))
    if cross_site(found):
        message = "Yêu cầu từ trang khác bị từ chối: cần tiêu đề X-CSRF-Token hoặc JSON cùng nguồn."
        return error_response(403, message)
    return None


def type_refused(type_id: str) -> str:
    """Why a key limited to some document types may not use this one."""
    return f"Khóa API này không được dùng cho loại văn bản {type_id!r}."


def too_many(wait: int, who: str) -> Any:
    """429 with how long to wait, in the clerk's words."""
    message = f"{who}; vui lòng thử lại sau {wait} giây."
    return error_response(429, message, headers={"Retry-After": str(wait)})


def throttle() -> LoginThrottle:
    """This app's count of wrong passwords per name and address."""
    found: LoginThrottle = current_app.extensions[THROTTLE]
    return found


def login_allowed() -> Any:
    """None, or the 429 for an address that tries to log in too often (password spraying)."""
    wait = current_app.extensions[LOGIN_LIMITS].wait_for(request.remote_addr or "")
    return too_many(wait, "Quá nhiều lần đăng nhập từ máy này") if wait else None


def _caller() -> Principal | None | bool:
    """A key first (an explicit credential wins), then the trusted proxy, then the session."""
    key = from_key()
    if key is not None:
        return key
    return from_proxy() or from_session()


def init_app(app: Flask) -> None:
    """Check every request's caller (and its rate) before its view runs."""
    settings = app.config["VB_SETTINGS"]
    app.extensions[LIMITS] = RateLimiter(settings.rate_limit)
    app.extensions[LOGIN_LIMITS] = RateLimiter(settings.login_rate_limit)
    app.extensions[THROTTLE] = LoginThrottle(settings.login_attempts, settings.lockout_minutes * 60)
    app.before_request(check_access)
