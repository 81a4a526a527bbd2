"""Issue a document: take the next register number, date it, render, convert, seal, store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from service.core.clock import today_in_vietnam
from service.core.document import DateData, Document, one_line
from service.core.documents import AuditSink, DocumentInvalid, DocumentService, Rendered
from service.core.files import sha256
from service.core.issue_fields import fill_issue_fields, issue_field_values
from service.core.vn import match_key
from service.usecases.ports import AfterEntry, KeyStore, RegisterRecord, RegisterStore, UnitKey
from service.usecases.sealing import Sealer
from service.usecases.units import UnitProfiles


class YearChanged(RuntimeError):
    """A signed document prints one year and is issued in another: it must be signed again."""

    def __init__(self, printed: int, now: int) -> None:
        super().__init__(f"the document prints {printed}, it is now {now}")
        self.printed = printed
        self.now = now


class NumberMovedOn(RuntimeError):
    """The series gave its next number to another issue after the clerk was shown it."""

    def __init__(self, shown: int, now: int) -> None:
        super().__init__(f"number {shown} was shown, the series is at {now}")
        self.shown = shown
        self.now = now


class Issuer:
    """Issues documents into the outgoing register; no number is ever given twice or skipped.

    The series is held while the document is rendered (its number is printed in it),
    converted and sealed; then one short transaction takes the number and stores the entry,
    its files and its audit events. A failure before that leaves the number untaken: the next
    issue of the series prints it. Only issues of the same series wait for each other; other
    renders, audit writes and bulk rows never wait for an issue's conversion.
    """

    def __init__(
        self,
        register: RegisterStore,
        documents: DocumentService,
        units: UnitProfiles,
        keys: KeyStore | None = None,
        tsa_url: str = "",
        today: Callable[[], dt.date] = today_in_vietnam,
    ) -> None:
        self.register = register
        self.documents = documents
        self.units = units
        self.sealer = Sealer(keys, tsa_url)
        self.today = today

    def issue(
        self,
        type_id: str,
        payload: Any,
        *,
        actor: str,
        unit: str | None = None,
        sign: bool = False,
        expect: int | None = None,
        paper_signed: bool = False,
    ) -> RegisterRecord:
        """Issue one document (numbered `expect`, when given) and return its register entry.

        `paper_signed` records on the trail that the issuer confirmed the signer's signature
        on paper, which the pages ask of a văn thư before a number is taken.
        """
        payload, document = self._prepare(type_id, payload, unit)
        key = self.sealer.key(unit) if sign else None

        def made(rendered: Rendered) -> tuple[bytes, str | None]:
            pdf = self.documents.to_pdf(rendered, signing=True)
            if key is None:
                return pdf, None
            return self.sealer.seal(pdf, rendered.document, key)

        return self._take_number(
            type_id, payload, document, made, actor=actor, unit=unit, key=key, expect=expect,
            paper_signer=_signer_of(document) if paper_signed else None,
        )

    def issue_signed(
        self,
        type_id: str,
        payload: dict[str, Any],
        signed_pdf: bytes | None,
        *,
        draft_id: int,
        actor: str,
        unit: str,
        expect: int | None = None,
    ) -> RegisterRecord:
        """Issue a draft its signer signed: digitally (`signed_pdf`) or on paper (None).

        A digital signature is kept: the number and date fill the PDF's fields and the unit's
        seal signs after it, each an incremental update. A paper signature's entry keeps the
        numbered PDF; the seal is the one stamped on the paper.
        """
        printed = int((payload.get("date") or {}).get("year") or 0)
        payload, document = self._prepare(type_id, {**payload, "date": None}, unit)
        if signed_pdf is not None and printed != document.date["year"]:
            raise YearChanged(printed, document.date["year"])
        key = self.sealer.key(unit) if signed_pdf is not None else None

        def made(rendered: Rendered) -> tuple[bytes, str | None]:
            if signed_pdf is None:
                return self.documents.to_pdf(rendered, signing=True), None
            numbered, date = rendered.document, rendered.document.date
            values = issue_field_values(numbered.number or 0, date["day"] or 0, date["month"] or 0)
            assert key is not None
            return self.sealer.seal(fill_issue_fields(signed_pdf, values), numbered, key)

        return self._take_number(
            type_id, payload, document, made, actor=actor, unit=unit, key=key, expect=expect,
            draft_id=draft_id,
        )

    def _take_number(
        self,
        type_id: str,
        payload: dict[str, Any],
        document: Document,
        made: Callable[[Rendered], tuple[bytes, str | None]],
        *,
        actor: str,
        unit: str | None,
        key: UnitKey | None,
        expect: int | None,
        draft_id: int | None = None,
        paper_signer: str | None = None,
    ) -> RegisterRecord:
        """Hold the series, make the numbered document's PDF with `made`, store the entry."""
        series, year = agency_key(document.issuer), document.date["year"]
        with self.register.issuing(series, year) as tx:
            # A draft issued meanwhile (a second click, another văn thư) keeps its one entry.
            issued = self.register.by_draft(draft_id) if draft_id is not None else None
            if issued is not None:
                return issued
            # A confirmation page showed `expect`: if the series moved on since (another issue,
            # or the same confirmation sent twice), nothing is made and the clerk is asked again.
            if expect is not None and tx.number != expect:
                raise NumberMovedOn(expect, tx.number)
            # Made outside any transaction: only this series waits for the conversion.
            numbered = document.numbered(tx.number)
            rendered = self.documents.render_document(
                numbered, actor=actor, unit=unit, audit=tx.audit
            )
            pdf, signed_by = made(rendered)
            inputs = {**payload, "number": tx.number}  # as posted (JSON), with number and date
            record = replace(
                _record(rendered, series, actor, unit, pdf, signed_by), draft_id=draft_id
            )
            entry = tx.add_entry(
                record, inputs, rendered.docx, pdf,
                after=self._events(type_id, actor, unit, key, signed_by, paper_signer),
            )
        return entry

    def upcoming(self, type_id: str, payload: Any, unit: str | None = None) -> Document:
        """The document as it would be issued now, with the number it would take (not taken)."""
        _, document = self._prepare(type_id, payload, unit)
        series, year = agency_key(document.issuer), document.date["year"]
        return document.numbered(self.register.last_number(series, year) + 1)

    def _prepare(
        self, type_id: str, payload: Any, unit: str | None
    ) -> tuple[dict[str, Any], Document]:
        """The payload with the unit's prefill and the issue date, and its validated document."""
        doc_type = self.documents.catalog.get(type_id)  # UnknownDocType before anything else
        if not isinstance(payload, dict):
            self.documents.validate(type_id, payload)  # raises DocumentInvalid with the reason
            raise DocumentInvalid({"_schema": ["Dữ liệu văn bản phải là một đối tượng JSON."]})
        if payload.get("number") is not None:
            message = "Số văn bản do sổ văn bản đi cấp khi ban hành; hãy để trống (null)."
            raise DocumentInvalid({"number": [message]})
        prefill = self.units.prefill(unit, doc_type)
        payload = {**prefill, **payload, "number": None}
        payload["date"] = self._issue_date(payload.get("date"))
        # Bad input fails here, before the series is locked.
        document = self.documents.load(type_id, payload)
        same_agency(document.issuer, prefill.get("issuer"))
        return payload, document

    def _events(
        self, type_id: str, actor: str, unit: str | None, key: UnitKey | None,
        signed_by: str | None, paper_signer: str | None = None,
    ) -> AfterEntry:
        """What records the issue (the paper signature, the seal) on the trail, once the entry
        has its id."""

        def record(entry: RegisterRecord, audit: AuditSink) -> None:
            details = {"entry": entry.id, "type": type_id, "pdf_sha256": entry.pdf_sha256}
            if paper_signer is not None:
                audit.record("sign", actor=actor, subject=entry.number_line, unit=unit,
                             details={**details, "paper": True, "signer": paper_signer})
            if key is not None:
                self.sealer.record(audit, entry, key, signed_by, actor=actor, details=details)
            audit.record(
                "issue",
                actor=actor,
                subject=f"{entry.number_line} - {entry.agency}",
                details={**details, "subject": entry.subject, "date": str(entry.document_date)},
                unit=unit,
            )

        return record

    def _issue_date(self, date: Any) -> Any:
        """The date as given when complete, else today (a blank day or month is filled)."""
        if date is None or (
            isinstance(date, dict)
            and any(date.get(part) is None for part in ("day", "month", "year"))
        ):
            today = self.today()
            return {"day": today.day, "month": today.month, "year": today.year}
        return date  # complete, or malformed for the schema to report


