"""Copies in the browser: Sao y, Trích sao, Sao lục from a register entry, after confirming the
number the copy will take (as Phát hành does)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_smorest import Api

from service.core import signer
from service.core.copies import KINDS, TYPE_NAMES
from service.core.definitions import load_catalog
from service.core.documents import DocumentInvalid
from service.usecases.copying import CopyPlan, EntryNotFound
from service.usecases.issuing import NumberMovedOn
from service.usecases.ports import RegisterRecord
from service.web import csrf
from service.web.auth import allowed, current_actor, scope
from service.web.context import services
from service.web.http import SQL_INT_MAX, flag

bp = Blueprint("copy_pages", __name__, template_folder="templates")
bp.before_request(csrf.check)
SIGNER_FIELDS = signer.form_fields(load_catalog())  # as forms/_shared.yaml declares them
LABELS = {
    "kind": "Hình thức sao",
    "parts": "Phần cần trích sao",
    "recipients": "Nơi nhận",
    **{f"signer.{name}": label for name, label in SIGNER_FIELDS},
}


def init_app(app: Flask, api: Api) -> None:
    """Register the pages; the register's entry page lists copies through `copies_of`."""
    app.register_blueprint(bp)

    @app.context_processor
    def copy_links() -> dict[str, Any]:
        return {
            "copy_kinds": copy_kinds,
            "copies_of": copies_of,
            "copy_source": copy_source,
            "copy_type_names": TYPE_NAMES,
        }


def copy_kinds(entry: RegisterRecord) -> list[tuple[str, str]]:
    """The copy buttons an entry shows to a clerk who may issue: (code, label)."""
    if not allowed("copy_pages.form"):
        return []
    return [(kind.code, kind.verb) for kind in services().copier.kinds(entry)]


def copies_of(entry: RegisterRecord) -> list[RegisterRecord]:
    """The copies made from an entry that the reader sees."""
    return services().copier.copies_of(entry.id or 0, scope())


def copy_source(entry: RegisterRecord) -> RegisterRecord | None:
    """The entry a copy was made from, when the reader sees it."""
    if entry.source_id is None:
        return None
    return services().register.get(entry.source_id, scope())


@bp.get("/so-van-ban-di/<int:entry_id>/sao")
def form(entry_id: int) -> Any:
    """The copy form: kind, parts for a trích sao, signer prefilled from the unit, Nơi nhận."""
    source = _source(entry_id)
    defaults = services().copier.defaults(source)
    kind = request.args.get("loai") or ""
    return _form(source, {"kind": kind, "parts": [], **defaults})


@bp.post("/so-van-ban-di/<int:entry_id>/sao")
def confirm(entry_id: int) -> Any:
    """The confirmation: the number the copy will take (not yet taken), or the form's errors."""
    source = _source(entry_id)
    payload = _posted()
    try:
        plan = services().copier.upcoming(source, payload)
    except DocumentInvalid as exc:
        return _form(source, payload, exc.errors), 422
    return _confirmation(plan, payload)


@bp.post("/so-van-ban-di/<int:entry_id>/sao/xac-nhan")
def make(entry_id: int) -> Any:
    """Make the copy with the number shown, then open its entry."""
    source = _source(entry_id)
    payload = _posted()
    shown = request.form.get("expect", "")
    copier = services().copier
    services().admission.refuse_when_full()
    try:
        with services().admission.admit():
            made = copier.make(
                source,
                payload,
                actor=current_actor(),
                expect=int(shown) if shown.isdigit() else None,
                sign=flag(request.form.get("seal")),
            )
    except DocumentInvalid as exc:
        return _form(source, payload, exc.errors), 422
    except NumberMovedOn as exc:
        notice = (
            f"Số {exc.shown:02d} vừa được cấp cho bản sao khác. Bản sao này sẽ nhận số "
            f"{exc.now:02d}; hãy xác nhận lại."
        )
        return _confirmation(copier.upcoming(source, payload), payload, notice), 409
    flash(f"Đã cấp số bản sao {made.number_line}, ngày {made.document_date:%d/%m/%Y}.", "info")
    return redirect(url_for("register_pages.entry", entry_id=made.id))


def _source(entry_id: int) -> RegisterRecord:
    """The entry the caller sees, or a 404 page (also another unit's entry)."""
    try:
        if entry_id > SQL_INT_MAX:
            raise EntryNotFound(entry_id)
        return services().copier.source(entry_id, scope())
    except EntryNotFound:
        abort(404, description=f"Sổ văn bản đi không có mục số {entry_id}.")


def _posted() -> dict[str, Any]:
    """The copy request of the posted form."""
    form = request.form
    signer = {name: form.get(f"signer.{name}", "").strip() or None for name, _ in SIGNER_FIELDS}
    signer["name"] = signer["name"] or ""
    lines = (line.strip() for text in form.getlist("recipients") for line in text.splitlines())
    return {
        "kind": form.get("kind", ""),
        "parts": form.getlist("parts"),
        "signer": signer,
        "recipients": [line for line in lines if line],
    }


def _form(
    source: RegisterRecord, values: dict[str, Any], errors: dict[str, list[str]] | None = None
) -> str:
    copier = services().copier
    return render_template(
        "copy_form.html",
        entry=source,
        kinds=copier.kinds(source),
        parts=copier.parts(source),
        values=values,
        signer_fields=SIGNER_FIELDS,
        errors=errors or {},
        labels=LABELS,
    )


def _confirmation(plan: CopyPlan, payload: dict[str, Any], notice: str | None = None) -> str:
    return render_template(
        "copy_confirm.html",
        plan=plan,
        entry=plan.source,
        values=payload,
        kind=KINDS[plan.request.kind.code],
        signer_fields=SIGNER_FIELDS,
        parts={p.key: p.title for p in services().copier.parts(plan.source)},
        notice=notice,
        can_seal=services().copier.sealer.can_seal(plan.source.unit),
    )
