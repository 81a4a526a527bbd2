"""A unit's signing key on its page: its certificate and seal, installed, replaced, removed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for

from service.core.signing import SEAL_MM
from service.usecases.unit_keys import KeyNotInstalled, KeyRefused, UnitKeys
from service.usecases.units import UnitNotFound
from service.web.auth import current_actor
from service.web.context import services
from service.web.http import uploaded
from service.web.unit_pages import unit_page

SEAL_MM_MESSAGE = "Đường kính con dấu là một số mi-li-mét, vd. 36."


def register(bp: Blueprint) -> None:
    """Add the key routes to the pages blueprint, beside the unit's own."""
    bp.add_url_rule("/don-vi/<slug>/con-dau.png", "unit_seal", unit_seal)
    bp.add_url_rule("/don-vi/<slug>/khoa-ky-so", "unit_key_install", unit_key_install,
                    methods=["POST"])
    bp.add_url_rule("/don-vi/<slug>/khoa-ky-so/xoa", "unit_key_remove", unit_key_remove,
                    methods=["POST"])


def _keys() -> UnitKeys:
    return services().unit_keys


def unit_seal(slug: str) -> Any:
    """The unit's seal picture as installed."""
    png = _keys().seal_png(slug)
    if png is None:
        abort(404, description=f"Đơn vị “{slug}” chưa có ảnh con dấu.")
    response = current_app.response_class(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def unit_key_install(slug: str) -> Any:
    """Install or replace the unit's key; the unit's page again with what to fix (422)."""
    pkcs12, _ = uploaded("pkcs12")
    seal, _ = uploaded("seal")
    passphrase = request.form.get("passphrase", "").encode()
    try:
        seal_mm = seal_diameter(request.form.get("seal_mm", ""))
        installed = _keys().install(
            current_actor(), slug, pkcs12, passphrase or None, seal or None, seal_mm
        )
    except KeyRefused as exc:
        return unit_page(slug, key_errors=exc.errors), 422
    except UnitNotFound:
        abort(404, description=f"Không có đơn vị “{slug}”.")
    name = installed.certificate.common_name
    flash(f"Đã cài khóa ký số “{name}” cho đơn vị.", "info")
    return redirect(url_for("pages.unit_edit", slug=slug, _anchor="khoa-ky-so"), 303)


def seal_diameter(typed: str) -> float:
    """The seal's diameter in mm as typed (`36`, `35,5`); the usual one when left empty."""
    typed = typed.strip().replace(",", ".")
    if not typed:
        return SEAL_MM
    try:
        return float(typed)
    except ValueError:
        raise KeyRefused({"seal_mm": [SEAL_MM_MESSAGE]}) from None


def unit_key_remove(slug: str) -> Any:
    """Remove the unit's key and seal picture (the page asked to confirm)."""
    try:
        _keys().remove(current_actor(), slug)
    except (KeyNotInstalled, UnitNotFound):
        abort(404, description=f"Đơn vị “{slug}” không có khóa ký số.")
    flash("Đã gỡ khóa ký số và ảnh con dấu của đơn vị.", "info")
    return redirect(url_for("pages.unit_edit", slug=slug, _anchor="khoa-ky-so"), 303)
