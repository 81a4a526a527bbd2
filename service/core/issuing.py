"""Issue a document: take the next register number, date it, render, convert, seal, store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from service.core import markup
from service.core.context import document_symbol
from service.core.documents import (
    DocumentInvalid,
    DocumentService,
    Rendered,
    seal_field_name,
)
from service.core.files import sha256
from service.core.signing import load_signer, sign_field, signer_name
from service.store.audit import SessionAudit
from service.store.database import Database
from service.store.register import RegisterEntry, agency_key, allocate_number, search_key
from service.store.signing_keys import SigningKeys, UnitKey
from service.store.units import get_unit

# The register year turns on 1 January in Vietnam, whatever the server's clock zone.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SEAL_REASON = "Ban hành văn bản"


class UnitNotFound(LookupError):
    """No unit profile has the slug the request names."""


class SigningUnavailable(LookupError):
    """Signing was asked for, but no unit was named or the unit has no key installed."""


def today_in_vietnam() -> dt.date:
    """Today's date in Vietnam."""
    return dt.datetime.now(VIETNAM).date()


class Issuer:
    """Issues documents into the outgoing register; no number is ever given twice or skipped.

    Allocation, rendering (the number is printed in the document), conversion, the seal
    signature and storing the files happen in ONE transaction: any failure rolls the counter
    back with everything else, so the number is not consumed. The price is that issues of one
    series wait for each other while a document converts (on SQLite, every write waits).
    """

    def __init__(
        self,
        database: Database,
        documents: DocumentService,
        keys: SigningKeys | None = None,
        tsa_url: str = "",
        today: Callable[[], dt.date] = today_in_vietnam,
    ) -> None:
        self.database = database
        self.documents = documents
        self.keys = keys
        self.tsa_url = tsa_url
        self.today = today

    def issue(
        self,
        type_id: str,
        payload: Any,
        *,
        actor: str,
        unit: str | None = None,
        sign: bool = False,
    ) -> RegisterEntry:
        """Issue one document and return its register entry (files included)."""
        doc_type = self.documents.catalog.get(type_id)  # UnknownDocType before anything else
        if not isinstance(payload, dict):
            self.documents.validate(type_id, payload)  # raises DocumentInvalid with the reason
            raise DocumentInvalid({"_schema": ["Dữ liệu văn bản phải là một đối tượng JSON."]})
        if payload.get("number") is not None:
            message = "Số văn bản do sổ văn bản đi cấp khi ban hành; hãy để trống (null)."
            raise DocumentInvalid({"number": [message]})
        prefill = self._unit_prefill(unit)
        key = self._unit_key(unit) if sign else None
        payload = {**prefill, **payload, "number": None}
        payload["date"] = self._issue_date(payload.get("date"))
        # Bad input fails here, before the series is locked.
        data = self.documents.validate(type_id, payload)
        series, year = agency_key(data["issuer"]), data["date"]["year"]
        with self.database.session(immediate=True) as session:
            # Audit events go into this transaction: they commit or roll back with the number.
            audit = SessionAudit(session)
            number = allocate_number(session, series, year)
            inputs = {**payload, "number": number}  # as posted (JSON), with number and date
            rendered = self.documents.render_valid(
                doc_type, {**data, "number": number}, actor=actor, audit=audit
            )
            pdf = self.documents.to_pdf(rendered, signing=True)
            signed_by = None
            if key is not None:
                pdf, signed_by = self._seal(pdf, rendered, key)
            entry = self._entry(rendered, inputs, series, actor, unit, pdf, signed_by)
            session.add(entry)
            session.flush()  # the id, for the trail
            details = {"entry": entry.id, "type": type_id, "pdf_sha256": entry.pdf_sha256}
            if key is not None:
                audit.record(
                    "sign",
                    actor=actor,
                    subject=entry.number_line,
                    details={**details, "unit": key.slug, "certificate": signed_by,
                             "timestamp": bool(self.tsa_url)},
                )
            audit.record(
                "issue",
                actor=actor,
                subject=f"{entry.number_line} - {entry.agency}",
                details={**details, "subject": entry.subject, "date": str(entry.document_date)},
            )
        return entry

    def _unit_prefill(self, slug: str | None) -> dict[str, Any]:
        """The named unit's issuer, signer and recipients; {} without a unit."""
        if not slug:
            return {}
        with self.database.session() as session:
            unit = get_unit(session, slug)
            if unit is None:
                raise UnitNotFound(slug)
            return unit.prefill()

    def _unit_key(self, slug: str | None) -> UnitKey:
        """The named unit's signing key; SigningUnavailable without one."""
        if not slug:
            raise SigningUnavailable("signing needs a unit with an installed key")
        if self.keys is None or not self.keys.has_key(slug):
            raise SigningUnavailable(f"unit {slug!r} has no signing key installed")
        return self.keys.load(slug)

    def _issue_date(self, date: Any) -> Any:
        """The date as given when complete, else today (a blank day or month is filled)."""
        if date is None or (
            isinstance(date, dict)
            and any(date.get(part) is None for part in ("day", "month", "year"))
        ):
            today = self.today()
            return {"day": today.day, "month": today.month, "year": today.year}
        return date  # complete, or malformed for the schema to report

    def _seal(self, pdf: bytes, rendered: Rendered, key: UnitKey) -> tuple[bytes, str]:
        """Sign the seal field with the unit's key and seal picture; the certificate's name."""
        issuer = rendered.data["issuer"]
        signed = sign_field(
            pdf,
            pkcs12=key.pkcs12,
            passphrase=key.passphrase,
            field=seal_field_name(rendered.data),
            reason=SEAL_REASON,
            location=issuer.get("place") or "",
            tsa_url=self.tsa_url or None,
            seal=key.seal,
        )
        return signed, signer_name(load_signer(key.pkcs12, key.passphrase))

    @staticmethod
    def _entry(
        rendered: Rendered,
        inputs: dict[str, Any],
        series: str,
        actor: str,
        unit: str | None,
        pdf: bytes,
        signed_by: str | None,
    ) -> RegisterEntry:
        """The register row for a rendered, converted (and perhaps sealed) document."""
        data = rendered.data
        subject = markup.plain(data["subject"])
        date = data["date"]
        return RegisterEntry(
            agency_key=series,
            year=date["year"],
            number=data["number"],
            symbol=data.get("symbol") or document_symbol(rendered.doc_type, data),
            doc_type=rendered.doc_type.id,
            agency=data["issuer"]["agency"],
            unit_slug=unit,
            subject=subject,
            search_text=search_key(subject),
            document_date=dt.date(date["year"], date["month"], date["day"]),
            issued_by=actor[:120],
            inputs=inputs,
            file_stem=rendered.ascii_name,
            display_name=rendered.display_name,
            docx=rendered.docx,
            docx_sha256=sha256(rendered.docx),
            pdf=pdf,
            pdf_sha256=sha256(pdf),
            signed=signed_by is not None,
            signed_by=signed_by,
        )
