"""Build a template's context from a validated document: header lines, signer block, body XML."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from service.core import attached, form_parts, page, rules, vn, wordml
from service.core.addressees import kinh_gui_block
from service.core.body import BodyWriter
from service.core.definitions import DocTypeDef
from service.core.document import Document
from service.core.signer import deciding
from service.core.template_builder import LEFT_COL_MM

SECTION_MARK = "_vb_section_"
AGENCY_BODIES = ("ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN")
HEADER_AGENCY_CHARS = 20  # upper-case bold 13 pt characters that fit the header's left column
AGENCY_SIZE, SUBJECT_SIZE = 13, 14
Ending = Callable[[str], str]  # what the last line of text gets: the mark, or `./` completed
END_MARK = "./."


def build_context(document: Document) -> tuple[dict[str, Any], list[str]]:
    """Return the template context and the footnotes' XML for one document."""
    doc_type, symbol = document.doc_type, document.symbol
    issuer, signer, date = document.issuer, document.signer, document.date
    # The header keeps the clerk's line breaks in the agency's names; every sentence reads them
    # on one line.
    typed, data = document.data["issuer"], {**document.data, "issuer": issuer}
    writer = BodyWriter()
    own = own_lines(document)
    marked = data.get("end_mark", True) and not form_parts.ends_text(own, data)
    # Without the mark asked for, a `./` the clerk typed is still made whole.
    body_data = with_end_mark(data, _end if marked else _completed)
    agency = header_agency(typed["agency"])
    context: dict[str, Any] = {
        "data": data,
        "parent_agency": vn.upper_vn(typed.get("parent_agency") or ""),
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
        "authority": vn.upper_vn(authority(doc_type, data)),
        "enacting": doc_type.layout.enacting,
        "legal_bases": Markup(writer.paragraphs(body_data.get("legal_bases", []), "VBBasis")),
        "intro": Markup(writer.paragraphs(body_data["intro"])),
        "body": Markup(writer.blocks(body_data["body"])),
        "closing": Markup(writer.paragraphs(body_data["closing"])),
        "recipients": recipient_lines(data.get("recipients") or [], data.get("archive") or ""),
        "signer_lines": list(document.signer_lines),
        "signer_name": signer.get("name") or "",
        "appendices": Markup(appendices_xml(doc_type, data, symbol, writer.notes)),
    }
    context.update(kinh_gui(data.get("kinh_gui") or []))
    # A telegram lists its addressees one per line even when there is one (Mẫu 1.6).
    context["addressee_lines"] = addressee_lines(data.get("kinh_gui") or [])
    context.update(form_parts.form_context(own, writer, data))
    return context, writer.notes.notes


def header_agency(name: str) -> str:
    """The agency in upper case: broken where the clerk broke it, else after its body's name
    when it would wrap mid-name."""
    upper = vn.upper_vn(name)
    if "\n" in upper:
        return upper
    for body in AGENCY_BODIES:
        rest = upper.removeprefix(body + " ")
        # docxtpl turns the newline into a line break; clerks break here, not where Word would.
        if rest != upper and len(upper) > HEADER_AGENCY_CHARS:
            return f"{body}\n{rest}"
    return upper


def own_lines(document: Document) -> form_parts.FormText | None:
    """The form's own lines, granted by the authority typed or the one the signature implies."""
    data = {**document.data, "issuer": document.issuer}
    return form_parts.form_text(document, data.get("authority") or default_authority(data))


def default_authority(data: dict[str, Any]) -> str:
    """The authority the signature implies (see signer.deciding)."""
    return deciding(data["signer"], data["issuer"]["agency"])


def authority(doc_type: DocTypeDef, data: dict[str, Any]) -> str:
    """The issuing authority as written, else the agency (a council's resolution) or its head."""
    if data.get("authority"):
        return str(data["authority"])
    if doc_type.layout.authority == "agency":
        return str(data["issuer"]["agency"])
    return default_authority(data)


def recipient_lines(recipients: list[str], archive: str) -> list[str]:
    """`- X;` for each recipient and `- Lưu: VT, …` last, ending with a full stop."""
    entries = [_bare(r) for r in recipients if _bare(r)]
    if archive:
        entries.append(f"Lưu: {_bare(archive)}")
    return dash_lines(entries)


def kinh_gui(addressees: list[str]) -> dict[str, Any]:
    """One addressee on the `Kính gửi:` line, several one per line `- …;` ending with `.`."""
    lines = addressee_lines(addressees)
    if len(lines) == 1:
        return {"kinh_gui_single": lines[0].removeprefix("- "), "kinh_gui_list": ""}
    return {"kinh_gui_single": "", "kinh_gui_list": Markup(kinh_gui_block(lines) if lines else "")}


def addressee_lines(addressees: list[str]) -> list[str]:
    """The addressees one per line, `- …;`, the last ending with `.`."""
    return dash_lines([_bare(a) for a in addressees if _bare(a)])


def dash_lines(entries: list[str]) -> list[str]:
    """`- a;`, `- b;` … and the last one `- z.`: the Decree-30 list of addressees."""
    return [f"- {e}{'.' if i == len(entries) - 1 else ';'}" for i, e in enumerate(entries)]


