"""The menu every page shows: its links, those the caller may open, and their counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g

from service.core.clock import VIETNAM
from service.web import csrf
from service.web.auth import allowed

NAV_KEY, COUNTS_KEY = "vb_nav", "vb_nav_counts"
# The menu's pages in order; a feature adds its own with add_nav_link (missing ones are hidden).
DEFAULT_NAV = [
    ("pages.index", "Văn bản"),
    ("draft_pages.index", "Dự thảo"),
    ("draft_pages.waiting", "Văn bản chờ ký"),  # for a lãnh đạo
    ("draft_pages.to_issue", "Chờ phát hành"),  # for a văn thư
    ("register_pages.index", "Sổ văn bản đi"),  # for who may read the register
    ("draft_pages.verify", "Kiểm tra chữ ký số"),
    ("pages.unit_list", "Đơn vị"),
    ("jobs.index", "Tạo hàng loạt"),  # shown once the bulk jobs' page exists
    ("admin.accounts", "Tài khoản"),
    ("admin.keys", "Khóa API"),
]


def init_app(app: Flask) -> None:
    """Give every page the menu, the CSRF token, the caller, and times in Vietnam's."""
    app.extensions.setdefault(NAV_KEY, list(DEFAULT_NAV))
    app.extensions.setdefault(COUNTS_KEY, {})
    app.context_processor(page_context)
    app.add_template_filter(vn_time)
    app.add_template_filter(vn_second)


def vn_time(moment: datetime | str | None) -> str:
    """A moment (or its ISO 8601 text) as a clerk reads it: 07/12/2026 09:41, Vietnam's time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment) if moment else None
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") if moment else ""


def vn_second(moment: datetime | str | None) -> str:
    """A signing time to the second in Vietnam's time (an ISO 8601 text is read first)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment is None:
        return ""
    return moment.astimezone(VIETNAM).strftime("%H:%M:%S ngày %d/%m/%Y (giờ Việt Nam)")


def add_nav_link(
    app: Flask, endpoint: str, label: str, count: Callable[[], int] | None = None
) -> None:
    """Add a page to the menu (e.g. "jobs.index", "Tạo hàng loạt"), with a count to show."""
    links = app.extensions.setdefault(NAV_KEY, list(DEFAULT_NAV))
    if not any(e == endpoint for e, _ in links):
        links.append((endpoint, label))
    if count is not None:
        app.extensions.setdefault(COUNTS_KEY, {})[endpoint] = count


def page_context() -> dict[str, Any]:
    """What base.html needs on every page: the menu with its counts, the CSRF token, the caller."""
    links = [
        (e, label) for e, label in current_app.extensions.get(NAV_KEY, DEFAULT_NAV)
        if e in current_app.view_functions and allowed(e)
    ]
    counters = current_app.extensions.get(COUNTS_KEY, {})
    return {
        "nav_links": links,
        "nav_counts": {e: counters[e]() for e, _ in links if e in counters},
        "csrf_token": csrf.token,
        "me": g.get("principal"),
    }
