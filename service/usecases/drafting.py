"""Drafts on the server and their way to a signature: save, submit, return, sign.

Decree 30 numbers a document only after its competent signer has signed it. A chuyên viên
saves a draft in her unit (each save a version), submits it to a lãnh đạo of the unit, who
either returns it with a comment, records that they signed it on paper, or uploads the PDF
prepared for signing with their own digital signature. The văn thư issues it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from service.core.clock import vietnam_iso
from service.core.document import Document
from service.core.documents import AuditSink, DocumentInvalid, DocumentService
from service.core.files import sha256
from service.core.signed_upload import check_signed_upload
from service.usecases.access import Principal, Role
from service.usecases.draft_ports import (
    EDITABLE,
    DraftConflict,
    DraftFile,
    DraftRecord,
    DraftStatus,
    DraftStore,
    DraftVersion,
    FileKind,
    Signature,
)
from service.usecases.issuing import Issuer, same_agency
from service.usecases.ports import AccountStore, RegisterRecord

__all__ = [
    "DraftConflict",
    "DraftNotFound",
    "Drafting",
    "NotTheSigner",
    "SignerInvalid",
    "for_signature",
]


class DraftNotFound(LookupError):
    """No draft by that id in the caller's units."""


class NotTheSigner(PermissionError):
    """The draft waits for another lãnh đạo's signature."""


class SignerInvalid(ValueError):
    """The account named to sign is not an active lãnh đạo of the draft's unit."""


def for_signature(data: dict[str, Any]) -> dict[str, Any]:
    """The document as its signer signs it: no number, no day, no month (given at issue)."""
    date = data.get("date")
    parts = dict(date) if isinstance(date, dict) else {}
    return {**data, "number": None, "date": {**parts, "day": None, "month": None}}


