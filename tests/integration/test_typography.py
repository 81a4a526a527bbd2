"""Real LibreOffice: titles never end a page, references never break, rules at Decree-30 lengths."""

from __future__ import annotations

import copy
import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pdfplumber
import pikepdf
import pytest

from service.core import page
from service.core.definitions import load_catalog
from service.core.documents import DocumentService
from service.core.markup import REFERENCE
from tests.conftest import docx_text, load_sample, sample_names
from tests.integration.conftest import started_pool

pytestmark = pytest.mark.integration
BASE_PORT = 3700
PT_PER_MM = 72 / 25.4
BODY_LEFT_PT = page.MARGIN_LEFT_MM * PT_PER_MM
SHIFTS = range(8)  # plans whose filler differs, so their page breaks fall in different places
TITLE = re.compile(r"^(?P<label>[IVX]+\.|\d+\.(?:\d+\.)*|[a-z]\)) (?:TIÊU ĐỀ|Tiêu đề)")
INTRO = "Các việc cần làm gồm:"  # a line that introduces a list
FILLER = (
    "Các cơ quan, đơn vị theo chức năng, nhiệm vụ được giao chủ động triển khai thực hiện, "
    "bảo đảm đúng tiến độ và chất lượng; định kỳ báo cáo kết quả về Ủy ban nhân dân xã. "
)


@dataclass(frozen=True)
class Line:
    """One line of a page's text: its words, left edge and top (points from the page top)."""

    text: str
    x0: float
    top: float


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentService]:
    """A DocumentService on a real two-instance pool of its own (ports 3700+)."""
    with started_pool(tmp_path_factory.mktemp("pool"), BASE_PORT, size=2) as pool:
        yield DocumentService(pool)


@pytest.fixture(scope="module")
def sample_pdfs(service: DocumentService) -> dict[str, bytes]:
    """Every sample as a PDF."""
    out = {}
    for name in sample_names():
        payload = load_sample(name)
        out[name] = service.to_pdf(service.render(payload["doc_type"], payload))
    return out


@pytest.fixture(scope="module")
def plan_pdfs(service: DocumentService) -> list[bytes]:
    """The 40-item plan, once for each shift of its filler."""
    return [service.to_pdf(service.render("ke_hoach", forty_item_plan(s))) for s in SHIFTS]


def forty_item_plan(shift: int) -> dict[str, Any]:
    """Five parts × 2 sections × 1.1. × 1.1.1. × a), b) items with `:` lists: 55 titles."""
    chance = random.Random(shift)

    def filler() -> dict[str, Any]:
        return {"kind": "paragraph", "text": FILLER * chance.randint(1, 3)}

    def lettered(k: int) -> dict[str, Any]:
        bullets = [{"kind": "bullet", "text": f"Việc thứ {j} của mục {k};"} for j in (1, 2)]
        body = [filler(), {"kind": "paragraph", "text": INTRO}, *bullets]
        return {"kind": "section", "title": f"Tiêu đề mục chữ {k}", "body": body}

    def level(depth: int, path: str) -> dict[str, Any]:
        if depth == 4:
            return {
                "kind": "section",
                "title": f"Tiêu đề cấp 4 số {path}",
                "numbering": "alpha",
                "body": [filler(), lettered(1), lettered(2)],
            }
        children = [level(depth + 1, f"{path}.{i}") for i in (1, 2)] if depth < 2 else []
        if depth == 2:
            children = [level(3, f"{path}.1")]
        if depth == 3:
            children = [level(4, f"{path}.1")]
        return {
            "kind": "section",
            "title": f"Tiêu đề cấp {depth} số {path}",
            "numbering": "decimal" if depth >= 2 else None,
            "body": [filler(), *children],
        }

    payload = copy.deepcopy(load_sample("seed_000_ke_hoach_y_tich"))
    payload["intro"] = [FILLER * (1 + shift % 3) + "x" * (shift * 7)]
    payload["body"] = [level(1, str(i)) for i in (1, 2, 3, 4, 5)]
    for part in payload["body"]:
        part.pop("numbering")
    return payload


