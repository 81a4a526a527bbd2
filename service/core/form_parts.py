"""The labelled lines of the Appendix III forms (Mẫu 1.7 to 1.10).

Each form prints its own lines (`Label: value`) as body paragraphs around the shared intro,
body and closing: `form_head` after the title, `form_tail` before the signature. When a form
has a tail, its last line ends the text and carries `./.`; a form with a head alone carries it
on its last line when nothing follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from service.core import markup, vn, wordml

if TYPE_CHECKING:
    from service.core.body import BodyWriter
    from service.core.document import Document

END_MARK = "./."
# The sentences Appendix III's forms print in their own words, data after them.
MEETING_END = "Cuộc họp kết thúc vào"
INTRODUCTION_REQUEST = ("Đề nghị Quý cơ quan tạo điều kiện để ông (bà) có tên ở trên hoàn thành "
                        "nhiệm vụ.")
VALID_UNTIL = "Giấy này có giá trị đến hết ngày"
LEAVE_REQUEST = "Xét Đơn đề nghị nghỉ phép"
LEAVE_GRANTED = "Nghỉ phép năm"
REPEATED = "Mẫu văn bản đã tự in dòng “{opening} …”; hãy bỏ đoạn này để không in hai lần."


@dataclass(frozen=True)
class Line:
    """One body paragraph: `Label: value`, the label alone (`…cấp cho:`), or the value alone."""

    value: str = ""
    label: str = ""
    rich: bool = False  # the value holds **bold**, *italic* and footnotes
    fixed: str = ""  # the form's own words the value starts with (a sentence it always prints)

    @property
    def opening(self) -> str:
        """What a paragraph repeating this line starts with: `Label:` or the fixed words."""
        return f"{self.label}:" if self.label else self.fixed

    def ended(self) -> Line:
        """The line with `./.` after its value, replacing the stops a clerk typed there."""
        value = re.sub(r"[\s.;,/]+$", "", self.value) + END_MARK
        return Line(value, self.label, self.rich, self.fixed)


@dataclass(frozen=True)
class FormText:
    """A form's own lines before the body and after it, and its extra template values."""

    head: list[Line]
    tail: list[Line]
    extra: dict[str, Any]


def labelled_xml(line: Line, writer: BodyWriter) -> str:
    """`Label: value` as a body paragraph, label and value regular, as Appendix III prints them."""
    lead = f"{line.label}:" if line.label else ""
    if lead and line.value:
        lead += " "
    pieces = markup.parse(line.value) if line.rich else [markup.Span(line.value)]
    content = (wordml.run(lead) if lead else "") + wordml.runs(pieces, writer.notes)
    # A label alone introduces the lines under it and stays on their page.
    props = [wordml.keep_next()] if line.label and not line.value else []
    return wordml.paragraph(content, "VBBody", props=props)


def labelled_list(label: str, items: list[str]) -> list[Line]:
    """One item on the label's line; several under it, `- a;` … `- z.` as addressees are listed."""
    entries = [re.sub(r"^\s*[-–]\s*|[\s;.,]+$", "", item) for item in items]
    entries = [e for e in entries if e]
    if len(entries) == 1:
        return [Line(entries[0], label)]
    last = len(entries) - 1
    return [Line(label=label)] + [
        Line(f"- {e}{'.' if i == last else ';'}") for i, e in enumerate(entries)
    ]


def fixed_line(words: str, rest: str = "") -> Line:
    """A sentence in the form's own words, followed by the document's data."""
    return Line(f"{words} {rest}" if rest else words, fixed=words.rstrip("."))


def moment(value: dict[str, Any]) -> str:
    """`07 giờ 30 phút, ngày 10 tháng 3 năm 2023`."""
    date = vn.date_short(value["day"], value["month"], value["year"])
    return f"{value['hour']:02d} giờ {value.get('minute') or 0:02d} phút, {date}"


def numeric_date(value: dict[str, Any]) -> str:
    """`31/03/2023`; a blank day or month is left for the pen."""
    month = vn.BLANK if value.get("month") is None else f"{value['month']:02d}"
    return f"{vn.day_str(value.get('day'))}/{month}/{value['year']}"


def long_date(value: dict[str, Any]) -> str:
    """`ngày 13 tháng 3 năm 2023`."""
    return vn.date_short(value.get("day"), value.get("month"), value["year"])


def invitation(document: Document, authority: str) -> FormText:
    """Mẫu 1.7: who is invited, to what, when, where, who chairs, what to bring."""
    data = document.data
    head = [
        *labelled_list(f"{document.issuer['agency']} trân trọng kính mời", data["invitees"]),
        Line(data["event"], "Tới dự", rich=True),
        Line(moment(data["time"]), "Thời gian"),
        Line(data["venue"], "Địa điểm"),
    ]
    if data.get("chair"):
        head.append(Line(data["chair"], "Chủ trì"))
    head += [Line(text, rich=True) for text in data.get("requests") or []]
    return FormText(head, [], {})


