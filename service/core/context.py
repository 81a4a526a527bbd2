"""Build a template's context from a validated document: header lines, signer block, body XML."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from service.core import page, rules, vn, wordml
from service.core.body import BodyWriter
from service.core.definitions import DocTypeDef
from service.core.document import Document
from service.core.template_builder import LEFT_COL_MM

SECTION_MARK = "_vb_section_"
AGENCY_BODIES = ("ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN")
HEADER_AGENCY_CHARS = 20  # upper-case bold 13 pt characters that fit the header's left column
AGENCY_SIZE, SUBJECT_SIZE = 13, 14
END_MARK = "./."


def build_context(document: Document) -> tuple[dict[str, Any], list[str]]:
    """Return the template context and the footnotes' XML for one document."""
    doc_type, data, symbol = document.doc_type, document.data, document.symbol
    issuer, signer, date = document.issuer, document.signer, document.date
    writer = BodyWriter()
    body_data = with_end_mark(data) if data.get("end_mark", True) else data
    agency = header_agency(issuer["agency"])
    context: dict[str, Any] = {
        "data": data,
        "parent_agency": vn.upper_vn(issuer.get("parent_agency") or ""),
        "agency": agency,
        "agency_rule": Markup(
            rules.name_rule(agency, AGENCY_SIZE, LEFT_COL_MM, cell_margin_mm=rules.CELL_MARGIN_MM)
        ),
        "subject_rule": Markup(
            # 4 pt clear of the subject line's descenders.
            rules.name_rule(document.subject, SUBJECT_SIZE, page.text_width_mm(False), before_pt=4)
        ),
        "number_line": vn.number_line(data.get("number"), symbol),
        "symbol": symbol,
        "date_line": vn.date_line(
            issuer["place"], date.get("day"), date.get("month"), date["year"]
        ),
        "urgency": data.get("urgency") or "",
        "type_name": vn.upper_vn(doc_type.name),
        "subject": document.subject,
        "vv_line": "V/v " + document.subject,
        "authority": vn.upper_vn(data.get("authority") or default_authority(data)),
        "legal_bases": Markup(writer.paragraphs(body_data["legal_bases"], "VBBasis")),
        "intro": Markup(writer.paragraphs(body_data["intro"])),
        "body": Markup(writer.blocks(body_data["body"])),
        "closing": Markup(writer.paragraphs(body_data["closing"])),
        "recipients": recipient_lines(data.get("recipients") or [], data.get("archive") or ""),
        "signer_lines": list(document.signer_lines),
        "signer_name": signer.get("name") or "",
        "appendices": Markup(appendices_xml(doc_type, data, symbol, writer.notes)),
    }
    context.update(kinh_gui(data.get("kinh_gui") or []))
    return context, writer.notes.notes


def header_agency(name: str) -> str:
    """The agency in upper case, broken after its body's name when it would wrap mid-name."""
    upper = vn.upper_vn(name)
    for body in AGENCY_BODIES:
        rest = upper.removeprefix(body + " ")
        # docxtpl turns the newline into a line break; clerks break here, not where Word would.
        if rest != upper and len(upper) > HEADER_AGENCY_CHARS:
            return f"{body}\n{rest}"
    return upper


def default_authority(data: dict[str, Any]) -> str:
    """`Chủ tịch Ủy ban nhân dân xã …`: the head's title and the agency, for decisions."""
    signer = data["signer"]
    head = signer.get("head_title") if signer.get("mode") in {"KT", "TL", "TUQ"} else None
    return f"{head or signer['title']} {data['issuer']['agency']}"


def recipient_lines(recipients: list[str], archive: str) -> list[str]:
    """`- X;` for each recipient and `- Lưu: VT, …` last, ending with a full stop."""
    entries = [_bare(r) for r in recipients if _bare(r)]
    if archive:
        entries.append(f"Lưu: {_bare(archive)}")
    return dash_lines(entries)


