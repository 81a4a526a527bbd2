"""A table's rows as read from any format: the header, the bounds, formula-safe cells."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from service.core import vn

# Bounds checked while a table is read, so a hostile file costs well under a second.
MAX_COLUMNS = 200  # the widest real table is a few dozen columns of field paths
MAX_CELLS = 250_000  # rows x columns: 5,000 communes with 50 fields each
MAX_CELL = 10_000  # characters: a long paragraph; Excel itself stops at 32,767
MAX_BLANK_LINES = 10_000  # empty rows skipped before giving up (formatted empty rows)
# A text cell beginning with one of these is run as a formula when a spreadsheet opens it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


class TableUnreadable(ValueError):
    """The table file cannot be read; the message says why, in Vietnamese."""


class TableTooLarge(ValueError):
    """The table is over a size bound (rows, uncompressed size); answered 413."""


class TooManyRows(TableTooLarge):
    """The table has more rows than bulk_max_rows."""


@dataclass
class Table:
    """A header and its data rows; cells are strings (CSV) or typed values (XLSX, JSON)."""

    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    # The file's line of each row as a spreadsheet numbers it (header = 1, blank lines count);
    # empty for tables without lines (JSON), whose rows are numbered from 1.
    lines: list[int] = field(default_factory=list)

    def line(self, index: int) -> int:
        """The number a clerk sees for data row `index` (1-based): its spreadsheet row."""
        return self.lines[index - 1] if index <= len(self.lines) else index


def too_many_rows(max_rows: int) -> TooManyRows:
    """The error for a table found longer than `max_rows` data rows."""
    return TooManyRows(
        f"Bảng có hơn {count_text(max_rows)} dòng; mỗi lần tối đa {count_text(max_rows)} dòng. "
        "Hãy chia bảng thành nhiều tệp và tạo từng việc."
    )


def from_lines(lines: Iterable[Sequence[Any]], max_rows: int | None) -> Table:
    """The first non-empty line is the header, empty lines are dropped; bounded as it reads.

    Line numbers in messages are the file's (Excel's row numbers), blank lines included.
    """
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    blank = 0
    for number, line in enumerate(lines, start=1):
        width = _width(line)
        if not width:
            blank += 1
            if blank > MAX_BLANK_LINES:
                raise TableUnreadable(
                    f"Bảng có hơn {count_text(MAX_BLANK_LINES)} dòng trống. Hãy xóa các dòng trống "
                    "(thường ở cuối trang tính) rồi lưu lại."
                )
            continue
        if width > MAX_COLUMNS:
            raise too_wide(width)
        cells = [_unescaped(c) for c in line[:width]]
        for position, cell in enumerate(cells, start=1):
            check_cell(cell, number, position)
        if header is None:
            header = _header(cells)
        elif width > len(header):
            raise TableUnreadable(f"Dòng {number} có nhiều ô hơn số cột của tiêu đề.")
        elif max_rows is not None and len(rows) == max_rows:
            raise too_many_rows(max_rows)
        elif (len(rows) + 1) * len(header) > MAX_CELLS:
            raise TableTooLarge(
                f"Bảng có hơn {count_text(MAX_CELLS)} ô (số dòng × số cột); tối đa "
                f"{count_text(MAX_CELLS)} ô. Hãy xóa các cột không dùng hoặc chia bảng thành "
                "nhiều tệp."
            )
        else:
            # Cells past the last filled one are kept as read (an empty string stays "").
            rows.append({name: _unescaped(line[i]) if i < len(line) else None
                         for i, name in enumerate(header)})
            numbers.append(number)
    if header is None:
        raise TableUnreadable("Bảng trống: cần một dòng tiêu đề (tên cột) và ít nhất một dòng.")
    return Table(header, rows, numbers)


def _header(cells: list[Any]) -> list[str]:
    """The column names of a header line: each named once."""
    header = [vn.clean_text(str(c)).strip() if not _empty(c) else "" for c in cells]
    seen = set()
    for position, name in enumerate(header, start=1):
        if not name:
            raise TableUnreadable(f"Cột thứ {position} không có tên ở dòng tiêu đề.")
        if name in seen:
            raise TableUnreadable(f"Cột {name!r} xuất hiện hai lần ở dòng tiêu đề.")
        seen.add(name)
    return header


def _width(line: Sequence[Any]) -> int:
    """How many cells a line has up to its last non-empty one."""
    for end in range(len(line), 0, -1):
        if not _empty(line[end - 1]):
            return end
    return 0


def check_cell(value: Any, number: int, position: int) -> None:
    """Refuse a text cell over MAX_CELL characters, naming it as Excel does (C7)."""
    if isinstance(value, str) and len(value) > MAX_CELL:
        raise long_cell(number, position, count_text(len(value)))


def long_cell(number: int, position: int, length: str) -> TableUnreadable:
    letter = column_letter(position)
    return TableUnreadable(
        f"Ô {letter}{number} (dòng {number}, cột {letter}) có {length} ký tự; mỗi ô tối đa "
        f"{count_text(MAX_CELL)} ký tự. Hãy rút gọn nội dung ô này rồi tải bảng lên lại."
    )


def too_wide(width: int) -> TableUnreadable:
    return TableUnreadable(
        f"Bảng có {'hơn ' if width > MAX_COLUMNS else ''}{count_text(MAX_COLUMNS)} cột; tối đa "
        f"{count_text(MAX_COLUMNS)} cột. Hãy xóa các cột không dùng (kể cả cột trống có dữ liệu "
        "ở xa bên phải)."
    )


def column_letter(position: int) -> str:
    """Excel's name of a column: 1 → A, 27 → AA."""
    letters = ""
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def count_text(number: int) -> str:
    """A count the Vietnamese way: 10.000."""
    return f"{number:,}".replace(",", ".")


def guarded(
    lines: Iterator[T],
    errors: tuple[type[Exception], ...],
    reason: Callable[[Exception, int], TableUnreadable],
) -> Iterator[T]:
    """The lines of a reader, its failure on line n turned into TableUnreadable."""
    for number in itertools.count(1):
        try:
            line = next(lines)
        except StopIteration:
            return
        except errors as exc:
            raise reason(exc, number) from None
        yield line


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def blank_record(record: dict[str, Any]) -> bool:
    return all(_empty(v) for v in record.values())


# Characters XML 1.0 cannot carry (controls other than tab, newline, carriage return): a
# stored text holding one would make the whole workbook fail to write.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def formula_safe(value: T) -> T | str:
    """A text cell as a spreadsheet can hold it and will not run it: without the controls XML
    cannot carry, and a formula's first character quoted with a leading ' (OWASP)."""
    if not isinstance(value, str):
        return value
    value = UNWRITABLE.sub("", value)  # type: ignore[assignment]
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _unescaped(value: Any) -> Any:
    """A cell as written before formula_safe quoted it (a table downloaded, edited, uploaded)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def cell_text(value: Any) -> str:
    """A cell as text: lists joined with "; ", dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value)
