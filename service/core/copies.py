"""Copies of an issued document (Decree 30, Articles 25-27): sao y, sao lục, trích sao.

A copy prints the copied text as issued, then a full-width rule and the copy block: the copying
agency, the copy's own number (one series per agency and year for every kind of copy), the
kind (`SAO Y`), place and date, the signer and the copy's recipients. A trích sao prints only
the parts the clerk chose, each under its number in the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.core import markup, vn
from service.core.context import header_agency, recipient_lines
from service.core.document import signer_lines

COPY_ARCHIVE = "VT"
PART_TITLE_CHARS = 90


@dataclass(frozen=True)
class CopyKind:
    """One kind of copy: its code in the symbol, its mark, and how the register names it."""

    code: str  # SY, in the symbol SY-UBND
    verb: str  # Sao y, opening the copy's subject
    mark: str  # SAO Y, printed above the copy's date
    type_id: str  # the register's type of the copy's entry
    type_name: str  # Bản sao y, as the register shows the type


KINDS = {
    kind.code: kind
    for kind in (
        CopyKind("SY", "Sao y", "SAO Y", "ban_sao_y", "Bản sao y"),
        CopyKind("SL", "Sao lục", "SAO LỤC", "ban_sao_luc", "Bản sao lục"),
        CopyKind("TS", "Trích sao", "TRÍCH SAO", "ban_trich_sao", "Bản trích sao"),
    )
}
KIND_BY_TYPE = {kind.type_id: kind for kind in KINDS.values()}
TYPE_NAMES = {kind.type_id: kind.type_name for kind in KINDS.values()}


@dataclass(frozen=True)
class Part:
    """A top-level part of a document's content a trích sao may copy: `2`, `II. Nội dung`."""

    key: str
    title: str


def parts_of(data: dict[str, Any]) -> list[Part]:
    """The top-level blocks of the body (by position, `1`…) and the appendices (`PL1`…)."""
    parts = []
    for key, block, label in _numbered_blocks(data.get("body") or []):
        parts.append(Part(key, _clip(f"{label} {_block_title(block)}".strip())))
    for index, appendix in enumerate(data.get("appendices") or [], 1):
        parts.append(Part(f"PL{index}", _clip(f"Phụ lục {vn.roman(index)}: {appendix['title']}")))
    return parts


def extract(data: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The document's data with only the chosen parts, each numbered as in the original.

    The header, title, addressees and signer stay; the opening (legal bases, introduction)
    and the closing paragraphs are not among the chosen parts and are left out.
    """
    chosen = set(keys)
    body = []
    for key, block, label in _numbered_blocks(data.get("body") or []):
        if key in chosen:
            body.append(_numbered(block, label))
    appendices = [
        {**appendix, "number": index}
        for index, appendix in enumerate(data.get("appendices") or [], 1)
        if f"PL{index}" in chosen
    ]
    return {
        **data,
        "legal_bases": [],
        "intro": [],
        "closing": [],
        "body": body,
        "appendices": appendices,
    }


def copy_block(
    kind: CopyKind,
    issuer: dict[str, Any],
    number: int,
    date: dict[str, int],
    signer: dict[str, Any],
    recipients: list[str],
    archive: str = COPY_ARCHIVE,
) -> dict[str, Any]:
    """What one copy block prints, as plain JSON kept with the copy's register entry."""
    return {
        "kind": kind.code,
        "issuer": {
            name: issuer.get(name) for name in ("parent_agency", "agency", "place", "agency_code")
        },
        "number": number,
        "symbol": copy_symbol(kind, issuer),
        "date": dict(date),
        "signer": dict(signer),
        "recipients": list(recipients),
        "archive": archive,
    }


def copy_symbol(kind: CopyKind, issuer: dict[str, Any]) -> str:
    """`SY-UBND`: the kind's code and the copying agency's code."""
    return vn.symbol(kind.code, issuer["agency_code"])


def copy_context(data: dict[str, Any]) -> dict[str, Any]:
    """The template's `copies`: each block's lines, oldest copy first (a sao lục's last)."""
    blocks = []
    for block in data.get("copies") or []:
        issuer, date, signer = block["issuer"], block["date"], block["signer"]
        blocks.append(
            {
                "parent_agency": vn.upper_vn(issuer.get("parent_agency") or ""),
                "agency": header_agency(issuer["agency"]),
                "number_line": vn.number_line(block["number"], block["symbol"]),
                "mark": KINDS[block["kind"]].mark,
                "date_line": vn.date_line(
                    issuer["place"], date["day"], date["month"], date["year"]
                ),
                "signer_lines": signer_lines(signer),  # type: ignore[arg-type]
                "signer_name": signer.get("name") or "",
                "recipients": recipient_lines(block["recipients"], block["archive"]),
            }
        )
    return {"copies": blocks}


def copy_subject(
    kind: CopyKind, type_name: str, data: dict[str, Any], symbol: str, subject: str
) -> str:
    """`Sao y Kế hoạch số 05/KH-UBND ngày 05/02/2023 của UBND xã Y Tịch: <subject>`.

    `subject` is the original's as plain text: typed, or made by a type that prints no
    subject line (a giấy giới thiệu, a giấy nghỉ phép).
    """
    issuer, date = data["issuer"], data["date"]
    short = issuer.get("agency_short") or vn.short_agency(issuer["agency"])
    day = f"{vn.day_str(date['day'])}/{vn.month_str(date['month'])}/{date['year']}"
    head = (
        f"{kind.verb} {type_name} số {vn.number_str(data['number'])}/{symbol} ngày {day} "
        f"của {short}"
    )
    return f"{head}: {subject}" if subject else head


def _numbered_blocks(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], str]]:
    """Each top-level block with its key and the label it prints under (`II.`, `Điều 3.`)."""
    out, sections, articles = [], 0, 0
    for position, block in enumerate(blocks, 1):
        label = ""
        if block["kind"] == "section":
            sections = _counter(block.get("number"), sections)
            label = block.get("number") or f"{vn.roman(sections)}."
        elif block["kind"] == "article":
            articles += 1
            label = f"Điều {articles}."
        out.append((str(position), block, label))
    return out


def _numbered(block: dict[str, Any], label: str) -> dict[str, Any]:
    """The block with the number it printed under, so that leaving others out keeps it."""
    if block["kind"] == "section":
        return {**block, "number": label}
    if block["kind"] == "article":
        return {**block, "number": int(label.removeprefix("Điều ").rstrip("."))}
    return block


def _counter(override: str | None, counter: int) -> int:
    """The section counter after this section, as the body writer counts it."""
    digits = "".join(c if c.isdigit() else " " for c in override or "").split()
    return int(digits[-1]) if digits else counter + 1


def _block_title(block: dict[str, Any]) -> str:
    """A block's words as the form lists it."""
    kind = block["kind"]
    if kind == "section":
        return vn.upper_vn(markup.plain(markup.strip_label(block["title"])))
    if kind in {"paragraph", "bullet", "article"}:
        return markup.plain(block["text"])
    return {"assignments": "Bảng phân công nhiệm vụ", "indicators": "Bảng chỉ tiêu"}.get(kind, kind)


def _clip(text: str) -> str:
    """At most PART_TITLE_CHARS characters, cut at a word with an ellipsis."""
    if len(text) <= PART_TITLE_CHARS:
        return text
    return text[:PART_TITLE_CHARS].rsplit(" ", 1)[0] + " …"
