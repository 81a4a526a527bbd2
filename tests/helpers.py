"""What unit and integration tests share: PDFs with a signature block, keys, payloads, checks."""

from __future__ import annotations

import datetime
import datetime as dt
import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from openxml_audit import FileFormat, OpenXmlValidator
from PIL import Image, ImageDraw
from sqlalchemy import delete, update
from sqlalchemy.exc import DatabaseError

from service.core.clock import today_in_vietnam
from service.core.documents import DocumentService
from service.core.pdf import field_name, locate_signature_space, prepare_for_signing
from service.store.audit import AuditEvent, DatabaseAudit
from service.store.database import Database
from service.store.master_key import MasterKey
from service.store.register import SqlRegister
from service.store.signing_keys import SigningKeys
from service.store.units import SqlUnits
from service.usecases.issuing import Issuer
from service.usecases.ports import UnitProfile
from service.usecases.units import UnitProfiles
from tests.conftest import bulk_base, copy_of_migrated, load_sample
from tests.fakes import FakeConverter

# -- PDFs with a signature block, at known positions --------------------------------------------

SIZE = 14


LINES = ["TM. UY BAN NHAN DAN", "KT. CHU TICH", "PHO CHU TICH"]


NAME = "Nguyen Van Hien"


LEFT = 340.0  # the signature block's lines start here


TITLE_Y = 500.0  # baseline of the last title line ("PHO CHU TICH")


NAME_Y = 400.0  # baseline of the name


Text = tuple[float, float, str]  # x, baseline y, text


def block(name: str = NAME, lines: list[str] = LINES) -> list[Text]:
    """The signature block with Nơi nhận level with its first line, as the template lays it out."""
    texts: list[Text] = [(90, TITLE_Y + 40, "Noi nhan:"), (90, TITLE_Y + 25, "- Nhu tren;")]
    for i, line in enumerate(lines):
        texts.append((LEFT, TITLE_Y + 20 * (len(lines) - 1 - i), line))
    if name:
        texts.append((LEFT, NAME_Y, name))
    return texts


def make_pdf(*pages: list[Text]) -> bytes:
    """An A4 PDF, one page per list of texts in 14 pt Helvetica."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for texts in pages:
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        ops = [f"BT /F1 {SIZE} Tf 1 0 0 1 {x} {y} Tm ({pdf_escaped(t)}) Tj ET" for x, y, t in texts]
        page.Contents = pdf.make_stream("\n".join(ops).encode("latin-1"))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pdf_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


BODY = [(90, 700, "Cac co quan, don vi to chuc thuc hien nghiem tuc Ke hoach nay.")]


class SignableConverter(FakeConverter):
    """A fake converter whose PDF carries the signature block (no LibreOffice)."""

    def convert(
        self, docx: bytes, *, pdf_version: int | None = None, destinations: bool = False
    ) -> bytes:
        super().convert(docx, pdf_version=pdf_version, destinations=destinations)
        return make_pdf(BODY + block(NAME, LINES))


# -- signing keys and seals ---------------------------------------------------------------------

PASSPHRASE = b"mat-khau"


NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)
# digitalSignature and nonRepudiation: what a signing certificate carries.
SIGNER_USAGE = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
# digitalSignature, keyCertSign and cRLSign: what an authority's certificate carries.
AUTHORITY_USAGE = x509.KeyUsage(True, False, False, False, False, True, True, False, False)


def certificate(
    subject: str, key: rsa.RSAPrivateKey, *, usage: x509.KeyUsage = SIGNER_USAGE,
    issuer: x509.Certificate | None = None, issuer_key: rsa.RSAPrivateKey | None = None,
    start: datetime.datetime = NOW - DAY, end: datetime.datetime = NOW + 30 * DAY,
    serial: int | None = None, authority: bool = False, organization: str | None = None,
) -> x509.Certificate:
    """A certificate for `key` named `subject` (of `organization`), signed by `issuer` (default:
    itself)."""
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, subject)]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    name = x509.Name(parts)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer is not None else name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(usage, critical=True)
    )
    if authority:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


def new_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pkcs12_of(
    key: rsa.RSAPrivateKey, cert: x509.Certificate, chain: list[x509.Certificate] | None = None
) -> bytes:
    """A signer's PKCS#12 file, locked with PASSPHRASE."""
    return pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, chain, serialization.BestAvailableEncryption(PASSPHRASE)
    )


