"""The quản trị's pages: staff accounts and API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.core.clock import VIETNAM, utcnow
from service.usecases.access import KEY_SCOPES, PERMISSION_LABELS, ROLE_LABELS, Role
from service.usecases.accounts import AccountInvalid, AccountNotFound
from service.usecases.ports import AccountRecord, ApiKeyRecord
from service.web import csrf
from service.web.auth import current_actor, principal
from service.web.context import services

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/quan-tri")
bp.before_request(csrf.check)

Errors = dict[str, list[str]]
Values = dict[str, Any]
# A page showing a password or a token must not stay in a cache or the browser's history.
NO_STORE = {"Cache-Control": "no-store"}
ROLE_NAMES = {str(role): label for role, label in ROLE_LABELS.items()}
SCOPE_NAMES = {str(scope): PERMISSION_LABELS[scope] for scope in KEY_SCOPES}
ACCOUNT_LABELS = {
    "username": "Tên đăng nhập",
    "display_name": "Họ và tên",
    "role": "Vai trò",
    "unit": "Đơn vị",
    "extra_units": "Các đơn vị cấp dưới được giao",
    "active": "Cho phép đăng nhập",
}
KEY_LABELS = {
    "name": "Tên khóa",
    "scopes": "Quyền",
    "units": "Đơn vị",
    "doc_types": "Loại văn bản",
    "expires_at": "Ngày hết hạn",
}


def vn_time(moment: dt.datetime | None, empty: str = "—") -> str:
    """A stored (UTC) moment in Vietnam time, `HH:MM dd/mm/YYYY`; `empty` for none."""
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if moment else empty


def in_page_order(errors: Errors, labels: dict[str, str]) -> Errors:
    """The errors in the order of their fields on the page, so the summary reads top down."""
    order = {name: rank for rank, name in enumerate(labels)}
    return dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))


def unit_names() -> dict[str, str]:
    """Every unit's agency name by slug, in the profiles' order."""
    return {u.slug: str(u.issuer.get("agency") or u.slug) for u in services().units.list()}


def type_names() -> dict[str, str]:
    """Every document type's name by id."""
    return {type_id: t.name for type_id, t in services().documents.catalog.types.items()}


# ---- accounts ----------------------------------------------------------------------------


@bp.get("/tai-khoan")
def accounts() -> Any:
    """Every staff account with its role, units and state."""
    names = unit_names()
    rows = [account_row(a, names) for a in services().accounts.list()]
    return render_template("admin_accounts.html", rows=rows, issued=None)


def account_row(account: AccountRecord, names: dict[str, str]) -> Values:
    """What the accounts table shows of one account."""
    everywhere = "Tất cả đơn vị" if account.role == Role.QUAN_TRI else ""
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": ROLE_NAMES.get(account.role, account.role),
        "unit": names.get(account.unit, account.unit) if account.unit else everywhere,
        "extra_units": [names.get(s, s) for s in account.extra_units],
        "state": account_state(account),
        "must_change": account.must_change_password,
        "last_login": vn_time(account.last_login, "chưa đăng nhập"),
    }


def account_state(account: AccountRecord) -> str:
    """hoạt động, or ngừng (not allowed to log in)."""
    return "hoạt động" if account.active else "ngừng"


@bp.route("/tai-khoan/moi", methods=["GET", "POST"])
def account_new() -> Any:
    """Add an account; the one-time password it is given is shown this once (201)."""
    if request.method == "GET":
        # Staff are mostly added to the quản trị's own office; one without is asked to choose.
        blank = {"username": "", "display_name": "", "role": str(Role.CHUYEN_VIEN),
                 "unit": principal().unit or "", "extra_units": [], "active": True}
        return account_form(blank, {}, None)
    values = account_values()
    try:
        account, password = services().accounts.create(
            values["username"],
            values["role"],
            values["unit"] or None,
            display_name=values["display_name"],
            extra_units=values["extra_units"],
        )
    except AccountInvalid as exc:
        return account_form(values, exc.errors, None), 422
    return issued_page(account.username, password or "", created=True), 201, NO_STORE


@bp.route("/tai-khoan/<username>", methods=["GET", "POST"])
def account_edit(username: str) -> Any:
    """Change an account's name, role, units, or whether it may log in."""
    account = find_account(username)
    if request.method == "GET":
        return account_form(values_of(account), {}, account.username)
    values = {**account_values(), "username": account.username}
    try:
        services().accounts.update(
            account.username,
            role=values["role"],
            unit=values["unit"] or None,
            extra_units=values["extra_units"],
            display_name=values["display_name"],
            active=values["active"],
            by=current_actor(),
        )
    except AccountInvalid as exc:
        return account_form(values, exc.errors, account.username), 422
    flash(f"Đã lưu tài khoản {account.username}.", "info")
    return redirect(url_for("admin.accounts"), 303)


@bp.post("/tai-khoan/<username>/dat-lai-mat-khau")
def account_reset(username: str) -> Any:
    """Give the account a new one-time password (which also unlocks it); shown this once."""
    try:
        password = services().accounts.reset_password(username)
    except AccountNotFound:
        abort(404, description=f"Không có tài khoản “{username}”.")
    return issued_page(username, password, created=False), 200, NO_STORE


