"""A unit's signing key on its page: installed, described, replaced and removed by whoever
manages units; another unit's key and seal are not there, and staff cannot touch their own."""

from __future__ import annotations

import io
from typing import Any

import pytest

from service.usecases.unit_keys import NOT_OPENED
from tests.conftest import csrf_of, signed_in
from tests.helpers import DAY, NOW, PASSPHRASE, Authority, seal_png
from tests.unit.test_pages import HTML, UNIT
from tests.unit.test_unit_admin import with_two_units

SLUG = UNIT["slug"]
PAGE = f"/don-vi/{SLUG}"
AGENCY = "Ủy ban nhân dân xã Y Tịch"


@pytest.fixture()
def app(make_app: Any) -> Any:
    return with_two_units(make_app)


@pytest.fixture()
def admin(app: Any) -> Any:
    return signed_in(app, "quan.tri.khoa", "quan_tri")


def install(client: Any, pkcs12: bytes, passphrase: bytes = PASSPHRASE, slug: str = SLUG,
            **extra: Any) -> Any:
    """POST the unit page's key form, as the browser sends it."""
    token = csrf_of(client.get(f"/don-vi/{slug}", headers=HTML).get_data(as_text=True))
    data = {"csrf_token": token, "passphrase": passphrase.decode(), "seal_mm": "36",
            "pkcs12": (io.BytesIO(pkcs12), "khoa.p12"), **extra}
    return client.post(f"/don-vi/{slug}/khoa-ky-so", data=data, headers=HTML,
                       content_type="multipart/form-data")


def key_of(serial: int, days: int = 365) -> bytes:
    """A PKCS#12 for Y Tịch with this serial, valid `days` more days."""
    return Authority.make("CA thử nghiệm").issue(
        AGENCY, serial=serial, organization="UBND tỉnh Lạng Sơn", end=NOW + days * DAY)


def audit_actions(app: Any) -> list[str]:
    """The key actions on the trail, oldest first."""
    events = app.test_client().get("/api/audit?per_page=100").get_json()["items"]
    return [e["action"] for e in reversed(events) if e["action"].startswith("key_")]


def test_a_key_installed_on_the_page_is_described_there_with_its_seal(
    app: Any, admin: Any
) -> None:
    before = admin.get(PAGE, headers=HTML).get_data(as_text=True)
    assert "Đơn vị chưa có khóa ký số: văn bản ban hành chưa đóng dấu số được." in before
    answer = install(admin, key_of(0x5EA1, days=10), seal=(io.BytesIO(seal_png()), "dau.png"))
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{PAGE}#khoa-ky-so"
    page = admin.get(PAGE, headers=HTML).get_data(as_text=True)
    assert f"Đã cài khóa ký số “{AGENCY}” cho đơn vị." in page
    assert f"<dt>Chủ thể (CN)</dt><dd>{AGENCY}</dd>" in page
    assert "<dt>Tổ chức (O)</dt><dd>UBND tỉnh Lạng Sơn</dd>" in page
    assert "<dt>Tổ chức cấp</dt><dd>CA thử nghiệm</dd>" in page
    assert "<dt>Số sê-ri</dt><dd><code>5EA1</code></dd>" in page
    assert '<strong class="key-state">sắp hết hạn (còn 9 ngày)</strong>' in page
    assert f'<img class="seal" src="{PAGE}/con-dau.png"' in page
    seal = admin.get(f"{PAGE}/con-dau.png")
    assert seal.status_code == 200 and seal.mimetype == "image/png"
    assert seal.data.startswith(b"\x89PNG")
    assert audit_actions(app) == ["key_install"]


def test_a_wrong_passphrase_shows_the_form_again_and_replaces_nothing(
    app: Any, admin: Any
) -> None:
    assert install(admin, key_of(1)).status_code == 303
    answer = install(admin, key_of(2), passphrase=b"sai-mat-khau")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Chưa cài được khóa: cần sửa 1 chỗ" in page
    assert f'<p class="error" id="pkcs12-loi">{NOT_OPENED}</p>' in page
    assert "<dt>Số sê-ri</dt><dd><code>1</code></dd>" in page
    broken = install(admin, b"not a PKCS#12 file")
    assert broken.status_code == 422 and NOT_OPENED in broken.get_data(as_text=True)
    assert "<dt>Số sê-ri</dt><dd><code>1</code></dd>" in admin.get(PAGE).get_data(as_text=True)
    assert audit_actions(app) == ["key_install"]


