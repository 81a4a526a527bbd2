"""What the use cases need from storage, as protocols the store implements, and the records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from service.core import vn
from service.core.documents import AuditSink
from service.core.key_material import KeyDescription
from service.core.signing import SealImage

AUDIT_ACTIONS = ("render", "save", "submit", "return", "sign", "issue", "seal", "attach",
                 "key_install", "key_replace", "key_remove")
AUDIT_LABELS = {  # as the pages name them
    "render": "Tạo văn bản", "save": "Lưu dự thảo", "submit": "Trình ký", "return": "Trả lại",
    "sign": "Người có thẩm quyền ký", "issue": "Ban hành, cấp số", "seal": "Ký số (con dấu)",
    "attach": "Lưu bản quét", "key_install": "Cài khóa ký số", "key_replace": "Thay khóa ký số",
    "key_remove": "Gỡ khóa ký số",
}


@dataclass(frozen=True)
class RegisterRecord:
    """One entry of the outgoing register as issuing writes it and the pages read it."""

    agency_key: str
    year: int
    number: int
    symbol: str
    doc_type: str
    agency: str
    unit: str | None
    subject: str
    document_date: dt.date
    issued_by: str
    file_stem: str
    display_name: str
    docx_sha256: str
    pdf_sha256: str
    signed: bool
    signed_by: str | None
    source_id: int | None = None  # the entry a copy (sao y, sao lục, trích sao) was made from
    draft_id: int | None = None  # the signed draft it issued
    id: int | None = None  # given by the store
    issued_at: dt.datetime | None = None  # given by the store
    # Only when one entry is read whole, or has just been issued:
    inputs: dict[str, Any] | None = None  # the JSON as posted, with number and date
    docx: bytes | None = field(default=None, repr=False)
    pdf: bytes | None = field(default=None, repr=False)

    @property
    def number_text(self) -> str:
        """The number as printed: "05"."""
        return vn.number_str(self.number)

    @property
    def number_line(self) -> str:
        """The header line: "Số: 05/KH-UBND"."""
        return vn.number_line(self.number, self.symbol)

    def file_name(self, kind: str) -> str:
        """The name its PDF or DOCX downloads under: `05-KH-UBND-2026-xa-y-tich.pdf`."""
        return f"{self.file_stem}.{kind}"


@dataclass(frozen=True)
class StoredFile:
    """An issued file exactly as stored, with the names to download it under."""

    content: bytes
    sha256: str
    ascii_name: str
    display_name: str


@dataclass(frozen=True)
class RegisterQuery:
    """Filters for listing the register; None means any."""

    number: int | None = None
    symbol: str | None = None  # the symbol's start, any case: "KH" finds KH-UBND
    doc_type: str | None = None
    text: str | None = None
    agency: str | None = None
    year: int | None = None
    unit: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    units: frozenset[str] | None = None  # the reader's scope; None: every unit
    source_id: int | None = None  # copies made from this entry


@dataclass(frozen=True)
class AuditQuery:
    """Filters for reading the trail; None means any."""

    action: str | None = None
    actor: str | None = None
    subject: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    units: frozenset[str] | None = None  # the reader's scope; None: every unit


@dataclass(frozen=True)
class Page:
    """One page of a searched list and how many items match in all."""

    items: list[Any]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class UnitProfile:
    """One office's fixed details (issuer and signer parts of a document) that prefill forms."""

    slug: str
    issuer: dict[str, Any]
    signer: dict[str, Any]
    recipients: list[str] = field(default_factory=list)
    archive: str = "VT"
    council: dict[str, Any] | None = None  # its Hội đồng nhân dân, if the profile has one
    province: str | None = None  # the province's name, as service.bulk.communes lists it

    def prefill(self, by_council: bool = False) -> dict[str, Any]:
        """The document fields this profile fills: issuer, signer, recipients, archive.

        `by_council` (a nghị quyết): the council issues and its chair signs for it (TM.).
        """
        issuer, signer = dict(self.issuer), dict(self.signer)
        if by_council and self.council:
            issuer = {"agency": self.council["agency"], "agency_short": None,
                      "agency_code": self.council.get("agency_code") or "HĐND",
                      "unit_code": None, "parent_agency": None, "place": issuer["place"]}
            signer = {"collective": "Hội đồng nhân dân", "mode": None, "head_title": None,
                      "title": self.council.get("chair_title") or "Chủ tịch",
                      "name": self.council.get("chair_name") or ""}
        return {
            "issuer": issuer,
            "signer": signer,
            "recipients": list(self.recipients),
            "archive": self.archive,
        }


# Records what an issue did, in the transaction that stores its entry.
AfterEntry = Callable[[RegisterRecord, AuditSink], None]


class IssueTransaction(Protocol):
    """One issue of one series, which is held for it: the next number is its own until it ends.

    Nothing is written until `add_entry`; if the issue fails before, the number was never
    taken and the next issue of the series gets it.
    """

    @property
    def number(self) -> int:
        """The number this issue takes."""

    @property
    def audit(self) -> AuditSink:
        """Events of making the document, written with the entry (and dropped without one)."""

    def add_entry(self, record: RegisterRecord, inputs: dict[str, Any], docx: bytes,
                  pdf: bytes, after: AfterEntry | None = None) -> RegisterRecord:
        """Take the number and store the entry, its files, the events and what `after` records,
        in one short transaction; the record with its id and time."""