class Drafting:
    """Saves drafts in their unit and moves them to and from their signer."""

    def __init__(
        self,
        store: DraftStore,
        documents: DocumentService,
        accounts: AccountStore,
        audit: AuditSink,
        issuer: Issuer,
        *,
        trust_roots: Callable[[], Iterable[bytes]] = tuple,
        require_trusted: bool = False,
    ) -> None:
        self.store = store
        self.issuer = issuer
        self.documents = documents
        self.accounts = accounts
        self.audit = audit
        self.trust_roots = trust_roots
        self.require_trusted = require_trusted

    def save(
        self, who: Principal, type_id: str, data: Any, *, unit: str | None = None,
        draft_id: int | None = None, expect_version: int | None = None,
    ) -> DraftRecord:
        """A new draft of `unit` (default: the caller's), or a new version of `draft_id`."""
        if not isinstance(data, dict):
            raise DocumentInvalid({"_schema": ["Dữ liệu văn bản phải là một đối tượng JSON."]})
        current = self.get(who, draft_id) if draft_id is not None else None
        slug = current.unit if current is not None else unit or who.unit
        if not slug or not who.sees(slug):
            raise DocumentInvalid({"unit": ["Chọn đơn vị của dự thảo."]})
        # What the document leaves out comes from its unit's profile, as when it is issued.
        prefill = self.issuer.units.prefill(slug, self.documents.catalog.get(type_id))
        data = {**prefill, **data}
        document = self.documents.load(type_id, for_signature(data))  # DocumentInvalid
        same_agency(document.issuer, prefill.get("issuer"))  # a unit numbers only its own
        title = document.subject or document.doc_type.name
        if current is None:
            record = DraftRecord(slug, type_id, title, DraftStatus.DRAFT, 1, who.name, who.name)
            saved = self.store.add(record, data)
        else:
            assert draft_id is not None  # `current` was read by it
            if current.doc_type != type_id:
                raise DocumentInvalid({"doc_type": [f"Dự thảo này là {current.doc_type}."]})
            version = current.version if expect_version is None else expect_version
            saved = self.store.save_version(
                draft_id, data, title=title, by=who.name, expect_version=version
            )
        self._record("save", who, saved, {"version": saved.version})
        return saved

    def get(self, who: Principal, draft_id: int) -> DraftRecord:
        """The draft with its newest data; DraftNotFound outside the caller's units."""
        found = self.store.get(draft_id, who.units)
        if found is None:
            raise DraftNotFound(draft_id)
        return found

    def visible(
        self, who: Principal, *, statuses: tuple[DraftStatus, ...] = ()
    ) -> list[DraftRecord]:
        """The drafts of the caller's units."""
        return self.store.find(who.units, statuses=statuses)

    def waiting_for(self, who: Principal) -> list[DraftRecord]:
        """What was submitted to this lãnh đạo and waits for their signature."""
        return self.store.find(
            who.units, statuses=(DraftStatus.SUBMITTED,), signer_account=who.name
        )

    def to_issue(self, who: Principal) -> list[DraftRecord]:
        """Signed drafts of the caller's units, waiting for the văn thư's number."""
        return self.store.find(who.units, statuses=(DraftStatus.SIGNED,))

    def versions(self, who: Principal, draft_id: int) -> list[DraftVersion]:
        """Who saved each version of a visible draft, and when."""
        self.get(who, draft_id)  # DraftNotFound outside the caller's units
        return self.store.versions(draft_id)

    def signers(self, unit: str) -> list[tuple[str, str]]:
        """(user name, display name) of the active lãnh đạo accounts of a unit."""
        return [
            (a.username, a.display_name)
            for a in self.accounts.list()
            if a.active and a.role == Role.LANH_DAO and unit in (a.unit, *a.extra_units)
        ]

    def submit(self, who: Principal, draft_id: int, signer: str, note: str = "") -> DraftRecord:
        """Prepare the PDF for signing and hand the draft to `signer`, a lãnh đạo of its unit."""
        draft = self.get(who, draft_id)
        if draft.status not in EDITABLE:
            raise DraftConflict(f"draft {draft_id} is {draft.status}")
        if signer not in dict(self.signers(draft.unit)):
            raise SignerInvalid(signer)
        document = self._to_sign(draft)
        rendered = self.documents.render_document(document, actor=who.name, unit=draft.unit)
        prepared = self.documents.to_pdf(
            rendered, signing=True, numbered_later=True,
            seal_size=self.issuer.sealer.seal_size(draft.unit),
        )
        kept = DraftFile(FileKind.PREPARED, prepared, sha256(prepared), draft.version, who.name)
        moved = self.store.move(
            draft_id, expect=EDITABLE, to=DraftStatus.SUBMITTED, by=who.name, file=kept,
            signer_account=signer, note=note.strip()[:2000], comment="", signature=None,
        )
        details = {"signer": signer, "version": draft.version, "pdf_sha256": kept.sha256}
        self._record("submit", who, moved, details)
        return moved

    def return_to_drafter(self, who: Principal, draft_id: int, comment: str) -> DraftRecord:
        """Send a submitted draft back with the signer's comment."""
        self._as_its_signer(who, draft_id)
        moved = self.store.move(
            draft_id, expect=(DraftStatus.SUBMITTED,), to=DraftStatus.RETURNED, by=who.name,
            comment=comment.strip()[:2000],
        )
        self._record("return", who, moved, {"comment": moved.comment})
        return moved

    def sign_digitally(self, who: Principal, draft_id: int, uploaded: bytes) -> DraftRecord:
        """Take the signer's upload once it checks (SignedUploadRefused says why not)."""
        draft = self._as_its_signer(who, draft_id)
        prepared = self.store.file(draft_id, FileKind.PREPARED)
        assert prepared is not None
        document = self._to_sign(draft)
        accepted = check_signed_upload(
            prepared.content, uploaded, field=document.signer_field,
            signer_name=document.signer.get("name") or "", trust_roots=self.trust_roots(),
            require_trusted=self.require_trusted,
        )
        signature = Signature(
            paper=False, recorded_by=who.name, subject=accepted.subject, serial=accepted.serial,
            issuer=accepted.issuer, trusted=accepted.trusted,
            signed_at=vietnam_iso(accepted.signed_at) if accepted.signed_at else None,
        )
        kept = DraftFile(FileKind.SIGNED, uploaded, sha256(uploaded), draft.version, who.name)
        moved = self.store.move(
            draft_id, expect=(DraftStatus.SUBMITTED,), to=DraftStatus.SIGNED, by=who.name,
            file=kept, signature=signature,
        )
        self._record("sign", who, moved, {**signature.as_dict(), "pdf_sha256": kept.sha256})
        return moved

    def sign_on_paper(self, who: Principal, draft_id: int) -> DraftRecord:
        """Record that the signer signed the printed document by hand."""
        self._as_its_signer(who, draft_id)
        signature = Signature(paper=True, recorded_by=who.name)
        moved = self.store.move(
            draft_id, expect=(DraftStatus.SUBMITTED,), to=DraftStatus.SIGNED, by=who.name,
            signature=signature,
        )
        self._record("sign", who, moved, signature.as_dict())
        return moved

    def issue(
        self, who: Principal, draft_id: int, *, expect: int | None = None
    ) -> RegisterRecord:
        """Number, date (and seal) a signed draft into its unit's register; once, ever.

        A draft whose entry was stored but whose status was not yet moved (a crash between
        the two) is completed with that entry: no second number is taken.
        """
        draft = self.get(who, draft_id)
        entry = self.issuer.register.by_draft(draft_id)
        if entry is None:
            if draft.status != DraftStatus.SIGNED or draft.signature is None:
                raise DraftConflict(f"draft {draft_id} is {draft.status}")
            signed = None
            if not draft.signature.paper:
                kept = self.store.file(draft_id, FileKind.SIGNED)
                assert kept is not None
                signed = kept.content
            assert draft.data is not None
            entry = self.issuer.issue_signed(
                draft.doc_type, draft.data, signed, draft_id=draft_id, actor=who.name,
                unit=draft.unit, expect=expect,
            )
        if draft.status != DraftStatus.ISSUED:
            self.store.move(
                draft_id, expect=(DraftStatus.SIGNED,), to=DraftStatus.ISSUED, by=who.name,
                entry_id=entry.id,
            )
        return entry

    def upcoming(self, who: Principal, draft_id: int) -> int:
        """The number a signed draft would take if it were issued now (not taken)."""
        draft = self.get(who, draft_id)
        assert draft.data is not None
        document = self.issuer.upcoming(draft.doc_type, {**draft.data, "date": None}, draft.unit)
        return document.number or 0

    def file(self, who: Principal, draft_id: int, kind: FileKind) -> DraftFile | None:
        """A visible draft's newest file of this kind."""
        self.get(who, draft_id)  # DraftNotFound outside the caller's units
        return self.store.file(draft_id, kind)

    def _to_sign(self, draft: DraftRecord) -> Document:
        """The draft's document as it is signed: without the number and date it takes later."""
        assert draft.data is not None  # read whole by get()
        return self.documents.load(draft.doc_type, for_signature(draft.data))

    def _as_its_signer(self, who: Principal, draft_id: int) -> DraftRecord:
        """The submitted draft, when `who` is the lãnh đạo it was submitted to."""
        draft = self.get(who, draft_id)
        if draft.status != DraftStatus.SUBMITTED:
            raise DraftConflict(f"draft {draft_id} is {draft.status}")
        if draft.signer_account != who.name:
            raise NotTheSigner(draft_id)
        return draft

    def _record(
        self, action: str, who: Principal, draft: DraftRecord, details: dict[str, Any]
    ) -> None:
        self.audit.record(
            action, actor=who.name, subject=f"Dự thảo {draft.id}: {draft.title}"[:300],
            details={"draft": draft.id, "type": draft.doc_type, **details}, unit=draft.unit,
        )