def kinh_gui(addressees: list[str]) -> dict[str, Any]:
    """One addressee on the `Kính gửi:` line, several one per line `- …;` ending with `.`."""
    names = [_bare(a) for a in addressees if _bare(a)]
    if len(names) == 1:
        return {"kinh_gui_single": names[0] + ".", "kinh_gui_list": []}
    return {"kinh_gui_single": "", "kinh_gui_list": dash_lines(names)}


def dash_lines(entries: list[str]) -> list[str]:
    """`- a;`, `- b;` … and the last one `- z.`: the Decree-30 list of addressees."""
    return [f"- {e}{'.' if i == len(entries) - 1 else ';'}" for i, e in enumerate(entries)]


def appendices_xml(
    doc_type: DocTypeDef, data: dict[str, Any], symbol: str, notes: wordml.Footnotes
) -> str:
    """Each appendix on a new section: `Phụ lục I`, its title, the `(Kèm theo …)` line, body."""
    out = []
    issuer, date = data["issuer"], data["date"]
    short = issuer.get("agency_short") or vn.short_agency(issuer["agency"])
    number = vn.number_str(data.get("number"))
    reference = (
        f"(Kèm theo {doc_type.name} số {number}/{symbol} "
        f"{vn.date_short(date.get('day'), date.get('month'), date['year'])} của {short})"
    )
    for index, appendix in enumerate(data.get("appendices") or [], 1):
        writer = BodyWriter(notes, landscape=appendix.get("landscape", False))
        # The marker paragraph ends the previous section; the renderer gives it its properties.
        out.append(
            f'<w:p><w:bookmarkStart w:id="{9000 + index}" w:name="{SECTION_MARK}{index}"/>'
            f'<w:bookmarkEnd w:id="{9000 + index}"/></w:p>'
        )
        numeral = vn.roman(appendix.get("number") or index)  # a trích sao keeps the original's
        out.append(wordml.paragraph(wordml.run(f"Phụ lục {numeral}"), "VBAppendixNo"))
        out.append(wordml.paragraph(wordml.run(vn.upper_vn(appendix["title"])), "VBAppendixTitle"))
        out.append(wordml.paragraph(wordml.run(reference), "VBAppendixRef"))
        out.append(writer.blocks(appendix["body"]))
    return "".join(out)


def with_end_mark(data: dict[str, Any]) -> dict[str, Any]:
    """Return the data with `./.` after the last paragraph of the closing (or of the body)."""
    closing = data.get("closing") or []
    if closing:
        return {**data, "closing": [*closing[:-1], _end(closing[-1])]}
    body = _mark_last_block(data.get("body") or [])
    return data if body is None else {**data, "body": body}


def _mark_last_block(blocks: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The blocks with `./.` on the last line of text, down through sections; None for a table."""
    if not blocks:
        return None
    last = blocks[-1]
    kind = last.get("kind")
    if kind in {"paragraph", "bullet"} or (kind == "article" and not last.get("body")):
        return [*blocks[:-1], {**last, "text": _end(last["text"])}]
    if kind == "section":
        # Its lead/support/deadline lines print after its blocks; with neither, it prints as
        # a paragraph and its title is the last line.
        lines = [key for key in ("lead", "support", "deadline") if last.get(key)]
        if lines or not last.get("body"):
            key = lines[-1] if lines else "title"
            return [*blocks[:-1], {**last, key: _end(last[key])}]
    if kind in {"section", "article"}:
        inner = _mark_last_block(last["body"])
        return None if inner is None else [*blocks[:-1], {**last, "body": inner}]
    return None  # a table ends the text; the mark has no line to go on


def _end(text: str) -> str:
    stripped = text.rstrip()
    if stripped.endswith(END_MARK):
        return stripped
    if stripped.endswith("./"):
        return stripped + "."
    return stripped + ("/." if stripped.endswith(".") else END_MARK)


def _bare(text: str) -> str:
    """Strip a leading dash and trailing `;`/`.` that clerks type out of habit."""
    text = re.sub(r"^\s*[-–]\s*", "", text)
    return re.sub(r"[\s;.,]+$", "", text)
