"""What the drafting and signing steps need from storage: the records and the DraftStore."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class DraftStatus(StrEnum):
    """Where a draft stands on its way from the chuyên viên to the register."""

    DRAFT = "du_thao"  # being written; may be saved again
    SUBMITTED = "cho_ky"  # with its signer, as the PDF prepared for signing
    RETURNED = "tra_lai"  # sent back with a comment; may be edited and submitted again
    SIGNED = "da_ky"  # signed (digitally, or on paper as recorded); waits for the văn thư
    ISSUED = "da_phat_hanh"  # numbered, dated, sealed and in the register


STATUS_LABELS = {
    DraftStatus.DRAFT: "Dự thảo",
    DraftStatus.SUBMITTED: "Chờ ký",
    DraftStatus.RETURNED: "Trả lại",
    DraftStatus.SIGNED: "Đã ký, chờ phát hành",
    DraftStatus.ISSUED: "Đã phát hành",
}
EDITABLE = (DraftStatus.DRAFT, DraftStatus.RETURNED)


class FileKind(StrEnum):
    """The files a draft keeps on its way, each with its SHA-256."""

    PREPARED = "prepared"  # the PDF prepared for signing
    SIGNED = "signed"  # the signer's upload, as uploaded
    SCAN = "scan"  # the scan of the signed, stamped paper


@dataclass(frozen=True)
class Signature:
    """How the draft was signed: a digital signature's certificate, or paper as recorded."""

    paper: bool
    recorded_by: str
    subject: str = ""
    serial: str = ""
    issuer: str = ""
    signed_at: str | None = None  # ISO 8601
    trusted: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The signature as stored and as the API shows it."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DraftRecord:
    """One draft as the use cases see it; `data` is its newest version's document."""

    unit: str
    doc_type: str
    title: str
    status: DraftStatus
    version: int
    created_by: str
    updated_by: str
    id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    signer_account: str | None = None  # the lãnh đạo it was submitted to
    note: str = ""  # the drafter's note to the signer
    comment: str = ""  # the signer's comment when it was returned
    signature: Signature | None = None
    entry_id: int | None = None  # its register entry, once issued
    data: dict[str, Any] | None = field(default=None, repr=False)
    versions: tuple[DraftVersion, ...] = ()  # when one draft is read whole


@dataclass(frozen=True)
class DraftVersion:
    """One saved version: who saved it and when."""

    version: int
    saved_by: str
    saved_at: dt.datetime


@dataclass(frozen=True)
class DraftFile:
    """A file a draft keeps, exactly as stored."""

    kind: FileKind
    content: bytes = field(repr=False)
    sha256: str
    version: int
    added_by: str
    added_at: dt.datetime | None = None


class DraftConflict(RuntimeError):
    """The draft is not in a state (or not at the version) the step expects."""


class DraftStore(Protocol):
    """Drafts, their versions and files; every change checks the state it expects."""

    def add(self, draft: DraftRecord, data: dict[str, Any]) -> DraftRecord:
        """Store a new draft with its first version."""

    def get(self, draft_id: int, units: frozenset[str] | None) -> DraftRecord | None:
        """The draft with its newest data, when one of `units` (None: any) holds it."""

    def find(
        self, units: frozenset[str] | None, *, statuses: tuple[DraftStatus, ...] = (),
        signer_account: str | None = None,
    ) -> list[DraftRecord]:
        """Drafts of those units (None: every unit), newest change first, without data."""

    def versions(self, draft_id: int) -> list[DraftVersion]:
        """Every version of a draft, oldest first."""

    def save_version(
        self, draft_id: int, data: dict[str, Any], *, title: str, by: str, expect_version: int
    ) -> DraftRecord:
        """Add a version to an editable draft at `expect_version`; DraftConflict otherwise."""

    def move(
        self, draft_id: int, *, expect: tuple[DraftStatus, ...], to: DraftStatus, by: str,
        file: DraftFile | None = None, **values: Any,
    ) -> DraftRecord:
        """Change the status (and `values`) from one of `expect`, adding `file`, in one go."""

    def file(self, draft_id: int, kind: FileKind) -> DraftFile | None:
        """The newest file of this kind."""