def make_key(common_name: str = NAME) -> tuple[bytes, bytes]:
    """A self-signed signing certificate as (PKCS#12 with PASSPHRASE, certificate DER)."""
    key = new_key()
    cert = certificate(common_name, key)
    return pkcs12_of(key, cert), cert.public_bytes(serialization.Encoding.DER)


def seal_png() -> bytes:
    """A red ring on a transparent ground."""
    picture = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(picture).ellipse((4, 4, 296, 296), outline=(220, 0, 0, 255), width=14)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


# -- payloads and issuers -----------------------------------------------------------------------

# A signer whose block lines are LINES and NAME, so the fake PDF below has its signature space.
SIGNER = {
    "collective": "Uy ban nhan dan",
    "mode": "KT",
    "head_title": "Chu tich",
    "title": "Pho Chu tich",
    "name": NAME,
}


def plan(**changes: Any) -> dict[str, Any]:
    """Seed 000 (a commune plan, day left blank) with the test signer."""
    payload = {**load_sample("seed_000_ke_hoach_y_tich"), "signer": SIGNER}
    payload.update(changes)
    return payload


def bulk_plan() -> dict[str, Any]:
    """Seed 000 as a bulk base: it names its commune by placeholders, and has an appendix."""
    base = bulk_base("seed_000_ke_hoach_y_tich")
    base["intro"] = [base["intro"][0].replace("UBND {ten_xa}", "{co_quan_viet_tat}")]
    base["closing"] = ["Trên đây là Kế hoạch của {co_quan}."]
    base["appendices"] = [{"title": "Phân công nhiệm vụ", "body": [
        {"kind": "paragraph", "text": "Các thôn của {ten_xa} thực hiện; địa danh {dia_danh}."}]}]
    return base


# Communes of Lạng Sơn other than the seeds' Y Tịch: (kind, name).
OTHER_COMMUNES = (("xã", "Thất Khê"), ("xã", "Đồng Đăng"), ("phường", "Đông Kinh"))


def agency_and_place_csv() -> bytes:
    """A bulk table setting only the agency and the place of each of OTHER_COMMUNES."""
    rows = "".join(f"Ủy ban nhân dân {kind} {name},{name}\n" for kind, name in OTHER_COMMUNES)
    return ("issuer.agency,issuer.place\n" + rows).encode()


def unit_profile(slug: str = "y-tich") -> dict[str, Any]:
    """Commune Y Tịch's profile with the test signer."""
    return {"slug": slug, "issuer": plan()["issuer"], "signer": SIGNER,
            "recipients": ["UBND huyện"], "archive": "VT"}


THANH_LINH = {"agency": "Ủy ban nhân dân xã Thành Linh", "agency_short": "UBND xã Thành Linh",
              "place": "Thành Linh"}


def save_two_communes(units: Any, **profile: Any) -> None:
    """Save Y Tịch and Thành Linh (their profiles changed by `profile`) in `units`."""
    for slug in ("y-tich", "thanh-linh"):
        saved = {**unit_profile(slug), **profile}
        if slug == "thanh-linh":
            saved["issuer"] = {**saved["issuer"], **THANH_LINH}
        units.save(saved)


def make_issuer(
    database: Database, documents: DocumentService, folder: Path | None = None,
    today: Any = today_in_vietnam,
) -> Issuer:
    """An Issuer on the database, with the units' keys in the folder (none without one)."""
    units = UnitProfiles(SqlUnits(database), documents.catalog, documents.schemas)
    keys = key_store(folder / "signing") if folder is not None else None
    return Issuer(SqlRegister(database), documents, units, keys, today=today)