def lines_of(pdf: bytes) -> list[list[Line]]:
    """Each page's lines of text, top to bottom; the page number line left out."""
    pages = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for sheet in document.pages:
            lines = [
                Line(" ".join(w["text"] for w in words), words[0]["x0"], words[0]["top"])
                for words in _rows(sheet.extract_words())
            ]
            pages.append([line for line in lines if not line.text.isdigit()])
    return pages


def test_forty_item_plan_has_every_title_level(service: DocumentService) -> None:
    rendered = service.render("ke_hoach", forty_item_plan(0))
    titles = [
        m["label"] for line in docx_text(rendered.docx).splitlines() if (m := TITLE.match(line))
    ]
    assert len(titles) >= 40
    assert {_level(label) for label in titles} == {"I", "1", "1.1", "1.1.1", "a"}


def test_no_page_of_the_plans_ends_with_a_title(plan_pdfs: list[bytes]) -> None:
    levels_first_on_a_page: set[str] = set()
    for pdf in plan_pdfs:
        pages = lines_of(pdf)
        assert len(pages) >= 5
        for number, lines in enumerate(pages[:-1], 1):
            last = lines[-1].text
            assert not TITLE.match(last), f"page {number} ends with the title {last!r}"
            assert not last.endswith(":"), f"page {number} ends with {last!r}, which opens a list"
        for lines in pages[1:]:
            first = lines[0].text
            if found := TITLE.match(first):
                levels_first_on_a_page.add(_level(found["label"]))
            elif first == INTRO:
                levels_first_on_a_page.add(":")
    # The breaks fell before a title of every level, which keep-with-next carried over.
    assert levels_first_on_a_page == {"I", "1", "1.1", "1.1.1", "a", ":"}


def test_no_line_ends_inside_a_reference(sample_pdfs, service: DocumentService) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    # Each reference is pushed one character further along the line than the one before.
    payload["intro"] = [
        f"Căn cứ Quyết định {'x' * n} số 34/2014/QĐ-TTg và Kế hoạch số 965/KH-UBND ngày "
        "03/01/2019 của Ủy ban nhân dân huyện."
        for n in range(40)
    ]
    shifted = service.to_pdf(service.render("ke_hoach", payload))
    starts = 0
    for name, pdf in {**sample_pdfs, "shifted": shifted}.items():
        lines = [line.text for lines in lines_of(pdf) for line in lines]
        for line, following in zip(lines, lines[1:], strict=False):
            tail = line.rsplit(" ", 1)[-1]
            whole = REFERENCE.match(tail + following.split(" ", 1)[0])
            # A line ending at a reference's hyphen or slash that the next line continues.
            broken = tail[-1:] in {"-", "/"} and whole and whole.end() > len(tail)
            assert not broken, f"{name}: {line!r} / {following!r}"
        starts += sum(bool(REFERENCE.match(line)) for line in lines)
    text = " ".join(line.text for lines in lines_of(shifted) for line in lines)
    # The text reads and searches as typed: an ASCII hyphen, every reference whole.
    assert text.count("34/2014/QĐ-TTg") == 40 and text.count("965/KH-UBND") == 40
    assert starts >= 5  # lines broke before references, never inside them


def has_subject_line(type_id: str) -> bool:
    """Whether the type's layout prints a subject under its title (a letter has V/v instead)."""
    layout = load_catalog().get(type_id).layout
    return layout.builder != "letter" and layout.subject