def introduction(document: Document, authority: str) -> FormText:
    """Mẫu 1.8: who is introduced, to whom, about what, and until when the paper holds."""
    data = document.data
    head = [
        Line(label=f"{document.issuer['agency']} trân trọng giới thiệu"),
        Line(data["person"], "Ông (bà)"),
        *([Line(data["position"], "Chức vụ")] if data.get("position") else []),
        Line(data["sent_to"], "Được cử đến"),
        Line(data["purpose"], "Về việc"),
    ]
    tail = [fixed_line(INTRODUCTION_REQUEST),
            fixed_line(VALID_UNTIL, numeric_date(data["valid_until"]))]
    return FormText(head, tail, {})


def leave(document: Document, authority: str) -> FormText:
    """Mẫu 1.10: the request, who grants leave to whom, how long, from when, where."""
    data = document.data
    head = [
        fixed_line(LEAVE_REQUEST,
                   f"{long_date(data['request_date'])} của ông (bà) {data['employee']},"),
        Line(label=f"{authority} cấp cho"),
        Line(data["employee"], "Ông (bà)"),
        Line(data["position"], "Chức vụ"),
        Line(data["workplace"], "Đơn vị công tác"),
    ]
    tail = [
        fixed_line(LEAVE_GRANTED, f"{data['leave_year']} trong thời gian {data['days']:02d} ngày, "
                   f"kể từ {long_date(data['start'])} đến hết {long_date(data['end'])}"),
        Line(data["leave_place"], "Tại"),
    ]
    return FormText(head, tail, {})


def minutes(document: Document, authority: str) -> FormText:
    """Mẫu 1.9: when, where, who, chair and secretary, the proceedings, when it ended."""
    data = document.data
    secretary = data["secretary"]
    recorder = " - ".join(filter(None, [secretary["name"], secretary.get("role")]))
    head = [
        Line(moment(data["start_time"]), "Thời gian bắt đầu"),
        Line(data["venue"], "Địa điểm"),
        *labelled_list("Thành phần tham dự", data["attendees"]),
        Line(data.get("chair") or document.signer.get("name") or "", "Chủ trì (chủ tọa)"),
        Line(recorder, "Thư ký (người ghi biên bản)"),
        Line(label="Nội dung (theo diễn biến cuộc họp/hội nghị/hội thảo)"),
    ]
    tail = [fixed_line(MEETING_END, moment(data["end_time"]))]
    extra = {
        "secretary_lines": [vn.upper_vn(secretary.get("title") or "Thư ký")],
        "secretary_name": secretary["name"],
    }
    return FormText(head, tail, extra)


# By name: a layout of forms/_layouts.yaml names its form's lines with `lines:`.
LINES: dict[str, Callable[[Document, str], FormText]] = {
    "invitation": invitation,
    "introduction": introduction,
    "leave": leave,
    "minutes": minutes,
}


def form_text(document: Document, authority: str) -> FormText | None:
    """The form's own lines, or None for a layout that has none."""
    name = document.doc_type.layout.lines
    return LINES[name](document, authority) if name else None


def ends_text(text: FormText | None, data: dict[str, Any]) -> bool:
    """Whether the form's own lines carry `./.` instead of the body or closing."""
    if text is None or not data.get("end_mark", True):
        return False
    return bool(text.tail) or not (data.get("body") or data.get("closing"))


def form_context(text: FormText | None, writer: BodyWriter, data: dict[str, Any]) -> dict[str, Any]:
    """`form_head`, `form_tail` and the form's extra values; empty for the other types."""
    if text is None:
        return {"form_head": "", "form_tail": ""}
    head, tail = list(text.head), list(text.tail)
    if ends_text(text, data):
        last = tail if tail else head
        last[-1] = last[-1].ended()
    return {
        "form_head": Markup("".join(labelled_xml(line, writer) for line in head)),
        "form_tail": Markup("".join(labelled_xml(line, writer) for line in tail)),
        **text.extra,
    }


def repeated_lines(document: Document, text: FormText | None) -> dict[str, list[str]]:
    """The intro, body and closing paragraphs that repeat a line of the form's, by path."""
    if text is None:
        return {}
    openings = [line.opening for line in (*text.head, *text.tail) if line.opening]
    problems: dict[str, list[str]] = {}
    for path, paragraph in _paragraphs(document.data):
        said = _comparable(paragraph)
        found = next((o for o in openings if said.startswith(_comparable(o))), None)
        if found:
            problems[path] = [REPEATED.format(opening=found)]
    return problems


def _paragraphs(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every paragraph of the intro, body (sections included) and closing, with its path."""
    found = [(f"{key}.{i}", text) for key in ("intro", "closing")
             for i, text in enumerate(data.get(key) or [])]

    def walk(blocks: list[dict[str, Any]], path: str) -> None:
        for i, block in enumerate(blocks):
            if "text" in block and block.get("kind") in ("paragraph", "bullet"):
                found.append((f"{path}.{i}.text", block["text"]))
            walk(block.get("body") or [], f"{path}.{i}.body")

    walk(data.get("body") or [], "body")
    return found


def _comparable(text: str) -> str:
    """Plain text folded for comparison: no markup, leading dash, case or extra spaces."""
    return " ".join(markup.plain(text).lstrip("-– ").split()).casefold()
