"""Passwords are kept as werkzeug's scrypt hashes; hashes of the earlier format still check."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.security import check_password_hash

from service.store.accounts import ScryptPasswords
from tests.conftest import log_in

# Made by the service before it used werkzeug (scrypt N=2^15, r=8, p=1, base64 salt and digest).
LEGACY_PASSWORD = "mat-khau-cu-2025"
LEGACY_HASH = (
    "scrypt$32768$8$1$ydGUSkMgzTyBJUdTgmkwhw==$Mwg7uKY/daRwDyt3+TuARDLcBCDrIL3Mc4RXan9PPBU="
)


def test_a_hash_of_the_earlier_format_still_checks() -> None:
    passwords = ScryptPasswords()
    assert passwords.verify(LEGACY_PASSWORD, LEGACY_HASH)
    assert not passwords.verify(LEGACY_PASSWORD + "x", LEGACY_HASH)


def test_new_hashes_are_werkzeugs_salted_scrypt() -> None:
    passwords = ScryptPasswords()
    first, second = passwords.hash("mot-mat-khau"), passwords.hash("mot-mat-khau")
    assert first.startswith("scrypt:") and first != second
    assert check_password_hash(first, "mot-mat-khau")
    assert passwords.verify("mot-mat-khau", second)
    assert not passwords.verify("mat-khau-khac", first)


@pytest.mark.parametrize(
    "stored",
    ["", "plain", "scrypt$32768$8$1$not base64$x", "scrypt$x$8$1$AAAA$AAAA", "md5$abc$def"],
)
def test_a_malformed_hash_matches_nothing(stored: str) -> None:
    assert not ScryptPasswords().verify(LEGACY_PASSWORD, stored)


def test_an_account_kept_with_an_earlier_hash_logs_in(make_app: Any) -> None:
    app = make_app()
    accounts = app.extensions["vb_services"].accounts
    accounts.create("can.bo.cu", "quan_tri", None, password="mat-khau-tam-thoi")
    accounts.store.update("can.bo.cu", password_hash=LEGACY_HASH)
    client = app.test_client(token=None)
    assert log_in(client, "can.bo.cu", LEGACY_PASSWORD).status_code == 302
    assert log_in(client, "can.bo.cu", "mat-khau-tam-thoi").status_code != 302
