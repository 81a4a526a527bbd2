"""Real LibreOffice: the Appendix III forms' PDFs read in order, sign side by side, embed fonts."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest

from service.core.documents import DocumentService
from tests.conftest import load_sample, normalise
from tests.form_texts import HEADER, SAMPLES, TEXTS
from tests.integration.conftest import started_pool
from tests.integration.test_conversion_output import embedded_fonts
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
BASE_PORT = 4200  # this module's converter ports (4200-4299)
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>')


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, bytes]]:
    """Each form's sample as a PDF, from one real instance."""
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=BASE_PORT) as pool:
        service = DocumentService(pool)
        out = {}
        for type_id, name in SAMPLES.items():
            out[type_id] = service.to_pdf(service.render(type_id, load_sample(name)))
        yield out


def words(data: bytes) -> list[tuple[int, float, float, str]]:
    """(page, x, y, word) of every word, as poppler lays them out."""
    command = ["pdftotext", "-bbox", "-enc", "UTF-8", "-", "-"]
    done = subprocess.run(command, input=data, capture_output=True, check=True)
    pages = done.stdout.decode("utf-8").split("<page ")[1:]
    return [
        (number, float(x), float(y), text)
        for number, page in enumerate(pages, 1)
        for x, y, text in WORD.findall(page)
    ]


def position(found: list[tuple[int, float, float, str]], phrase: str) -> tuple[int, float, float]:
    """Page, x and y of the first word of the phrase's last occurrence (words in a row)."""
    wanted = phrase.split()
    for i in reversed(range(len(found) - len(wanted) + 1)):
        if [w[3] for w in found[i : i + len(wanted)]] == wanted:
            return found[i][:3]
    raise AssertionError(f"{phrase!r} not in the PDF")


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_pdf_text_in_order(pdfs: dict[str, bytes], type_id: str) -> None:
    text = normalise(pdf_text(pdfs[type_id]))
    title = next(line for line in TEXTS[type_id] if line.startswith(("GIẤY ", "BIÊN BẢN")))
    head, _, rest = text.partition(title)
    # The header's two columns interleave in reading order: each line is before the title.
    for line in [*HEADER, *TEXTS[type_id][len(HEADER) : TEXTS[type_id].index(title)]]:
        assert normalise(line) in head, line
    # From the title to `./.`, every line in the DOCX's order: own parts, body, end line.
    lines = TEXTS[type_id]
    end = next(i for i, line in enumerate(lines) if line.endswith("./."))
    at = 0
    for line in lines[lines.index(title) + 1 : end + 1]:
        found = rest.find(normalise(line), at)
        assert found >= 0, f"{line!r} missing or out of order"
        at = found + len(normalise(line))
    # Then the signature row and Nơi nhận, whose columns poppler reads in no fixed order
    # (their places are checked from the words' positions).
    for line in lines[end + 1 :]:
        assert normalise(line) in rest[at:], line


def test_minutes_sign_secretary_left_of_chair_on_one_line_without_a_date_line(
    pdfs: dict[str, bytes],
) -> None:
    found = words(pdfs["bien_ban"])
    secretary, chair = position(found, "THƯ KÝ"), position(found, "CHỦ TỌA")
    assert secretary[0] == chair[0] and abs(secretary[2] - chair[2]) < 1
    assert secretary[1] < chair[1]
    names = position(found, "Lò Thị Lan"), position(found, "Vương Văn Sơn")
    assert abs(names[0][2] - names[1][2]) < 1 and names[0][1] < names[1][1]
    text = normalise(pdf_text(pdfs["bien_ban"]))
    assert "Y Tịch, ngày" not in text
    assert text.count("ngày 10 tháng 3 năm 2023") == 2  # the start and the end, nothing else


def test_leave_confirmation_stands_level_with_the_signature(pdfs: dict[str, bytes]) -> None:
    found = words(pdfs["giay_nghi_phep"])
    box, title = position(found, "Xác nhận của"), position(found, "CHỦ TỊCH")
    assert box[0] == title[0] and abs(box[2] - title[2]) < 1 and box[1] < title[1]
    recipients = position(found, "Nơi nhận:")
    assert recipients[2] > position(found, "Vương Văn Sơn")[2]


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_fonts_are_embedded(pdfs: dict[str, bytes], type_id: str) -> None:
    fonts = embedded_fonts(pdfs[type_id])
    assert fonts and all(fonts.values()), fonts
    assert all("LiberationSerif" in name for name in fonts), fonts
