"""The base commune's names a row for another commune would still print, for the check.

The base's agency, its short name and its unit (`xã Y Tịch`) are looked for in every text of
the row's document, and its place in the row's place when that place was the commune's own
name. Only the unit with its kind is looked for, never the bare name: the district or province
(`huyện Chi Lăng`) often shares a commune's name and is rightly in every row. A name followed by
another capitalised word is a longer one (`xã Tân Phú Đông` is not `xã Tân Phú`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from service.bulk.derived import commune_name, issuer_of, issuer_text, place_is_derived, unit
from service.bulk.overrides import column_for, is_empty
from service.core import placeholders, vn


@dataclass(frozen=True)
class BaseName:
    """A name of the base's commune as written, and the placeholder the base should use instead."""

    text: str
    placeholder: str

    def find(self, text: str) -> str | None:
        """The name as written in the text, unless only a longer name holds it."""
        words = r"\s+".join(re.escape(word) for word in vn.clean_text(self.text).split())
        text = vn.clean_text(text)
        for match in re.finditer(rf"(?<!\w){words}(?!\w)", text, re.IGNORECASE):
            following = re.match(r"[ \t]+(\S+)", text[match.end():])
            if following is None or not following.group(1).istitle():
                return match.group(0)
        return None


@dataclass(frozen=True)
class Communes:
    """Whose document a row is and whose the base is, as running text (`xã Thất Khê`)."""

    row: str
    base: str


@dataclass(frozen=True)
class Leftover:
    """The base's name found in a row: in one of its cells, or at a path of the base it keeps."""

    path: str  # the cell's column, or the field path of the base's text
    found: str
    placeholder: str | None  # None for the place, which no placeholder replaces
    communes: Communes
    own_cell: bool

    def message(self, *, column: bool) -> str:
        """What the clerk should do, in Vietnamese: fix the cell, fill a column or fix the base.

        `column` says whether the path may be a column of the table.
        """
        row, base, found = self.communes.row, self.communes.base, self.found
        if self.own_cell:
            return (f"Ô này ghi “{found}”, tên của {base} trong văn bản gốc, nhưng dòng này là "
                    f"của {row}. Sửa ô cho đúng với {row}.")
        fill = f"điền cột {self.path} cho dòng này (thêm cột nếu bảng chưa có)"
        if self.placeholder is None:
            return (f"Văn bản của {row} vẫn in địa danh “{found}” của văn bản gốc ở dòng ngày "
                    f"tháng, vì tên cơ quan của dòng không cho biết địa danh. Hãy {fill}.")
        also = f", hoặc {fill}" if column else ""
        return (f"Văn bản gốc ghi “{found}” ở {self.path} nên văn bản của {row} sẽ in tên "
                f"{base}. Trong văn bản gốc, viết {self.placeholder} thay cho “{found}”{also}.")


def communes(base: Mapping[str, Any], document: Mapping[str, Any]) -> Communes | None:
    """The row's and the base's communes, or None when the row is the base's own commune."""
    row_unit, base_unit = (_unit_text(issuer_of(d)) for d in (document, base))
    if not row_unit or not base_unit or vn.match_key(row_unit) == vn.match_key(base_unit):
        return None
    return Communes(row_unit, base_unit)


def leftovers(
    base: Mapping[str, Any], document: Mapping[str, Any], cells: Mapping[str, Any]
) -> list[Leftover]:
    """Where a row for another commune still names the base's (nothing for its own commune).

    `document` is the row's before its placeholders are filled, so a name a cell brings in
    through a placeholder is reported at that cell, and the base's own words at their path.
    """
    whose = communes(base, document)
    if whose is None:
        return []
    own = {column: str(value) for column, value in cells.items() if not is_empty(value)}
    kept = [(path, text) for path, text in placeholders.texts(document)
            if column_for(path, list(own)) not in own]
    names = list(base_names(issuer_of(base)))
    found = []
    for sources, own_cell in ((own.items(), True), (kept, False)):
        for where, text in sources:
            hit = next(((n, w) for n in names if (w := n.find(text)) is not None), None)
            if hit is not None:
                found.append(Leftover(where, hit[1], hit[0].placeholder, whose, own_cell))
    base_issuer, place = issuer_of(base), issuer_text(issuer_of(document), "place")
    # A row of "phường Y Tịch" rightly keeps the place of a base "xã Y Tịch".
    if (place_is_derived(base_issuer)
            and vn.match_key(place) == vn.match_key(issuer_text(base_issuer, "place"))
            and vn.match_key(place) != vn.match_key(commune_name(issuer_of(document)))):
        column = column_for("issuer.place", list(own))
        found.append(Leftover(column, place, None, whose, column in own))
    return found


def base_names(issuer: Mapping[str, Any]) -> Iterator[BaseName]:
    """The base's agency, short name and unit, longest first, each with its placeholder."""
    agency, own = issuer_text(issuer, "agency"), unit(issuer)
    candidates = [
        (agency, "{co_quan}"),
        (issuer_text(issuer, "agency_short") or vn.short_agency(agency), "{co_quan_viet_tat}"),
        (str(own) if own else "", "{ten_xa}"),
    ]
    seen: set[str] = set()
    for text, placeholder in candidates:
        # A base naming itself through placeholders has no name of its own to leave behind.
        if text and "{" not in text and vn.match_key(text) not in seen:
            seen.add(vn.match_key(text))
            yield BaseName(text, placeholder)


def _unit_text(issuer: Mapping[str, Any]) -> str:
    """The unit an issuer is (`xã Y Tịch`), else its short name."""
    found = unit(issuer)
    return str(found) if found else vn.short_agency(issuer_text(issuer, "agency"))
