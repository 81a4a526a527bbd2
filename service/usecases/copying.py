"""Copy an issued document (sao y, sao lục, trích sao) into the register under its own number.

The copied text is the issued document re-rendered from the inputs its entry keeps (its number
and date included) through the same templates and converter, so the copy has a DOCX as well
as a PDF, and the copy block follows everything of the original, appendices too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from marshmallow import ValidationError

from service.core import copies, pdf, vn
from service.core.clock import today_in_vietnam
from service.core.copies import KIND_BY_TYPE, KINDS, CopyKind, Part
from service.core.definitions import GroupDef
from service.core.document import Document, Metadata, file_names, signer_lines
from service.core.documents import (
    AuditSink,
    DocumentInvalid,
    DocumentService,
    NoAudit,
    ready_for_signing,
)
from service.core.files import sha256
from service.core.schemas import flatten_errors
from service.usecases.issuing import NumberMovedOn, agency_key
from service.usecases.ports import RegisterQuery, RegisterRecord, RegisterStore, UnitKey
from service.usecases.sealing import Sealer
from service.usecases.units import UnitProfiles

COPY_SERIES = "bản sao"  # every kind of copy shares one series per agency and year
REQUEST_FIELDS = ("signer", "recipients")


class EntryNotFound(LookupError):
    """No register entry with this id is visible to the caller."""


@dataclass(frozen=True)
class CopyRequest:
    """A checked request for a copy: kind, chosen parts (trích sao), signer, recipients."""

    kind: CopyKind
    parts: list[str]
    signer: dict[str, Any]
    recipients: list[str]


@dataclass(frozen=True)
class CopyPlan:
    """A copy as it would be made now: the number it would take (not taken) and its subject."""

    source: RegisterRecord
    request: CopyRequest
    number: int
    symbol: str
    date: dt.date
    subject: str

    @property
    def number_line(self) -> str:
        """`Số: 03/SY-UBND`."""
        return vn.number_line(self.number, self.symbol)


class Copier:
    """Makes copies of register entries; their numbers are never skipped or given twice."""

    def __init__(
        self,
        register: RegisterStore,
        documents: DocumentService,
        units: UnitProfiles,
        today: Callable[[], dt.date] = today_in_vietnam,
        sealer: Sealer | None = None,
    ) -> None:
        self.register = register
        self.documents = documents
        self.units = units
        self.today = today
        self.sealer = sealer or Sealer(None)
        fields = tuple(f for f in documents.catalog.fields if f.name in REQUEST_FIELDS)
        self.schema = documents.schemas.group(GroupDef("copy", "Bản sao", fields))

    def source(self, entry_id: int, units: frozenset[str] | None) -> RegisterRecord:
        """The entry the caller sees, with its inputs; EntryNotFound otherwise."""
        found = self.register.get(entry_id, units)
        if found is None or found.inputs is None:
            raise EntryNotFound(entry_id)
        return found

    def parts(self, entry: RegisterRecord) -> list[Part]:
        """The top-level parts of an entry's document that a trích sao can copy."""
        return copies.parts_of(self._original(entry)[1])

    def kinds(self, entry: RegisterRecord) -> list[CopyKind]:
        """The kinds of copy an entry allows: sao y and trích sao of an original, sao lục of a
        sao y, none of another copy."""
        made = KIND_BY_TYPE.get(entry.doc_type)
        if made is None:
            return [KINDS["SY"], KINDS["TS"]]
        return [KINDS["SL"]] if made.code == "SY" else []

    def copies_of(self, entry_id: int, units: frozenset[str] | None) -> list[RegisterRecord]:
        """The copies made from an entry, in number order."""
        return self.register.in_number_order(RegisterQuery(source_id=entry_id, units=units))

    def defaults(self, entry: RegisterRecord) -> dict[str, Any]:
        """The request a form starts from: the unit's signer (else the original's), no
        recipients beyond the archive."""
        profile = (
            self.units.prefill(entry.unit) if entry.unit and self.units.exists(entry.unit) else {}
        )
        signer = profile.get("signer") or self._original(entry)[1]["signer"]
        return {"signer": dict(signer), "recipients": []}

    def upcoming(self, entry: RegisterRecord, payload: Any) -> CopyPlan:
        """The copy as it would be made now, with the number it would take."""
        request = self.check(entry, payload)
        original = self._loaded(entry)
        last = self.register.last_number(_series(dict(original.issuer)), self.today().year)
        return _plan(entry, request, original, last + 1, self.today())

    def check(self, entry: RegisterRecord, payload: Any) -> CopyRequest:
        """The request checked against the entry; DocumentInvalid with field paths."""
        if not isinstance(payload, dict):
            raise DocumentInvalid({"_schema": ["Yêu cầu sao phải là một đối tượng JSON."]})
        errors: dict[str, list[str]] = {}
        code = payload.get("kind")
        kind = KINDS.get(code) if isinstance(code, str) else None
        if kind is None:
            errors["kind"] = ["Hình thức sao phải là SY (sao y), SL (sao lục) hoặc TS (trích sao)."]
        elif kind not in self.kinds(entry):
            errors["kind"] = [_refusal(kind, entry)]
        parts = self._parts(entry, kind, payload.get("parts"), errors)
        values = {
            **self.defaults(entry),
            **{k: payload[k] for k in REQUEST_FIELDS if payload.get(k) is not None},
        }
        try:
            loaded = self.schema.load(values)
        except ValidationError as exc:
            errors.update(flatten_errors(exc.messages))
            loaded = {}
        if errors or kind is None:
            raise DocumentInvalid(errors)
        return CopyRequest(kind, parts, loaded["signer"], list(loaded.get("recipients") or []))

    def make(
        self, entry: RegisterRecord, payload: Any, *, actor: str, expect: int | None = None,
        sign: bool = False,
    ) -> RegisterRecord:
        """Number, render, convert (seal, with `sign`) and store the copy (numbered `expect`)."""
        request = self.check(entry, payload)
        key = self.sealer.key(entry.unit) if sign else None  # SigningUnavailable before a number
        original, today = self._loaded(entry), self.today()
        # The copy's header breaks the agency's name where the original's does.
        issuer: dict[str, Any] = dict(original.data["issuer"])
        with self.register.issuing(_series(issuer), today.year) as tx:
            if expect is not None and tx.number != expect:
                raise NumberMovedOn(expect, tx.number)
            plan = _plan(entry, request, original, tx.number, today)
            block = copies.copy_block(
                request.kind, issuer, tx.number, _date(today), request.signer, request.recipients
            )
            blocks = [*(entry.inputs or {}).get("copies", []), block]
            document = _copy_document(original, request, blocks, plan)
            # Its render is recorded with the copy's entry (_events), named as the copy.
            rendered = self.documents.render_document(
                document, actor=actor, unit=entry.unit, audit=NoAudit()
            )
            converted = self.documents.to_pdf(rendered)
            signing = replace(
                document,
                signer=request.signer,  # type: ignore[arg-type]
                signer_lines=tuple(signer_lines(request.signer)),  # type: ignore[arg-type]
                signer_field=pdf.field_name(
                    "Chu ky", request.signer.get("name") or request.signer["title"]
                ),
            )
            made = ready_for_signing(signing, converted)
            signed_by = None
            if key is not None:
                made, signed_by = self.sealer.seal(made, signing, key)
            inputs = {
                "kind": request.kind.code,
                "source": entry.id,
                "parts": request.parts,
                "signer": request.signer,
                "recipients": request.recipients,
                "archive": block["archive"],  # the register book counts the archived copy
                "number": tx.number,
                "date": _date(today),
                "doc_type": original.doc_type.id,
                "document": self._original(entry)[1],
                "copies": blocks,
            }
            record = replace(
                _copy_record(plan, document, actor, rendered.docx, made),
                signed=signed_by is not None, signed_by=signed_by,
            )
            events = _events(request.kind, entry, actor, self.sealer, key, signed_by)
            return tx.add_entry(record, inputs, rendered.docx, made, after=events)

    def _original(self, entry: RegisterRecord) -> tuple[str, dict[str, Any]]:
        """The type and inputs of the issued document an entry holds or copies."""
        inputs = entry.inputs or {}
        if entry.doc_type in KIND_BY_TYPE:
            return str(inputs["doc_type"]), dict(inputs["document"])
        return entry.doc_type, dict(inputs)

    def _parts(
        self,
        entry: RegisterRecord,
        kind: CopyKind | None,
        given: Any,
        errors: dict[str, list[str]],
    ) -> list[str]:
        """The chosen parts of a trích sao, as keys of the original's parts."""
        if kind is None or kind.code != "TS":
            if given:
                errors["parts"] = ["Chỉ trích sao mới chọn phần; sao y, sao lục sao toàn văn."]
            return []
        if not isinstance(given, list) or not given:
            errors["parts"] = ["Hãy chọn ít nhất một phần cần trích sao."]
            return []
        known = {p.key: p.title for p in self.parts(entry)}
        listed = "; ".join(f"{k} ({t})" for k, t in known.items())
        chosen = []
        for index, key in enumerate(given):
            text = str(key) if isinstance(key, int | str) and not isinstance(key, bool) else ""
            if text not in known:
                errors[f"parts.{index}"] = [f"Văn bản không có phần “{key}”. Các phần: {listed}."]
            elif text not in chosen:
                chosen.append(text)
        # In the original's order, whatever order they were ticked or sent in.
        return [k for k in known if k in chosen]

    def _loaded(self, entry: RegisterRecord) -> Document:
        """The issued document an entry holds or copies, loaded again from its stored inputs."""
        type_id, original = self._original(entry)
        return self.documents.load(type_id, original)


