"""Log in, log out and change one's password: the pages every member of staff starts from."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from service.usecases.accounts import AccountInvalid, LoginFailed
from service.web import csrf
from service.web.auth import login_allowed, principal, sign_in, throttle
from service.web.context import services

bp = Blueprint("auth", __name__, template_folder="templates")
bp.before_request(csrf.check)
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.index")
    parts = urlsplit(target)
    return target if not parts.netloc and not parts.scheme else url_for("pages.index")


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> Any:
    """The log-in form; a locked account says until when."""
    target = request.values.get("next")
    if request.method == "GET":
        return render_template("login.html", next=target, username="", error=None)
    refused = login_allowed()
    if refused is not None:
        return refused
    username = request.form.get("username", "").strip()[:60]
    password = request.form.get("password", "")[:1000]
    address = request.remote_addr or ""
    wait = throttle().wait(username, address)
    if wait:
        return held_back(target, username, wait)
    try:
        found = services().accounts.log_in(username, password)
    except LoginFailed:
        wait = throttle().failed(username, address)
        if wait:
            return held_back(target, username, wait)
        return render_template("login.html", next=target, username=username, error=WRONG), 401
    throttle().succeeded(username, address)
    sign_in(found)
    if found.must_change_password:
        flash("Đây là mật khẩu dùng một lần: hãy đặt mật khẩu của riêng mình.", "info")
        return redirect(url_for("auth.password"))
    return redirect(safe_next(target))


def held_back(target: str | None, username: str, wait: int) -> Any:
    """429 after too many wrong passwords for this name from this address, alike whether the
    name exists or not; the account's owner elsewhere logs in as always."""
    minutes = max(1, math.ceil(wait / 60))
    error = (
        f"Nhập sai mật khẩu nhiều lần từ máy này: hãy thử lại sau {minutes} phút, hoặc đăng "
        "nhập từ máy khác, hoặc nhờ quản trị đặt lại mật khẩu."
    )
    page = render_template("login.html", next=target, username=username, error=error)
    return page, 429, {"Retry-After": str(wait)}


@bp.post("/dang-xuat")
def logout() -> Any:
    """End the session, on the server too: a copy of its cookie is refused afterwards."""
    me = principal()
    if me.kind == "account":
        services().accounts.end_sessions(me.name)
    session.clear()
    flash("Đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
def password() -> Any:
    """Change one's own password (required after a one-time password)."""
    me = principal()
    if me.kind != "account":
        return redirect(url_for("pages.index"))
    if request.method == "GET":
        return render_template("password.html", errors={})
    new = request.form.get("new", "")[:1000]
    if new != request.form.get("repeat", ""):
        errors = {"repeat": ["Hai lần nhập không khớp."]}
        return render_template("password.html", errors=errors), 422
    try:
        services().accounts.change_password(me.name, request.form.get("current", "")[:1000], new)
    except AccountInvalid as exc:
        return render_template("password.html", errors=exc.errors), 422
    sign_in(services().accounts.log_in(me.name, new))  # the new stamp: other sessions end
    flash("Đã đổi mật khẩu.", "info")
    return redirect(url_for("pages.index"))
