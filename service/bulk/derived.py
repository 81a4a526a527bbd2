"""The fields an agency's name decides (short name, place) follow a row that sets another agency.

A base value of `issuer.agency_short` or `issuer.place` is derived when it is empty or names
the base's own commune: the short name `vn.short_agency` gives for the base's agency, or any
short name holding the commune's name (`UBND Y Tịch`); the place equal to that name (`Y Tịch`).
A row that sets `issuer.agency` gets those made again from its own agency, unless it sets them
itself; a value the base chose for every commune (the district `Chi Lăng` as the place) stays.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from service.core import vn

Path = tuple[str | int, ...]
AGENCY: Path = ("issuer", "agency")
SHORT: Path = ("issuer", "agency_short")
PLACE: Path = ("issuer", "place")


def follow_row(base: Mapping[str, Any], document: dict[str, Any], set_paths: Collection[Path]
               ) -> dict[str, Any]:
    """The row's document with the base's derived short name and place made from its agency.

    `set_paths` are the paths of the row's non-empty cells.
    """
    issuer = document.get("issuer")
    if not sets(set_paths, AGENCY) or not isinstance(issuer, dict):
        return document
    agency = issuer.get("agency")
    if not isinstance(agency, str) or not agency.strip():
        return document
    base_issuer = issuer_of(base)
    issuer = dict(issuer)
    if not sets(set_paths, SHORT) and short_is_derived(base_issuer):
        issuer["agency_short"] = vn.short_agency(" ".join(agency.split()))
    unit = vn.unit_of(agency)
    # An agency naming no unit gives no place: the base's stays, and the check reports it.
    if unit is not None and not sets(set_paths, PLACE) and place_is_derived(base_issuer):
        issuer["place"] = unit.name
    return {**document, "issuer": issuer}


def sets(set_paths: Collection[Path], field: Path) -> bool:
    """Whether the row sets the field itself (its column, or a whole part holding it)."""
    return any(field[: len(path)] == path for path in set_paths)


def unit(issuer: Mapping[str, Any]) -> vn.Unit | None:
    """The unit an issuer is (`xã Y Tịch`), named by its agency or else its short name."""
    agency, short = issuer_text(issuer, "agency"), issuer_text(issuer, "agency_short")
    return vn.unit_of(agency) or vn.unit_of(short)


def commune_name(issuer: Mapping[str, Any]) -> str:
    """The proper name of the unit an issuer is (`Y Tịch`), or ""."""
    found = unit(issuer)
    return found.name if found else ""


def short_is_derived(issuer: Mapping[str, Any]) -> bool:
    """Whether the short name is empty, the agency's abbreviation, or names the commune."""
    short = issuer_text(issuer, "agency_short")
    if not short:
        return True
    if vn.match_key(short) == vn.match_key(vn.short_agency(issuer_text(issuer, "agency"))):
        return True
    name = commune_name(issuer) or issuer_text(issuer, "place")
    return bool(name) and names(short, name)


def place_is_derived(issuer: Mapping[str, Any]) -> bool:
    """Whether the place is empty or the commune's own name (not a district's chosen for all)."""
    place = issuer_text(issuer, "place")
    return not place or vn.match_key(place) == vn.match_key(commune_name(issuer))


def names(text: str, name: str) -> bool:
    """Whether the text holds the name as whole words, case and tone placement aside."""
    return f" {vn.match_key(name)} " in f" {vn.match_key(text)} "


def issuer_of(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """A document's issuer part, or an empty one when it has none."""
    issuer = document.get("issuer")
    return issuer if isinstance(issuer, Mapping) else {}


def issuer_text(issuer: Mapping[str, Any], key: str) -> str:
    """An issuer's field as one line, or "" when it is empty or no text."""
    value = issuer.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""