def _plan(
    entry: RegisterRecord, request: CopyRequest, original: Document, number: int, day: dt.date
) -> CopyPlan:
    """The copy's number, symbol, date and subject."""
    subject = copies.copy_subject(
        request.kind, original.doc_type.name, original.data, original.symbol, original.subject
    )
    symbol = copies.copy_symbol(request.kind, dict(original.issuer))
    return CopyPlan(entry, request, number, symbol, day, subject)


def _copy_document(
    original: Document, request: CopyRequest, blocks: list[dict[str, Any]], plan: CopyPlan
) -> Document:
    """The original (only the chosen parts of a trích sao) with the copy blocks last, named
    and described as the copy."""
    data = original.data
    if request.kind.code == "TS":
        data = copies.extract(data, request.parts)
    document = Document.of(original.doc_type, {**data, "copies": blocks})
    stem, _ = file_names(
        original.doc_type,
        {**data, "number": plan.number, "date": _date(plan.date)},
        plan.symbol,
        "",
    )
    agency = original.issuer["agency"]
    return replace(
        document,
        ascii_name=stem,
        display_name=f"{request.kind.type_name} {plan.symbol} {plan.date.year} - "
        f"{plan.subject[:80].strip()}".replace("/", "-"),
        metadata=Metadata(
            title=plan.subject,
            author=agency,
            subject=plan.subject,
            keywords=[request.kind.type_name, plan.symbol, agency],
        ),
    )


