"""A validated document with the facts every step reads, computed once from its data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from service.core import markup, pdf, vn
from service.core.definitions import DocTypeDef
from service.core.signer import SignerData, signer_lines


class IssuerData(TypedDict):
    """The `issuer` part after validation."""

    parent_agency: str | None
    agency: str
    agency_short: NotRequired[str | None]
    agency_code: str
    unit_code: NotRequired[str | None]
    place: str


class DateData(TypedDict):
    """The `date` part after validation; a blank day or month is written by hand at signing."""

    day: int | None
    month: int | None
    year: int


# The issuer's names whose line breaks a clerk may choose for the header (field type `name`).
HEADER_NAMES = ("parent_agency", "agency")


@dataclass(frozen=True)
class Metadata:
    """What the DOCX properties and the PDF's metadata say of a document."""

    title: str
    author: str
    subject: str
    keywords: list[str]


@dataclass(frozen=True)
class Document:
    """One validated document: its data and what render, PDF, issuing and bulk read from it."""

    doc_type: DocTypeDef
    data: dict[str, Any]  # as loaded: the agency's names with the header's line breaks
    issuer: IssuerData  # its names on one line, as sentences, metadata and file names print them
    signer: SignerData
    date: DateData
    number: int | None
    symbol: str  # KH-UBND, or UBND-VX for an official letter
    subject: str  # without markup
    metadata: Metadata
    signer_lines: tuple[str, ...]
    signer_field: str  # the signer's signature field in the signing-ready PDF
    seal_field: str  # the seal's signature field
    ascii_name: str  # 05-KH-UBND-2023-xa-y-tich
    display_name: str  # Kế hoạch KH-UBND 2023 - …

    @classmethod
    def of(cls, doc_type: DocTypeDef, data: dict[str, Any]) -> Document:
        """Derive every fact once from data that its type's schema has loaded."""
        issuer, signer = one_line(data["issuer"]), data["signer"]
        symbol = data.get("symbol") or document_symbol(doc_type, issuer)
        subject = markup.plain(doc_type.subject_of(data))
        ascii_name, display_name = file_names(doc_type, data, symbol, subject)
        return cls(
            doc_type=doc_type,
            data=data,
            issuer=issuer,
            signer=signer,
            date=data["date"],
            number=data.get("number"),
            symbol=symbol,
            subject=subject,
            metadata=Metadata(
                title=f"{doc_type.name} {subject}",
                author=issuer["agency"],
                subject=subject,
                keywords=[doc_type.name, symbol, issuer["agency"]],
            ),
            signer_lines=tuple(signer_lines(signer)),
            signer_field=pdf.field_name("Chu ky", signer.get("name") or signer["title"]),
            seal_field=pdf.field_name("Dau", issuer["agency"]),
            ascii_name=ascii_name,
            display_name=display_name,
        )

    def numbered(self, number: int, date: DateData | None = None) -> Document:
        """The same document with the number (and date) the register gave it."""
        data = {**self.data, "number": number, "date": date or self.data["date"]}
        return Document.of(self.doc_type, data)

    def filename(self, extension: str, *, ascii_only: bool = True) -> str:
        """`KH-UBND-2023-xa-y-tich.pdf`, or the Vietnamese display name."""
        return f"{self.ascii_name if ascii_only else self.display_name}.{extension}"


def one_line(issuer: IssuerData) -> IssuerData:
    """The issuer with the line breaks a clerk put in its names for the header read as spaces."""
    flat: dict[str, Any] = dict(issuer)
    for key in HEADER_NAMES:
        if isinstance(flat.get(key), str):
            flat[key] = " ".join(flat[key].split())
    return flat  # type: ignore[return-value]


def document_symbol(doc_type: DocTypeDef, issuer: IssuerData) -> str:
    """The symbol after the number: KH-UBND, or UBND-VX for an official letter."""
    unit = issuer.get("unit_code") if doc_type.code is None else None
    return vn.symbol(doc_type.code, issuer["agency_code"], unit)


def file_names(
    doc_type: DocTypeDef, data: dict[str, Any], symbol: str, subject: str
) -> tuple[str, str]:
    """An ASCII file stem (`05-KH-UBND-2023-xa-y-tich`) and a Vietnamese one."""
    issuer = data["issuer"]
    short = issuer.get("agency_short") or vn.short_agency(issuer["agency"])
    place = vn.ascii_slug(short).removeprefix(vn.ascii_slug(issuer["agency_code"]) + "-")
    number = f"{data['number']:02d}-" if data.get("number") else ""
    year = data["date"]["year"]
    code = vn.ascii_slug(symbol).upper()
    ascii_name = "-".join(filter(None, [number + code, str(year), place]))[:120]
    display = f"{doc_type.name} {symbol} {year} - {subject[:80].strip()}".replace("/", "-")
    return ascii_name or "van-ban", display