def key_store(root: Path) -> SigningKeys:
    """The units' keys under root, locked with a master key beside it."""
    return SigningKeys(root, MasterKey(root.with_name(root.name + "-master.key")))


# -- checks -------------------------------------------------------------------------------------

def database_refuses(database: Database) -> None:
    """Shared by the PostgreSQL test: UPDATE and DELETE on the trail fail."""
    DatabaseAudit(database).record("render", actor="hoa", subject="x.docx", details={})
    for statement in (update(AuditEvent).values(actor="x"), delete(AuditEvent)):
        with pytest.raises(DatabaseError, match="append-only"), database.session() as session:
            session.execute(statement)


ARGS = {
    "type_id": "ke_hoach", "entry_id": 1, "kind": "pdf", "job_id": "0" * 32, "index": 1,
    "ext": "pdf", "token": "x", "extension": "pdf", "page": 1, "slug": "y-tich",
    "username": "lan", "key_id": "abc", "filename": "style.css", "name": "swagger-ui.css",
    "draft_id": 1, "scan_id": 1,
}


def routes(app: Any) -> list[tuple[str, str, str]]:
    """(endpoint, method, a URL of it) for every route of the app."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            arguments = {name: ARGS[name] for name in rule.arguments}
            if "kind" in rule.arguments and "zip" in rule.rule:
                arguments["kind"] = "zip"
            if "kind" in rule.arguments and "prepared" in rule.rule:
                arguments["kind"] = "prepared"
            url = app.url_for(rule.endpoint, **arguments)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


@functools.cache
def validator() -> OpenXmlValidator:
    """The Microsoft 365 validator, its schemas loaded once per test run."""
    return OpenXmlValidator(file_format=FileFormat.MICROSOFT_365, max_errors=0)


def forget_packages(checker: OpenXmlValidator) -> None:
    """Empty the validator's caches of what earlier packages held.

    openxml-audit keys them by `id()` of the package it opened: once that package is freed, the
    next one may get the same id and be checked against an earlier document's footnote ids.
    """
    pending = [c for cs in checker._semantic_validator_word._constraints.values() for c in cs]
    while pending:
        constraint = pending.pop()
        for name in ("_value_cache", "_count_cache"):
            getattr(constraint, name, {}).clear()
        pending.extend(getattr(constraint, "constraints", ()))
        if getattr(constraint, "constraint", None) is not None:
            pending.append(constraint.constraint)


def errors(path: Path) -> list[str]:
    """The validator's errors for one file, as `part path: description` lines."""
    forget_packages(validator())
    result = validator().validate(path)
    return [f"{e.part_uri} {e.path}: {e.description}" for e in result.errors]


def errors_of(data: bytes, tmp_path: Path, name: str = "out.docx") -> list[str]:
    """The validator's errors for DOCX bytes."""
    path = tmp_path / name
    path.write_bytes(data)
    return errors(path)


# -- issuing: units, databases, a settable clock -----------------------------------------------


def other_agency() -> dict[str, Any]:
    """The issuer block of another commune."""
    issuer = dict(plan()["issuer"])
    issuer.update(agency="Ủy ban nhân dân xã Chi Lăng", agency_short="UBND xã Chi Lăng")
    return issuer


def make_database(path: Path) -> Database:
    """A migrated SQLite database in the folder."""
    return Database(f"sqlite:///{copy_of_migrated(path / 'register.db')}")