@pytest.mark.parametrize("name", sample_names())
def test_header_rules_at_decree_lengths(sample_pdfs, name: str) -> None:
    with pdfplumber.open(io.BytesIO(sample_pdfs[name])) as document:
        sheet = document.pages[0]
        words = sheet.extract_words(extra_attrs=["fontname"])
        drawn = {(round(r["x0"], 1), round(r["x1"], 1), round(r["top"], 1)) for r in sheet.lines}
        rules = sorted(drawn, key=lambda r: r[2])
        middle = sheet.width / 2
    motto = _line_of(words, "Độc")
    motto_rule = _rule_under([r for r in rules if r[0] > middle], motto)
    assert 0.97 <= _width(motto_rule) / _width(motto) <= 1.03
    assert abs(_centre(motto_rule) - _centre(motto)) < 1.0
    agency_rule = next(r for r in rules if r[1] < middle)
    agency = [
        w
        for w in words
        if "Bold" in w["fontname"] and w["x1"] < middle and w["top"] < agency_rule[2]
    ]
    name_line = max(_rows(agency), key=_width)
    assert 1 / 3 <= _width(agency_rule) / _width(name_line) <= 1 / 2
    assert abs(_centre(agency_rule) - _centre(name_line)) < 1.0
    if has_subject_line(load_sample(name)["doc_type"]):
        title_top = _line_of(words, "KẾ", "BÁO", "TỜ", "QUYẾT", "NGHỊ", "CÔNG", "GIẤY", "BIÊN")[0][
            "top"
        ]
        # The first line under the title; a table's borders may follow lower on the page.
        subject_rule = next(r for r in rules if r[2] > title_top)
        subject = [
            w
            for w in words
            if "Bold" in w["fontname"] and title_top + 5 < w["top"] < subject_rule[2]
        ]
        widest = max(_rows(subject), key=_width)
        assert 1 / 3 <= _width(subject_rule) / _width(widest) <= 1 / 2
        assert abs(_centre(subject_rule) - _centre(widest)) < 1.0


@pytest.mark.parametrize("name", sample_names())
def test_noi_nhan_is_flush_with_the_body(sample_pdfs, name: str) -> None:
    pages = lines_of(sample_pdfs[name])
    (head,) = [line for lines in pages for line in lines if line.text.startswith("Nơi nhận:")]
    body_edge = min(line.x0 for lines in pages for line in lines if line.top > 200)
    assert abs(head.x0 - BODY_LEFT_PT) < 0.6 and abs(head.x0 - body_edge) < 0.6


@pytest.mark.parametrize("name", ["seed_000_ke_hoach_y_tich", "cong_van_de_nghi_ho_tro"])
def test_pdf_keywords_name_type_symbol_and_agency(sample_pdfs, name: str) -> None:
    payload = load_sample(name)
    with pikepdf.open(io.BytesIO(sample_pdfs[name])) as document:
        keywords = str(document.docinfo["/Keywords"]).replace("\xa0", " ").split(", ")
    expected = {
        "seed_000_ke_hoach_y_tich": ["Kế hoạch", "KH-UBND"],
        "cong_van_de_nghi_ho_tro": ["Công văn", "UBND-VHXH"],
    }[name]
    assert keywords == [*expected, payload["issuer"]["agency"]]


def _level(label: str) -> str:
    """`I`, `1`, `1.1`, `1.1.1` or `a`: the level a title's label stands for."""
    if label.endswith(")"):
        return "a"
    if label[0] in "IVX":
        return "I"
    return ".".join("1" * label.count("."))


def _rows(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words grouped into lines: a new line where the top moves by more than 2 pt."""
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if rows and abs(word["top"] - rows[-1][0]["top"]) <= 2:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _line_of(words: list[dict[str, Any]], *first: str) -> list[dict[str, Any]]:
    """The words sharing a line with the first word that reads one of `first`."""
    start = next(w for w in words if w["text"] in first)
    return [w for w in words if abs(w["top"] - start["top"]) < 2 and w["x0"] >= start["x0"] - 1]


def _rule_under(rules: list[tuple[float, float, float]], line: list[dict[str, Any]]) -> Any:
    bottom = max(w["bottom"] for w in line)
    return min((r for r in rules if r[2] > bottom), key=lambda r: r[2] - bottom)


def _width(item: Any) -> float:
    if isinstance(item, tuple):
        return item[1] - item[0]
    return max(w["x1"] for w in item) - min(w["x0"] for w in item)


def _centre(item: Any) -> float:
    if isinstance(item, tuple):
        return (item[0] + item[1]) / 2
    return (max(w["x1"] for w in item) + min(w["x0"] for w in item)) / 2
