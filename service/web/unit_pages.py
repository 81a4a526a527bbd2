"""Unit profile pages: list, create, edit and delete the offices that prefill every form."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from service.core import vn
from service.core.definitions import Catalog, DocTypeDef, FieldDef
from service.core.documents import DocumentInvalid, DocumentService
from service.core.form_model import Flat, FormModel
from service.store.database import Database
from service.store.units import delete_unit, get_unit, list_units, save_unit
from service.web.form_view import FormView

PROFILE_FIELDS = ("issuer", "signer", "recipients", "archive")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_FIELD = FieldDef(
    "slug",
    "line",
    "Mã đơn vị",
    help="Chữ thường không dấu và dấu gạch ngang, vd. ubnd-xa-y-tich. Để trống để tự tạo.",
    max_length=80,
)


def register(bp: Blueprint) -> None:
    """Add the unit routes to the pages blueprint."""
    bp.add_url_rule("/don-vi", "unit_list", unit_list)
    bp.add_url_rule("/don-vi/moi", "unit_new", unit_edit, methods=["GET", "POST"])
    bp.add_url_rule("/don-vi/<slug>", "unit_edit", unit_edit, methods=["GET", "POST"])
    bp.add_url_rule("/don-vi/<slug>/xoa", "unit_delete", unit_delete, methods=["POST"])


def _documents() -> DocumentService:
    return current_app.extensions["vb_documents"]


def _database() -> Database:
    return current_app.extensions["vb_database"]


def profile_model(catalog: Catalog) -> FormModel:
    """A form of the profile's fields, taken from the shared document fields."""
    first = next(iter(catalog.types.values()))
    shared = tuple(f for f in first.fields if f.name in PROFILE_FIELDS)
    profile = DocTypeDef(first.id, "Đơn vị", None, first.template, "", (), (SLUG_FIELD, *shared))
    return FormModel(catalog, profile)


def unit_list() -> Any:
    """Every unit profile, with links to edit and to start a document."""
    with _database().session() as session:
        units = [(u.slug, u.agency, u.place, u.title, u.name) for u in list_units(session)]
    return render_template("units.html", units=units)


def unit_edit(slug: str | None = None) -> Any:
    """Create (no slug) or edit a unit: validated with the documents' own messages."""
    model = profile_model(_documents().catalog)
    if request.method == "GET":
        flat: Flat = {}
        if slug:
            with _database().session() as session:
                unit = get_unit(session, slug)
                if unit is None:
                    abort(404, description=f"Không có đơn vị “{slug}”.")
                flat = model.to_flat({"slug": unit.slug, **unit.prefill()})
        else:
            flat = model.to_flat({"archive": "VT"})
        return render_unit_form(model, flat, {}, slug)
    flat = {k: v for k, v in request.form.items() if k != "csrf_token"}
    payload = model.to_payload(flat).payload
    profile = {name: payload[name] for name in PROFILE_FIELDS}
    errors = validate_profile(_documents(), profile)
    new_slug = payload.get("slug") or vn.ascii_slug(
        profile["issuer"].get("agency_short") or profile["issuer"].get("agency") or ""
    )
    with _database().session() as session:
        if not SLUG.match(new_slug or ""):
            errors["slug"] = ["Chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang."]
        else:
            other = get_unit(session, new_slug)
            if other is not None and new_slug != slug:
                errors["slug"] = [f"Mã “{new_slug}” đã dùng cho {other.agency}; hãy chọn mã khác."]
        if errors:
            return render_unit_form(model, flat, errors, slug), 422
        if slug and get_unit(session, slug) is None:
            abort(404, description=f"Không có đơn vị “{slug}”.")
        save_unit(session, new_slug, profile, old_slug=slug)
    flash(f"Đã lưu hồ sơ đơn vị {profile['issuer']['agency']}.", "info")
    return redirect(url_for("pages.unit_list"))


def validate_profile(service: DocumentService, profile: dict[str, Any]) -> dict[str, list[str]]:
    """The profile's errors, from the schema of a document it would prefill."""
    probe = {**profile, "subject": "Kiểm tra", "date": {"year": 2000}}
    try:
        service.validate(next(iter(service.catalog.types)), probe)
    except DocumentInvalid as exc:
        return {k: v for k, v in exc.errors.items() if k.split(".")[0] in PROFILE_FIELDS}
    return {}


def render_unit_form(model: FormModel, flat: Flat, errors: dict[str, list[str]], slug: str | None):
    """Draw the unit form."""
    view = FormView(model, flat, errors, has_unit=False)
    return render_template("unit_form.html", view=view, slug=slug, fields=model.doc_type.fields)


def unit_delete(slug: str) -> Any:
    """Delete a unit profile."""
    with _database().session() as session:
        if not delete_unit(session, slug):
            abort(404, description=f"Không có đơn vị “{slug}”.")
    flash(f"Đã xóa đơn vị {slug}.", "info")
    return redirect(url_for("pages.unit_list"))