def appendices_xml(
    doc_type: DocTypeDef, data: dict[str, Any], symbol: str, notes: wordml.Footnotes
) -> str:
    """Each attached text, then each appendix, on a new section of its own.

    An appendix: `Phụ lục I`, its title, the `(Kèm theo …)` line, its body.
    """
    out = []
    issuer = data["issuer"]
    short = issuer.get("agency_short") or vn.short_agency(issuer["agency"])
    texts = data.get("attachments") or []
    issued_by = reference_line(doc_type, data, symbol, authority(doc_type, data))
    for index, text in enumerate(texts, 1):
        marked = _end_attached(text, _end if data.get("end_mark", True) else _completed)
        writer = BodyWriter(notes, titled_articles=True)
        out.append(section_start(index))
        out.append(attached.text_xml(marked, issued_by, writer, index))
    reference = reference_line(doc_type, data, symbol, short)
    for number, appendix in enumerate(data.get("appendices") or [], 1):
        writer = BodyWriter(notes, landscape=appendix.get("landscape", False))
        out.append(section_start(len(texts) + number))
        numeral = vn.roman(appendix.get("number") or number)  # a trích sao keeps the original's
        out.append(wordml.paragraph(wordml.run(f"Phụ lục {numeral}"), "VBAppendixNo"))
        out.append(wordml.paragraph(wordml.run(vn.upper_vn(appendix["title"])), "VBAppendixTitle"))
        out.append(wordml.paragraph(wordml.run(reference), "VBAppendixRef"))
        out.append(writer.blocks(appendix["body"]))
    return "".join(out)


def section_start(index: int) -> str:
    """The marker paragraph that ends the previous section; the renderer gives it its properties."""
    return wordml.marker(f"{SECTION_MARK}{index}", 9000 + index)


def section_orientations(data: dict[str, Any]) -> list[bool]:
    """Whether each section after the first is landscape: attached texts, then appendices."""
    texts = [False for _ in data.get("attachments") or []]
    return texts + [a.get("landscape", False) for a in data.get("appendices") or []]


def reference_line(doc_type: DocTypeDef, data: dict[str, Any], symbol: str, issuer: str) -> str:
    """`(Kèm theo Kế hoạch số 05/KH-UBND ngày … của …)`: the document a text goes with."""
    date = data["date"]
    return (
        f"(Kèm theo {doc_type.name} số {vn.number_str(data.get('number'))}/{symbol} "
        f"{vn.date_short(date.get('day'), date.get('month'), date['year'])} của {issuer})"
    )


def _end_attached(text: dict[str, Any], end: Ending) -> dict[str, Any]:
    """The attached text with `./.` after the last line of its last chapter."""
    chapters = text["chapters"]
    body = _mark_last_block(chapters[-1]["body"], end)
    if body is None:
        return text
    return {**text, "chapters": [*chapters[:-1], {**chapters[-1], "body": body}]}


def with_end_mark(data: dict[str, Any], end: Ending) -> dict[str, Any]:
    """Return the data with its last paragraph of the closing (or of the body) ended by `end`."""
    closing = data.get("closing") or []
    if closing:
        return {**data, "closing": [*closing[:-1], end(closing[-1])]}
    body = _mark_last_block(data.get("body") or [], end)
    return data if body is None else {**data, "body": body}


def _mark_last_block(blocks: list[dict[str, Any]], end: Ending) -> list[dict[str, Any]] | None:
    """The blocks with the last line of text ended, down through sections; None for a table."""
    if not blocks:
        return None
    last = blocks[-1]
    kind = last.get("kind")
    if kind == "article" and not last.get("body") and last.get("clauses"):
        clauses = last["clauses"]
        return [*blocks[:-1], {**last, "clauses": [*clauses[:-1], _end_clause(clauses[-1], end)]}]
    if kind in {"paragraph", "bullet"} or (kind == "article" and not last.get("body")):
        return [*blocks[:-1], {**last, "text": end(last["text"])}]
    if kind == "section":
        # Its lead/support/deadline lines print after its blocks; with neither, it prints as
        # a paragraph and its title is the last line.
        lines = [key for key in ("lead", "support", "deadline") if last.get(key)]
        if lines or not last.get("body"):
            key = lines[-1] if lines else "title"
            return [*blocks[:-1], {**last, key: end(last[key])}]
    if kind in {"section", "article"}:
        inner = _mark_last_block(last["body"], end)
        return None if inner is None else [*blocks[:-1], {**last, "body": inner}]
    return None  # a table ends the text; the mark has no line to go on


def _end_clause(clause: dict[str, Any], end: Ending) -> dict[str, Any]:
    """An article's last clause with its last line (its last point, if any) ended."""
    points = clause.get("points") or []
    if points:
        return {**clause, "points": [*points[:-1], end(points[-1])]}
    return {**clause, "text": end(clause["text"])}


def _completed(text: str) -> str:
    """A `./` typed at the end made the decree's `./.`; anything else as typed."""
    stripped = text.rstrip()
    return stripped + "." if stripped.endswith("./") else text


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