def _signer_of(document: Document) -> str:
    """The signer as the signature block names them: "Chủ tịch Vương Văn Sơn"."""
    return " ".join(p for p in (document.signer.get("title"), document.signer.get("name")) if p)


def same_agency(issuer: Any, units_issuer: Any) -> None:
    """DocumentInvalid when a unit's document names another agency: each series is its unit's."""
    if not units_issuer:
        return  # no unit named (a system key, the command line): the document says who issues
    if agency_key(issuer) != agency_key(units_issuer):
        message = (
            f"Văn bản của đơn vị này phải do “{one_line(units_issuer)['agency']}” ban hành; "
            "số văn bản lấy theo sổ của đơn vị. Để ban hành cho đơn vị khác, hãy chọn đơn vị đó."
        )
        raise DocumentInvalid({"issuer.agency": [message]})


def agency_key(issuer: Any) -> str:
    """The series an issuer numbers in: its agency under its parent (communes share names)."""
    parent = match_key(issuer.get("parent_agency") or "")
    return f"{parent} / {match_key(issuer['agency'])}"[:400]


def _record(
    rendered: Rendered, series: str, actor: str, unit: str | None, pdf: bytes,
    signed_by: str | None,
) -> RegisterRecord:
    """The register entry of a rendered, converted (and perhaps sealed) document."""
    document = rendered.document
    date: DateData = document.date
    assert document.number is not None and date["day"] and date["month"]
    return RegisterRecord(
        agency_key=series,
        year=date["year"],
        number=document.number,
        symbol=document.symbol,
        doc_type=document.doc_type.id,
        agency=document.issuer["agency"],
        unit=unit,
        subject=document.subject,
        document_date=dt.date(date["year"], date["month"], date["day"]),
        issued_by=actor[:120],
        file_stem=document.ascii_name,
        display_name=document.display_name,
        docx_sha256=sha256(rendered.docx),
        pdf_sha256=sha256(pdf),
        signed=signed_by is not None,
        signed_by=signed_by,
    )