class Today:
    """A settable clock for the issue date."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.date:
        return self.day


def add_unit(database: Database, slug: str = "y-tich") -> None:
    """A unit profile for commune Y Tịch with the test signer."""
    SqlUnits(database).save(UnitProfile(**unit_profile(slug)))


# -- signing: a prepared PDF and a test certificate authority -----------------------------------


def prepare(pdf: bytes, **overrides: object) -> bytes:
    """prepare_for_signing with test defaults."""
    space = locate_signature_space(pdf, LINES, NAME)
    arguments: dict = {
        "title": "Kế hoạch tổ chức Tết",
        "author": "Ủy ban nhân dân xã Thanh Lĩnh",
        "subject": "Kế hoạch 05/KH-UBND",
        "keywords": ["Kế hoạch", "KH-UBND"],
        "signer_field": field_name("Chữ ký", NAME),
        "seal_field": "Dau co quan",
        "space": space,
    }
    arguments.update(overrides)
    return prepare_for_signing(pdf, **arguments)


@dataclass(frozen=True)
class Authority:
    """A test certificate authority: its key and self-signed certificate."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def make(cls, name: str = "Test CA ký số chuyên dùng") -> Authority:
        key = new_key()
        return cls(key, certificate(name, key, usage=AUTHORITY_USAGE, authority=True,
                                    start=NOW - 30 * DAY, end=NOW + 365 * DAY))

    def issue(
        self, common_name: str, *, start: datetime.datetime = NOW - DAY,
        end: datetime.datetime = NOW + 30 * DAY, serial: int = 0x1A2B3C,
        organization: str | None = None,
    ) -> bytes:
        """A signer's PKCS#12 (PASSPHRASE), certified by this authority."""
        key = new_key()
        cert = certificate(common_name, key, issuer=self.cert, issuer_key=self.key,
                           start=start, end=end, serial=serial, organization=organization)
        return pkcs12_of(key, cert, [self.cert])

    @property
    def root(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def this_years_seed() -> dict[str, Any]:
    """Seed 000 dated this year: a signed document is issued in the year it prints."""
    data = load_sample("seed_000_ke_hoach_y_tich")
    return {**data, "date": {**data["date"], "year": today_in_vietnam().year}}


def drafting_app(make_app: Any) -> Any:
    """An app whose converter draws a page to sign, with units Y Tịch (with a seal key) and
    Thành Linh, both from this year's seed 000."""
    from tests.vn_pdf import SigningPageConverter

    app = make_app(SigningPageConverter())
    services = app.extensions["vb_services"]
    seed = this_years_seed()
    save_two_communes(services.units, issuer=seed["issuer"], signer=seed["signer"])
    services.keys.install("y-tich", Authority.make().issue("Ủy ban nhân dân xã Y Tịch"),
                          PASSPHRASE, seal_png())
    return app


def drafting_people(app: Any) -> dict[str, Any]:
    """Y Tịch's chuyên viên, lãnh đạo (seed 000's signer), a second lãnh đạo and văn thư, and
    a văn thư of Thành Linh, each logged in."""
    from tests.conftest import signed_in
    from tests.vn_pdf import SIGNER_NAME

    return {
        "drafter": signed_in(app, "lan.cv", "chuyen_vien", "y-tich"),
        "leader": signed_in(app, "son.ld", "lanh_dao", "y-tich", display_name=SIGNER_NAME),
        "deputy": signed_in(app, "ha.ld", "lanh_dao", "y-tich"),
        "clerk": signed_in(app, "thu.vt", "van_thu", "y-tich"),
        "stranger": signed_in(app, "binh.vt", "van_thu", "thanh-linh"),
    }


def validated(signature: Any, context: Any) -> Any:
    """pyHanko's verdict on an embedded signature, also where a test runs an event loop
    (Playwright leaves one in the main thread): the service's own way of running it."""
    from pyhanko.sign.validation import async_validate_pdf_signature

    from service.core.signing import outside_event_loop

    return outside_event_loop(
        async_validate_pdf_signature(signature, signer_validation_context=context)
    )


def hand_made_pdf(root: str = "1 0 R", startxref: str | None = None) -> bytes:
    """A one-catalog PDF written by hand, so that its trailer can break the format's shapes."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size 3 /Root " + root.encode() + b" >>\nstartxref\n"
    out += (startxref or str(xref)).encode() + b"\n%%EOF\n"
    return bytes(out)


ONE_TIME = re.compile(r"\s*([A-Za-z0-9]{16})\s*")


def lone_passwords(console: str) -> list[str]:
    """The console's lines that hold nothing but a one-time password, as printed."""
    return [m.group(1) for line in console.splitlines() if (m := ONE_TIME.fullmatch(line))]
