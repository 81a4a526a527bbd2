"""What a clerk does on the pages, as Playwright steps shared by the end-to-end tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

UNIT = {
    "slug": "ubnd-xa-y-tich",
    "issuer.parent_agency": "UBND huyện Chi Lăng",
    "issuer.agency": "Ủy ban nhân dân xã Y Tịch",
    "issuer.agency_short": "UBND xã Y Tịch",
    "issuer.agency_code": "UBND",
    "issuer.place": "Y Tịch",
    "signer.title": "Chủ tịch",
    "signer.name": "Vương Văn Sơn",
    "recipients": "Phòng LĐTBXH&DT (B/c)\nTT Đảng ủy (B/c); TT HĐND (B/c)\nCT, PCT UBND xã",
    "archive": "VT",
}


def create_unit_over_http(base: str, fields: dict[str, str] = UNIT) -> None:
    """Create a unit profile with a plain HTTP client (session cookie and CSRF token)."""
    with requests.Session() as http:
        log_in_over_http(http, base)
        page = http.get(base + "/don-vi/moi", headers={"Accept": "text/html"}, timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "the unit form has no CSRF token"
        response = http.post(
            base + "/don-vi/moi",
            data={"csrf_token": token.group(1), **fields},
            headers={"Accept": "text/html"},
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:2000]


def log_in_over_http(http: requests.Session, base: str) -> None:
    """Log the session in through the log-in form, as a browser would."""
    from tests.e2e.conftest import CLERK, CLERK_PASSWORD

    page = http.get(base + "/dang-nhap", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the log-in form has no CSRF token"
    form = {"csrf_token": token.group(1), "username": CLERK, "password": CLERK_PASSWORD}
    answer = http.post(base + "/dang-nhap", data=form, timeout=30, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:2000]


def staff_over_http(base: str, username: str, password: str, role: str, unit: str) -> None:
    """An account made by the quản trị on the account page, its one-time password changed."""
    from tests.conftest import csrf_of

    with requests.Session() as http:
        log_in_over_http(http, base)
        form = http.get(base + "/quan-tri/tai-khoan/moi", timeout=30).text
        made = http.post(base + "/quan-tri/tai-khoan/moi", timeout=30, data={
            "csrf_token": csrf_of(form), "username": username, "role": role, "unit": unit,
            "active": "1"})
        assert made.status_code == 201, made.text[:2000]
        once = re.search(r'id="mat-khau">([^<]+)<', made.text)
        assert once, "the new account's page shows no one-time password"
    with requests.Session() as http:
        login = http.get(base + "/dang-nhap", timeout=30).text
        http.post(base + "/dang-nhap", timeout=30, data={
            "csrf_token": csrf_of(login), "username": username, "password": once.group(1)})
        change = http.get(base + "/doi-mat-khau", timeout=30).text
        done = http.post(base + "/doi-mat-khau", timeout=30, allow_redirects=False, data={
            "csrf_token": csrf_of(change), "current": once.group(1), "new": password,
            "repeat": password})
        assert done.status_code == 302, done.text[:2000]


def field(page: Any, key: str) -> Any:
    """The input named `key`."""
    return page.locator(f'[name="{key}"]')


def add(page: Any, list_key: str, what: str) -> None:
    """Press a list's add button (`block-section`, `part-assignment_row`, …)."""
    page.locator(f'[data-list][data-key="{list_key}"] > .add > button[data-add="{what}"]').click()


def item_button(page: Any, item_key: str, action: str) -> Any:
    """An item's own up / down / remove button."""
    return page.locator(
        f'[data-item][data-key="{item_key}"] > .item-controls > button[data-action="{action}"]'
    )


def error_of(page: Any, key: str) -> Any:
    """The error message shown next to the input `key`."""
    return page.locator(f'[id="e-{key}"]')


def preview(page: Any) -> None:
    """Press Xem trước and wait for the answer page."""
    with page.expect_navigation():
        page.get_by_role("button", name="Xem trước").click()


def wait_for_preview_image(page: Any) -> None:
    """Wait until the first page image has loaded."""
    image = page.get_by_alt_text("Trang 1 của văn bản")
    image.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('.preview img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )


def download(page: Any, link_name: str) -> tuple[str, bytes]:
    """Click a download link: the file name the browser would save and the file's bytes."""
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(link_name)).click()
    done = info.value
    path = done.path()
    with open(path, "rb") as handle:
        return done.suggested_filename, handle.read()


def pdf_table_rows(pdf: bytes) -> list[list[str]]:
    """Every table row of a PDF (pdfplumber), cells with their whitespace collapsed."""
    import io

    import pdfplumber

    rows: list[list[str]] = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for pdf_page in document.pages:
            for table in pdf_page.extract_tables():
                rows += [[" ".join((cell or "").split()) for cell in row] for row in table]
    return rows


def delete_unit_over_http(base: str, slug: str) -> None:
    """Delete a unit profile as its list page's delete button does."""
    with requests.Session() as http:
        log_in_over_http(http, base)
        page = http.get(base + "/don-vi", headers={"Accept": "text/html"}, timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "the unit list has no CSRF token"
        response = http.post(
            f"{base}/don-vi/{slug}/xoa",
            data={"csrf_token": token.group(1)},
            headers={"Accept": "text/html"},
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:2000]


def paste(page: Any, key: str, text: str) -> None:
    """Paste `text` into the input `key` as the clipboard would (a real paste event)."""
    page.evaluate(
        """([key, text]) => {
             const input = document.querySelector(`[name="${key}"]`);
             input.focus();
             const data = new DataTransfer();
             data.setData('text/plain', text);
             input.dispatchEvent(new ClipboardEvent('paste',
               {clipboardData: data, bubbles: true, cancelable: true}));
           }""",
        [key, text],
    )


def wait_for_draft(page: Any, subject: str) -> None:
    """Wait until the tab's draft, with this subject, is kept in the browser's storage."""
    page.wait_for_function(
        """(subject) => Object.keys(localStorage).some(k => k.startsWith('vb-draft:')
             && localStorage.getItem(k).includes(JSON.stringify(subject)))""",
        arg=subject,
    )


@contextmanager
def van_thu_page(
    server: str, browser: Any, slug: str, username: str, password: str
) -> Iterator[Any]:
    """A văn thư of a new Y Tịch unit, made by the quản trị on the account page, logged in on
    her own page (desktop size, downloads accepted)."""
    from tests.e2e.conftest import logged_in_page

    create_unit_over_http(server, {**UNIT, "slug": slug})
    staff_over_http(server, username, password, "van_thu", slug)
    with logged_in_page(browser, server, username, password) as clerk:
        yield clerk
