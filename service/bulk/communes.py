"""Starting tables from the bundled list of administrative units (vietnam-provinces, 2025 map)."""

from __future__ import annotations

from vietnam_provinces import Province, VietNamDivisionType, Ward

from service.bulk.overrides import COMMUNE
from service.bulk.table import Table
from service.core import vn

COLUMNS = [
    COMMUNE,
    "issuer.parent_agency",
    "issuer.agency",
    "issuer.agency_short",
    "issuer.place",
    "signer.name",
]


class UnknownProvince(LookupError):
    """No province has this code or name."""


def provinces() -> list[dict[str, object]]:
    """The 34 provinces and centrally-run cities: code and name, by name."""
    found = [{"code": int(p.code), "name": p.name} for p in Province.iter_all()]
    return sorted(found, key=lambda p: vn.strip_diacritics(str(p["name"])))


def find_province(key: str) -> Province:
    """A province by code (`20`) or name, accents and case ignored (`lang son`, `Lạng Sơn`)."""
    key = key.strip()
    wanted = vn.ascii_slug(key)
    for province in Province.iter_all():
        if key.isdecimal() and key.isascii() and int(province.code) == int(key):
            return province
        if vn.ascii_slug(province.name) == wanted or vn.ascii_slug(province.codename) == wanted:
            return province
    raise UnknownProvince(key)


def province_authority(province: Province) -> str:
    """The parent agency line: `UBND tỉnh Lạng Sơn`, `UBND thành phố Hà Nội`."""
    if province.division_type == VietNamDivisionType.THANH_PHO_TRUNG_UONG:
        name = province.name.removeprefix("Thành phố ").strip()
        return f"UBND thành phố {name}"
    return f"UBND tỉnh {province.name}"


def commune_table(key: str) -> Table:
    """One row per commune, ward and special zone of the province, ready to edit."""
    province = find_province(key)
    parent = province_authority(province)
    rows = []
    wards = sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))
    for ward in wards:
        kind = ward.division_type.value  # xã, phường, đặc khu
        place = _strip_kind(ward.name, kind)
        rows.append(
            {
                COMMUNE: ward.name,
                "issuer.parent_agency": parent,
                "issuer.agency": f"Ủy ban nhân dân {kind} {place}",
                "issuer.agency_short": f"UBND {kind} {place}",
                "issuer.place": place,
                "signer.name": "",
            }
        )
    return Table(list(COLUMNS), rows)


def _strip_kind(name: str, kind: str) -> str:
    """`Xã Thất Khê` → `Thất Khê`."""
    if name.lower().startswith(kind + " "):
        return name[len(kind) + 1 :].strip()
    return name