def test_a_form_without_a_file_or_with_no_diameter_says_which_field(admin: Any) -> None:
    token = csrf_of(admin.get(PAGE, headers=HTML).get_data(as_text=True))
    empty = admin.post(f"{PAGE}/khoa-ky-so", data={"csrf_token": token, "passphrase": "x"},
                       headers=HTML, content_type="multipart/form-data")
    assert empty.status_code == 422
    assert ('<p class="error" id="pkcs12-loi">Hãy chọn tệp khóa ký số (.p12 hoặc .pfx).</p>'
            in empty.get_data(as_text=True))
    wrong = install(admin, key_of(1), seal_mm="ba sáu",
                    seal=(io.BytesIO(seal_png()), "dau.png"))
    assert wrong.status_code == 422
    assert ('<p class="error" id="seal_mm-loi">Đường kính con dấu là một số mi-li-mét, vd. 36.'
            '</p>' in wrong.get_data(as_text=True))


def test_replacing_and_removing_the_key_are_on_the_trail(app: Any, admin: Any) -> None:
    assert install(admin, key_of(1), seal=(io.BytesIO(seal_png()), "dau.png")).status_code == 303
    assert install(admin, key_of(2, days=-1)).status_code == 303
    page = admin.get(PAGE, headers=HTML).get_data(as_text=True)
    assert "<dt>Số sê-ri</dt><dd><code>2</code></dd>" in page
    assert '<strong class="key-state bad">đã hết hạn</strong>' in page
    assert admin.get(f"{PAGE}/con-dau.png").status_code == 200  # the seal is kept
    token = csrf_of(page)
    removed = admin.post(f"{PAGE}/khoa-ky-so/xoa", data={"csrf_token": token}, headers=HTML)
    assert removed.status_code == 303
    after = admin.get(PAGE, headers=HTML).get_data(as_text=True)
    assert "Đã gỡ khóa ký số và ảnh con dấu của đơn vị." in after
    assert "Đơn vị chưa có khóa ký số" in after
    assert admin.get(f"{PAGE}/con-dau.png").status_code == 404
    again = admin.post(f"{PAGE}/khoa-ky-so/xoa", data={"csrf_token": token}, headers=HTML)
    assert again.status_code == 404
    assert audit_actions(app) == ["key_install", "key_replace", "key_remove"]


def test_another_units_key_is_not_there_and_staff_cannot_touch_their_own(
    app: Any, admin: Any
) -> None:
    assert install(admin, key_of(1), slug="thanh-linh",
                   seal=(io.BytesIO(seal_png()), "dau.png")).status_code == 303
    assert install(admin, key_of(2), seal=(io.BytesIO(seal_png()), "dau.png")).status_code == 303
    clerk = signed_in(app, "lan", "van_thu", SLUG)
    token = csrf_of(clerk.get("/", headers=HTML).get_data(as_text=True))
    for path in ("/don-vi/thanh-linh/con-dau.png", "/don-vi/thanh-linh/khoa-ky-so",
                 "/don-vi/thanh-linh/khoa-ky-so/xoa"):
        method = clerk.get if path.endswith(".png") else clerk.post
        answer = method(path, data={"csrf_token": token}, headers=HTML)
        assert answer.status_code == 404, path
        assert "Không có đơn vị “thanh-linh”." in answer.get_data(as_text=True)
    assert clerk.get(f"{PAGE}/con-dau.png", headers=HTML).status_code == 403
    assert clerk.post(f"{PAGE}/khoa-ky-so/xoa", data={"csrf_token": token},
                      headers=HTML).status_code == 403
    assert admin.get("/don-vi/khong-co/con-dau.png").status_code == 404
    assert install(admin, key_of(3), slug="thanh-linh").status_code == 303
    assert audit_actions(app) == ["key_install", "key_install", "key_replace"]


def test_the_form_needs_the_pages_csrf_token(admin: Any) -> None:
    answer = admin.post(f"{PAGE}/khoa-ky-so/xoa", data={}, headers=HTML)
    assert answer.status_code == 400


def test_deleting_the_unit_on_its_page_removes_its_key(app: Any, admin: Any) -> None:
    assert install(admin, key_of(1), seal=(io.BytesIO(seal_png()), "dau.png")).status_code == 303
    token = csrf_of(admin.get("/don-vi", headers=HTML).get_data(as_text=True))
    assert admin.post(f"{PAGE}/xoa", data={"csrf_token": token}).status_code == 302
    assert admin.get(f"{PAGE}/con-dau.png").status_code == 404
    assert not app.extensions["vb_services"].keys.has_key(SLUG)
    assert audit_actions(app) == ["key_install", "key_remove"]
