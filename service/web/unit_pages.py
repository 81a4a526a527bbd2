"""Unit profile pages: list, create, edit and delete the offices that prefill every form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from service.core.form_model import Flat, FormModel
from service.usecases.units import ProfileInvalid, UnitNotFound, UnitProfiles
from service.web.auth import current_actor, principal
from service.web.context import services
from service.web.form_view import FormView

# The key form's fields, in page order, as its error summary names them.
KEY_LABELS = {
    "pkcs12": "Tệp khóa ký số",
    "passphrase": "Mật khẩu của tệp khóa",
    "seal": "Ảnh con dấu",
    "seal_mm": "Đường kính con dấu",
}


def register(bp: Blueprint) -> None:
    """Add the unit routes to the pages blueprint."""
    bp.add_url_rule("/don-vi", "unit_list", unit_list)
    bp.add_url_rule("/don-vi/moi", "unit_new", unit_edit, methods=["GET", "POST"])
    bp.add_url_rule("/don-vi/<slug>", "unit_edit", unit_edit, methods=["GET", "POST"])
    bp.add_url_rule("/don-vi/<slug>/xoa", "unit_delete", unit_delete, methods=["POST"])


def _units() -> UnitProfiles:
    return services().units


def _model() -> FormModel:
    """The profile form: the slug and the shared issuer, signer and recipient fields."""
    return FormModel(services().documents.catalog, _units().form_type)


def unit_list() -> Any:
    """Every unit profile, with links to edit and to start a document."""
    units = [
        (u.slug, u.issuer["agency"], u.issuer["place"], u.province, u.signer["title"],
         u.signer.get("name"))
        for u in _units().list()
        if principal().sees(u.slug)
    ]
    return render_template("units.html", units=units)


def unit_edit(slug: str | None = None) -> Any:
    """Create (no slug) or edit a unit: validated with the documents' own messages."""
    model = _model()
    if request.method == "GET":
        if slug:
            return unit_page(slug)
        return render_unit_form(model, model.to_flat({"archive": "VT"}), {}, slug)
    flat = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        profile = services().unit_keys.save_unit(model.to_payload(flat).payload, old_slug=slug)
    except ProfileInvalid as exc:
        return render_unit_form(model, flat, exc.errors, slug), 422
    except UnitNotFound:
        abort(404, description=f"Không có đơn vị “{slug}”.")
    flash(f"Đã lưu hồ sơ đơn vị {profile.issuer['agency']}.", "info")
    return redirect(url_for("pages.unit_list"))


def _unit(slug: str) -> Any:
    """The unit, or a 404 page (also for a unit outside the caller's scope)."""
    try:
        if not principal().sees(slug):
            raise UnitNotFound(slug)
        return _units().get(slug)
    except UnitNotFound:
        abort(404, description=f"Không có đơn vị “{slug}”.")


def unit_page(slug: str, key_errors: dict[str, list[str]] | None = None) -> str:
    """The unit's page: its stored profile in the form, and its signing key."""
    unit = _unit(slug)
    model = _model()
    flat = model.to_flat(
        {"slug": slug, **unit.prefill(), "council": unit.council, "province": unit.province}
    )
    return render_unit_form(model, flat, {}, slug, key_errors or {})


def render_unit_form(
    model: FormModel, flat: Flat, errors: dict[str, list[str]], slug: str | None,
    key_errors: dict[str, list[str]] | None = None,
) -> str:
    """Draw the unit form, and an existing unit's signing key below it."""
    view = FormView(model, flat, errors, has_unit=False, schemas=services().documents.schemas)
    return render_template(
        "unit_form.html", view=view, slug=slug, fields=model.doc_type.fields,
        key=services().unit_keys.overview(slug) if slug else None,
        key_errors=key_errors or {}, key_labels=KEY_LABELS,
    )


def unit_delete(slug: str) -> Any:
    """Delete a unit profile, and its signing key."""
    try:
        services().unit_keys.delete_unit(current_actor(), slug)
    except UnitNotFound:
        abort(404, description=f"Không có đơn vị “{slug}”.")
    flash(f"Đã xóa đơn vị {slug}.", "info")
    return redirect(url_for("pages.unit_list"))
