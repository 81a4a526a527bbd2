"""A unit's signing key is kept without its passphrase, locked with the service's master key,
and still signs; keys an earlier version kept with their passphrase in clear are converted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.core.signing import load_signer, signer_name
from service.store.master_key import MasterKeyMismatch
from tests.helpers import PASSPHRASE, Authority, key_store, seal_png

AGENCY = "Ủy ban nhân dân xã Y Tịch"


def every_file(*roots: Path) -> dict[Path, bytes]:
    """Every file under the folders (or the files themselves), by path."""
    found = {}
    for root in roots:
        paths = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        found.update({path: path.read_bytes() for path in paths})
    return found


def old_install(root: Path, slug: str, pkcs12: bytes) -> None:
    """A key as an earlier version kept it: the PKCS#12 as given and its passphrase in clear."""
    (root / slug).mkdir(parents=True)
    (root / slug / "key.p12").write_bytes(pkcs12)
    (root / slug / "passphrase").write_bytes(PASSPHRASE)


def test_the_kept_files_never_hold_the_passphrase_and_the_key_still_signs(tmp_path: Path) -> None:
    keys = key_store(tmp_path / "signing")
    keys.install("y-tich", Authority.make().issue(AGENCY), PASSPHRASE, seal_png(), 35)
    kept = every_file(tmp_path)
    assert sorted(p.name for p in kept) == [
        "key.json", "seal.json", "seal.png", "signing-master.key"]
    assert [p for p, content in kept.items() if PASSPHRASE in content] == []
    key = keys.load("y-tich")
    assert key.passphrase != PASSPHRASE
    assert signer_name(load_signer(key.pkcs12, key.passphrase)) == AGENCY
    assert key.seal is not None and key.seal.diameter_mm == 35
    with pytest.raises(ValueError, match="cannot open the PKCS#12 key"):
        load_signer(key.pkcs12, PASSPHRASE)


def test_a_copy_of_the_signing_folder_without_the_master_key_cannot_sign(tmp_path: Path) -> None:
    keys = key_store(tmp_path / "signing")
    keys.install("y-tich", Authority.make().issue(AGENCY), PASSPHRASE)
    shutil.copytree(tmp_path / "signing", tmp_path / "copy" / "signing")
    copied = key_store(tmp_path / "copy" / "signing")  # a master key of its own
    assert copied.describe("y-tich").common_name == AGENCY  # the certificate is public
    with pytest.raises(MasterKeyMismatch):
        copied.load("y-tich")


def test_a_key_kept_with_its_passphrase_in_clear_still_signs_and_is_converted(
    tmp_path: Path,
) -> None:
    root = tmp_path / "signing"
    old_install(root, "y-tich", Authority.make().issue(AGENCY))
    assert [p.name for p, c in every_file(root).items() if PASSPHRASE in c] == ["passphrase"]
    keys = key_store(root)
    assert keys.has_key("y-tich")
    key = keys.load("y-tich")
    assert signer_name(load_signer(key.pkcs12, key.passphrase)) == AGENCY
    assert sorted(p.name for p in (root / "y-tich").iterdir()) == ["key.json"]
    assert [p for p, content in every_file(tmp_path).items() if PASSPHRASE in content] == []


def test_the_start_converts_every_old_install_and_names_those_it_cannot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "signing"
    old_install(root, "y-tich", Authority.make().issue(AGENCY))
    old_install(root, "hong", b"not a PKCS#12 file")
    assert key_store(root).convert_all() == ["y-tich"]
    assert (root / "y-tich" / "key.json").is_file()
    assert not (root / "y-tich" / "passphrase").exists()
    assert "the signing key of hong could not be converted" in caplog.text