def find_account(username: str) -> AccountRecord:
    """The account, or a 404 page."""
    try:
        return services().accounts.get(username)
    except AccountNotFound:
        abort(404, description=f"Không có tài khoản “{username}”.")


def account_values() -> Values:
    """The account form as posted (lengths capped; the use case checks the rest)."""
    form = request.form
    return {
        "username": form.get("username", "")[:200],
        "display_name": form.get("display_name", "")[:200],
        "role": form.get("role", "")[:40],
        "unit": form.get("unit", "")[:200],
        "extra_units": form.getlist("extra_units")[:1000],
        "active": form.get("active") == "1",
    }


def values_of(account: AccountRecord) -> Values:
    """The account form filled from a stored account."""
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "unit": account.unit or "",
        "extra_units": list(account.extra_units),
        "active": account.active,
    }


def account_form(values: Values, errors: Errors, username: str | None) -> str:
    """Draw the account form (username None: a new account)."""
    return render_template(
        "admin_account_form.html",
        values=values,
        errors=in_page_order(errors, ACCOUNT_LABELS),
        labels=ACCOUNT_LABELS,
        username=username,
        roles=list(ROLE_NAMES.items()),
        units=unit_names(),
    )


def issued_page(username: str, password: str, *, created: bool) -> str:
    """The page that shows a one-time password, the only time anyone sees it."""
    issued = {"username": username, "password": password, "created": created}
    return render_template("admin_accounts.html", rows=[], issued=issued)


# ---- API keys ----------------------------------------------------------------------------


@bp.get("/khoa-api")
def keys() -> Any:
    """Every API key, newest first, with what it may do and whether it still works."""
    names, types = unit_names(), type_names()
    rows = [key_row(k, names, types) for k in services().api_keys.list()]
    return render_template("admin_keys.html", rows=rows)


def key_row(key: ApiKeyRecord, names: dict[str, str], types: dict[str, str]) -> Values:
    """What the keys table shows of one key."""
    expired = key.expires_at is not None and key.expires_at <= utcnow()
    state = "đã thu hồi" if key.revoked_at else "đã hết hạn" if expired else "còn hiệu lực"
    return {
        "key_id": key.key_id,
        "name": key.name,
        "scopes": [label for s, label in SCOPE_NAMES.items() if s in key.scopes],
        "units": None if key.units is None else [names.get(s, s) for s in key.units],
        "doc_types": None if key.doc_types is None else [types.get(t, t) for t in key.doc_types],
        "expires": vn_time(key.expires_at, "không hết hạn"),
        "created_by": key.created_by,
        "created_at": vn_time(key.created_at),
        "last_used": vn_time(key.last_used, "chưa dùng"),
        "state": state,
        "live": state == "còn hiệu lực",
    }


@bp.route("/khoa-api/moi", methods=["GET", "POST"])
def key_new() -> Any:
    """Make a key; its token is shown this once (201)."""
    if request.method == "GET":
        return key_form(
            {"name": "", "scopes": [], "all_units": False, "units": [], "doc_types": [],
             "expires_at": ""},
            {},
        )
    values = key_values()
    types = type_names()
    try:
        key, token = services().api_keys.create(
            values["name"],
            values["scopes"],
            units=None if values["all_units"] else values["units"],
            doc_types=values["doc_types"] or None,  # none ticked: every type
            last_day=last_day(values["expires_at"]),
            created_by=current_actor(),
            known_types=types,
        )
    except AccountInvalid as exc:
        return key_form(values, exc.errors), 422
    row = key_row(key, unit_names(), types)
    api_url = url_for("documents.Types", _external=True)
    page = render_template("admin_key_created.html", key=row, token=token, api_url=api_url)
    return page, 201, NO_STORE


@bp.post("/khoa-api/<key_id>/thu-hoi")
def key_revoke(key_id: str) -> Any:
    """Revoke a key at once; the systems using it are refused from the next request."""
    try:
        services().api_keys.revoke(key_id)
    except AccountNotFound:
        abort(404, description=f"Không có khóa API “{key_id}”.")
    flash(f"Đã thu hồi khóa API {key_id}: hệ thống dùng khóa này không gọi được nữa.", "info")
    return redirect(url_for("admin.keys"), 303)


def key_values() -> Values:
    """The key form as posted (lengths capped; the use case checks the rest)."""
    form = request.form
    return {
        "name": form.get("name", "")[:200],
        "scopes": form.getlist("scopes")[:50],
        "all_units": form.get("all_units") == "1",
        "units": form.getlist("units")[:1000],
        "doc_types": form.getlist("doc_types")[:1000],
        "expires_at": form.get("expires_at", "").strip()[:20],
    }


def last_day(day: str) -> dt.date | None:
    """The key's last day (yyyy-mm-dd from the date input); None for none."""
    if not day:
        return None
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        message = "Ngày hết hạn phải là một ngày (ngày/tháng/năm)."
        raise AccountInvalid({"expires_at": [message]}) from None
    return date


def key_form(values: Values, errors: Errors) -> str:
    """Draw the new key form."""
    return render_template(
        "admin_key_form.html",
        values=values,
        errors=in_page_order(errors, KEY_LABELS),
        labels=KEY_LABELS,
        scopes=list(SCOPE_NAMES.items()),
        units=unit_names(),
        types=type_names(),
    )