class RegisterStore(Protocol):
    """The outgoing register's storage."""

    def issuing(self, series: str, year: int) -> AbstractContextManager[IssueTransaction]:
        """Hold one series (not the database) while its next document is made."""

    def by_draft(self, draft_id: int) -> RegisterRecord | None:
        """The entry that issued this draft, if it has been issued."""

    def last_number(self, series: str, year: int) -> int:
        """The last number given in the series this year (0 before the first)."""

    def search(
        self, query: RegisterQuery, *, offset: int, limit: int
    ) -> tuple[list[RegisterRecord], int]:
        """One page of matching entries, newest first, and how many match in all."""

    def in_number_order(self, query: RegisterQuery) -> list[RegisterRecord]:
        """Every matching entry with its inputs, by series, year and number (the paper book)."""

    def get(self, entry_id: int, units: frozenset[str] | None = None) -> RegisterRecord | None:
        """The entry with its inputs, or None (also when it is outside `units`)."""

    def file(
        self, entry_id: int, kind: str, units: frozenset[str] | None = None
    ) -> StoredFile | None:
        """The entry's stored PDF or DOCX, or None (also when it is outside `units`)."""


class UnitStore(Protocol):
    """The unit profiles' storage."""

    def list(self) -> list[UnitProfile]:
        """Every unit, by agency name."""

    def get(self, slug: str) -> UnitProfile | None:
        """The unit with this slug, or None."""

    def save(self, profile: UnitProfile, old_slug: str | None = None) -> None:
        """Create the unit (old_slug None) or replace the one named old_slug."""

    def delete(self, slug: str) -> bool:
        """Delete the unit; False when there is none."""


class AuditStore(Protocol):
    """The audit trail's storage (append-only)."""

    def search(
        self, query: AuditQuery, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of matching events, newest first, and how many match in all."""


@dataclass(frozen=True)
class UnitKey:
    """What signing as a unit needs; never sent out through the API."""

    slug: str
    pkcs12: bytes
    passphrase: bytes | None  # the service's own secret for the kept PKCS#12, not the owner's
    seal: SealImage | None


class KeyStore(Protocol):
    """The units' installed signing keys."""

    def has_key(self, slug: str) -> bool:
        """Whether a key is installed for the unit."""

    def load(self, slug: str) -> UnitKey:
        """The unit's key and seal."""

    def install(
        self, slug: str, pkcs12: bytes, passphrase: bytes | None, seal_png: bytes | None = None,
        seal_mm: float = 36.0,
    ) -> dict[str, Any]:
        """Check the key (and seal picture) and keep them for the unit."""

    def describe(self, slug: str) -> KeyDescription:
        """What the unit's installed certificate says."""

    def seal_png(self, slug: str) -> bytes | None:
        """The unit's seal picture (PNG), or None."""

    def remove(self, slug: str) -> bool:
        """Delete the unit's key and seal; False when it had none."""

    def move(self, old: str, new: str) -> None:
        """Give a renamed unit its key and seal."""


@dataclass(frozen=True)
class AccountRecord:
    """A staff account as stored (its password only as a hash)."""

    username: str
    display_name: str
    role: str
    unit: str | None
    extra_units: tuple[str, ...]
    password_hash: str
    active: bool = True
    must_change_password: bool = False
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    last_login: dt.datetime | None = None
    session_generation: int = 0  # raised when the account logs out: its sessions end
    id: int | None = None


@dataclass(frozen=True)
class ApiKeyRecord:
    """A system's API key as stored: its digest, never the token."""

    key_id: str
    name: str
    digest: str
    scopes: tuple[str, ...]
    units: tuple[str, ...] | None  # None: every unit
    doc_types: tuple[str, ...] | None  # None: every type
    expires_at: dt.datetime | None
    created_by: str
    created_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    last_used: dt.datetime | None = None


class AccountStore(Protocol):
    """The staff accounts' storage."""

    def list(self) -> list[AccountRecord]:
        """Every account, by user name."""

    def get(self, username: str) -> AccountRecord | None:
        """The account with this user name (case as stored), or None."""

    def by_id(self, account_id: int) -> AccountRecord | None:
        """The account with this id, or None."""

    def add(self, account: AccountRecord) -> AccountRecord:
        """Store a new account; the record with its id."""

    def update(self, username: str, **values: Any) -> bool:
        """Change stored values of an account; False when there is none."""

    def count(self) -> int:
        """How many accounts exist."""


class ApiKeyStore(Protocol):
    """The API keys' storage."""

    def list(self) -> list[ApiKeyRecord]:
        """Every key, newest first."""

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this public id, or None."""

    def add(self, key: ApiKeyRecord) -> None:
        """Store a new key."""

    def update(self, key_id: str, **values: Any) -> bool:
        """Change stored values of a key; False when there is none."""
