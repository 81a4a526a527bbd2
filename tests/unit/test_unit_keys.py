"""A unit's signing key is installed, replaced and removed through one use case that puts each
change on the trail and refuses, replacing nothing, what cannot be used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.cli import main
from service.composition import build_services
from service.core.documents import DocumentService
from service.core.signing import load_signer, signer_name
from service.settings import Settings
from service.store.audit import HeldAudit
from service.store.signing_keys import SigningKeys
from service.store.units import SqlUnits
from service.usecases.ports import AuditQuery
from service.usecases.unit_keys import NOT_OPENED, KeyNotInstalled, KeyRefused, UnitKeys
from service.usecases.units import UnitNotFound, UnitProfiles
from tests.helpers import (
    DAY,
    NOW,
    PASSPHRASE,
    Authority,
    key_store,
    make_database,
    save_two_communes,
    seal_png,
    unit_profile,
)

AGENCY = "Ủy ban nhân dân xã Y Tịch"


@pytest.fixture()
def unit_keys(tmp_path: Path) -> tuple[UnitKeys, HeldAudit, SigningKeys]:
    documents = DocumentService(None)
    units = UnitProfiles(SqlUnits(make_database(tmp_path)), documents.catalog, documents.schemas)
    save_two_communes(units)
    audit, keys = HeldAudit(), key_store(tmp_path / "signing")
    return UnitKeys(keys, units, audit), audit, keys


def test_installing_describes_the_certificate_and_is_on_the_trail(unit_keys: Any) -> None:
    use, audit, _ = unit_keys
    ca = Authority.make("CA thử nghiệm")
    pkcs12 = ca.issue(AGENCY, serial=0x5EA1, organization="UBND tỉnh Lạng Sơn",
                      end=NOW + 10 * DAY)
    shown = use.install("quantri", "y-tich", pkcs12, PASSPHRASE, seal_png())
    assert (shown.certificate.common_name, shown.certificate.organization,
            shown.certificate.issuer, shown.certificate.serial) == (
        AGENCY, "UBND tỉnh Lạng Sơn", "CA thử nghiệm", "5EA1")
    assert shown.has_seal and shown.expiring and not shown.expired and shown.days_left == 9
    action, event = audit.events[0]
    assert action == "key_install" and event["actor"] == "quantri" and event["unit"] == "y-tich"
    assert event["subject"] == f"Khóa ký số của {AGENCY}"
    assert event["details"]["serial"] == "5EA1" and event["details"]["seal"] is True


def test_a_wrong_passphrase_or_a_broken_file_replaces_nothing(unit_keys: Any) -> None:
    use, audit, keys = unit_keys
    use.install("quantri", "y-tich", Authority.make().issue(AGENCY, serial=1), PASSPHRASE)
    before = keys.load("y-tich")
    for pkcs12, passphrase in ((Authority.make().issue(AGENCY, serial=2), b"sai"),
                               (b"PK\x03\x04 not a key", PASSPHRASE)):
        with pytest.raises(KeyRefused) as refused:
            use.install("quantri", "y-tich", pkcs12, passphrase)
        assert refused.value.errors == {"pkcs12": [NOT_OPENED]}
    assert keys.load("y-tich") == before and use.overview("y-tich").certificate.serial == "1"
    assert [action for action, _ in audit.events] == ["key_install"]


def test_a_seal_that_is_no_picture_or_of_no_seals_size_is_refused(unit_keys: Any) -> None:
    use, _, keys = unit_keys
    pkcs12 = Authority.make().issue(AGENCY)
    with pytest.raises(KeyRefused) as refused:
        use.install("quantri", "y-tich", pkcs12, PASSPHRASE, b"\x89PNG broken")
    assert refused.value.errors == {
        "seal": ["Không đọc được ảnh con dấu; hãy chọn ảnh PNG nền trong suốt."]}
    with pytest.raises(KeyRefused) as refused:
        use.install("quantri", "y-tich", pkcs12, PASSPHRASE, seal_png(), seal_mm=120)
    assert refused.value.errors == {
        "seal_mm": ["Đường kính con dấu từ 10 đến 80 mm (con dấu UBND xã thường 35–36 mm)."]}
    assert not keys.has_key("y-tich")


def test_replacing_keeps_the_seal_and_removing_deletes_both(unit_keys: Any) -> None:
    use, audit, keys = unit_keys
    use.install("quantri", "y-tich", Authority.make().issue(AGENCY, serial=1), PASSPHRASE,
                seal_png())
    replaced = use.install("quantri", "y-tich", Authority.make().issue(AGENCY, serial=2),
                           PASSPHRASE)
    assert replaced.certificate.serial == "2" and replaced.has_seal
    use.remove("quantri", "y-tich")
    assert use.overview("y-tich") is None and use.seal_png("y-tich") is None
    assert not keys.folder("y-tich").exists()
    assert [action for action, _ in audit.events] == ["key_install", "key_replace", "key_remove"]
    with pytest.raises(KeyNotInstalled):
        use.remove("quantri", "y-tich")


def test_deleting_a_unit_removes_its_key_so_that_a_new_unit_of_its_slug_has_none(
    unit_keys: Any,
) -> None:
    use, audit, keys = unit_keys
    use.install("quantri", "y-tich", Authority.make().issue(AGENCY), PASSPHRASE, seal_png())
    use.delete_unit("quantri", "y-tich")
    assert not use.units.exists("y-tich") and not keys.folder("y-tich").exists()
    assert [action for action, _ in audit.events] == ["key_install", "key_remove"]
    use.units.save(unit_profile("y-tich"))
    assert use.overview("y-tich") is None
    use.delete_unit("quantri", "thanh-linh")  # a unit without a key
    with pytest.raises(UnitNotFound):
        use.delete_unit("quantri", "thanh-linh")


def test_a_unit_given_a_new_slug_keeps_its_key_and_seal(unit_keys: Any) -> None:
    use, _, keys = unit_keys
    use.install("quantri", "y-tich", Authority.make().issue(AGENCY), PASSPHRASE, seal_png())
    use.save_unit(unit_profile("ubnd-y-tich"), old_slug="y-tich")
    assert not keys.has_key("y-tich") and not keys.folder("y-tich").exists()
    key = keys.load("ubnd-y-tich")
    assert signer_name(load_signer(key.pkcs12, key.passphrase)) == AGENCY
    assert key.seal is not None and use.overview("ubnd-y-tich").has_seal


def test_no_key_for_a_unit_that_does_not_exist(unit_keys: Any) -> None:
    use, _, keys = unit_keys
    with pytest.raises(UnitNotFound):
        use.install("quantri", "khong-co", Authority.make().issue(AGENCY), PASSPHRASE)
    assert not keys.has_key("khong-co")


def test_the_command_line_installs_through_the_same_use_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VB_DATA_DIR", str(tmp_path / "var"))
    services = build_services(Settings.from_env(), convert=False)
    try:
        save_two_communes(services.units)
    finally:
        services.close()
    (tmp_path / "key.p12").write_bytes(Authority.make().issue(AGENCY))
    (tmp_path / "pass").write_bytes(PASSPHRASE + b"\n")
    assert main(["signing-key", "y-tich", str(tmp_path / "key.p12"),
                 "--passphrase-file", str(tmp_path / "pass")]) == 0
    assert capsys.readouterr().out.strip() == (
        f'{{"unit": "y-tich", "certificate": "{AGENCY}", "seal": false}}')
    (tmp_path / "pass").write_bytes(b"sai\n")
    assert main(["signing-key", "y-tich", str(tmp_path / "key.p12"),
                 "--passphrase-file", str(tmp_path / "pass")]) == 1
    assert capsys.readouterr().err.strip() == f"KeyRefused: pkcs12: {NOT_OPENED}"
    services = build_services(Settings.from_env(), convert=False)
    try:
        events = services.audit.search(AuditQuery(), page=1, per_page=10).items
    finally:
        services.close()
    assert [(e["action"], e["actor"]) for e in events] == [("key_install", "cli")]