def _copy_record(
    plan: CopyPlan, document: Document, actor: str, docx: bytes, pdf: bytes
) -> RegisterRecord:
    """The copy's own register entry, in the copies' series, naming its source."""
    issuer: dict[str, Any] = dict(document.issuer)
    return RegisterRecord(
        agency_key=_series(issuer),
        year=plan.date.year,
        number=plan.number,
        symbol=plan.symbol,
        doc_type=plan.request.kind.type_id,
        agency=issuer["agency"],
        unit=plan.source.unit,
        subject=plan.subject,
        document_date=plan.date,
        issued_by=actor[:120],
        file_stem=document.ascii_name,
        display_name=document.display_name,
        docx_sha256=sha256(docx),
        pdf_sha256=sha256(pdf),
        signed=False,
        signed_by=None,
        source_id=plan.source.id,
    )


def _series(issuer: dict[str, Any]) -> str:
    """The copies' series of the agency, beside its documents' series."""
    return f"{agency_key(issuer)[:380]} / {COPY_SERIES}"


def _date(day: dt.date) -> dict[str, int]:
    return {"day": day.day, "month": day.month, "year": day.year}


def _refusal(kind: CopyKind, entry: RegisterRecord) -> str:
    """Why this kind of copy cannot be made from this entry, in the clerk's words."""
    made = KIND_BY_TYPE.get(entry.doc_type)
    if kind.code == "SL" and made is None:
        return (
            "Sao lục chỉ làm từ bản sao y; văn bản này là bản gốc: hãy sao y hoặc trích sao, "
            "rồi sao lục từ bản sao y."
        )
    if made is not None and made.code == "SY":
        return "Từ bản sao y chỉ làm được bản sao lục."
    return f"{made.type_name if made else 'Văn bản'} không dùng để sao tiếp."


def _events(
    kind: CopyKind, source: RegisterRecord, actor: str, sealer: Sealer, key: UnitKey | None,
    signed_by: str | None,
) -> Any:
    """What records the copy (and its seal) on the trail, once the entry has its id."""

    def record(entry: RegisterRecord, audit: AuditSink) -> None:
        details = {
            "entry": entry.id,
            "type": kind.type_id,
            "source": source.id,
            "pdf_sha256": entry.pdf_sha256,
        }
        if key is not None:
            sealer.record(audit, entry, key, signed_by, actor=actor, details=details)
        audit.record(
            "render", actor=actor, subject=entry.file_name("docx"), details=details, unit=entry.unit
        )
        audit.record(
            "issue",
            actor=actor,
            subject=f"{entry.number_line} - {entry.agency}",
            details={
                **details,
                "subject": entry.subject,
                "date": str(entry.document_date),
                "copied": source.number_line,
            },
            unit=entry.unit,
        )

    return record
