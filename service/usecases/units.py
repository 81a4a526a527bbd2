"""Unit profiles: the offices whose issuer, signer and recipients prefill every document."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError

from service.bulk.communes import provinces
from service.core import vn
from service.core.definitions import Catalog, DocTypeDef, FieldDef, GroupDef
from service.core.schemas import SchemaFactory, flatten_errors
from service.usecases.ports import UnitProfile, UnitStore

# The document fields a profile holds, declared once in forms/_shared.yaml.
PROFILE_FIELDS = ("issuer", "signer", "recipients", "archive")
Errors = dict[str, list[str]]  # field path → messages
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_FIELD = FieldDef(
    "slug",
    "line",
    "Mã đơn vị",
    help="Chữ thường không dấu và dấu gạch ngang, vd. ubnd-xa-y-tich. Để trống để tự tạo.",
    max_length=80,
)


class UnitNotFound(LookupError):
    """No unit profile has the slug the request names."""


class ProfileInvalid(ValueError):
    """A profile fails the shared fields' checks; `errors` maps field paths to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


COUNCIL_FIELD = FieldDef(
    "council", "part", "Hội đồng nhân dân", nullable=True, part="council",
    help="Nếu có: nghị quyết soạn cho đơn vị do Hội đồng nhân dân ban hành (NQ-HĐND).",
)


# Documents do not print it: a commune's place line is its own name (Decree 30, Appendix I).
# It tells apart, on the unit list, communes of one name in two provinces.
PROVINCE_FIELD = FieldDef(
    "province", "choice", "Tỉnh, thành phố", nullable=True,
    options=tuple(str(p["name"]) for p in provinces()),
    help="Tỉnh hoặc thành phố trực thuộc trung ương nơi đơn vị đóng trụ sở.",
)


def profile_fields(catalog: Catalog) -> GroupDef:
    """The profile's fields: the unit's province, the issuer, signer, recipients and archive of
    _shared.yaml, and the unit's council."""
    shared = tuple(f for f in catalog.fields if f.name in PROFILE_FIELDS)
    return GroupDef("unit_profile", "Đơn vị", (PROVINCE_FIELD, *shared, COUNCIL_FIELD))


def profile_type(catalog: Catalog) -> DocTypeDef:
    """The profile as a form: the slug, then the profile's fields."""
    first = next(iter(catalog.types.values()))
    shared = profile_fields(catalog).fields
    return DocTypeDef(first.id, "Đơn vị", None, first.layout, "", (), (SLUG_FIELD, *shared))


class UnitProfiles:
    """Lists, reads, validates, saves and deletes unit profiles."""

    def __init__(self, store: UnitStore, catalog: Catalog, schemas: SchemaFactory) -> None:
        self.store = store
        self.catalog = catalog
        self.form_type = profile_type(catalog)
        self.schema = schemas.group(profile_fields(catalog))

    def list(self) -> list[UnitProfile]:
        """Every unit, by agency name."""
        return self.store.list()

    def get(self, slug: str) -> UnitProfile:
        """The unit with this slug; UnitNotFound when there is none."""
        unit = self.store.get(slug)
        if unit is None:
            raise UnitNotFound(slug)
        return unit

    def exists(self, slug: str) -> bool:
        """Whether a unit has this slug."""
        return self.store.get(slug) is not None

    def prefill(self, slug: str | None, doc_type: DocTypeDef | None = None) -> dict[str, Any]:
        """The named unit's issuer, signer, recipients and archive for a document of the type
        (its council's for a nghị quyết); {} without a unit."""
        by_council = doc_type is not None and doc_type.by_council
        return self.get(slug).prefill(by_council) if slug else {}

    def save(self, payload: dict[str, Any], old_slug: str | None = None) -> UnitProfile:
        """Validate a profile (slug optional: made from the agency) and store it."""
        loaded, errors = self._load(payload)
        slug = payload.get("slug") or vn.ascii_slug(
            (loaded.get("issuer") or {}).get("agency_short")
            or (loaded.get("issuer") or {}).get("agency")
            or ""
        )
        if not SLUG.match(slug or ""):
            errors["slug"] = ["Chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang."]
        else:
            other = self.store.get(slug)
            if other is not None and slug != old_slug:
                agency = other.issuer.get("agency")
                errors["slug"] = [f"Mã “{slug}” đã dùng cho {agency}; hãy chọn mã khác."]
        if errors:
            raise ProfileInvalid(errors)
        if old_slug:
            self.get(old_slug)
        profile = UnitProfile(
            slug=slug,
            issuer=loaded["issuer"],
            signer=loaded["signer"],
            recipients=list(loaded.get("recipients") or []),
            archive=loaded.get("archive") or "VT",
            council=loaded.get("council") or None,
            province=loaded.get("province") or None,
        )
        self.store.save(profile, old_slug)
        return profile

    def delete(self, slug: str) -> None:
        """Delete the unit; UnitNotFound when there is none."""
        if not self.store.delete(slug):
            raise UnitNotFound(slug)

    def _load(self, payload: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
        """The profile's fields through the shared schemas, and their errors by field path."""
        names = (PROVINCE_FIELD.name, *PROFILE_FIELDS, COUNCIL_FIELD.name)
        profile = {name: payload.get(name) for name in names if name in payload}
        try:
            return self.schema.load(profile), {}
        except ValidationError as exc:
            return {}, flatten_errors(exc.messages)
