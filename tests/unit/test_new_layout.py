"""A new layout added the way docs/extending.md says, touching only the files it names."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import pytest

from service import composition
from service.core import form_parts
from service.core.definitions import FORMS_DIR, load_catalog
from service.core.document import Document
from service.core.documents import DocumentService
from service.core.render import Renderer
from service.core.template_builder import write_all
from tests.conftest import docx_text, load_sample, signed_in

HTML = {"Accept": "text/html"}
# 1. forms/_layouts.yaml: the layout, its template, how it is drawn and its lines.
LAYOUT = """
authorisation:  # Giấy ủy quyền
  template: giay_uy_quyen.docx
  builder: form
  subject: false
  lines: authorisation
"""
# 2. forms/<type>.yaml: the type that uses it.
TYPE = """
id: giay_uy_quyen
name: Giấy ủy quyền
layout: authorisation
description: "Ủy quyền thực hiện một việc."
blocks: [paragraph]
subject_from: "Ủy quyền cho {grantee}"
omit: [kinh_gui, legal_bases]
fields:
  - {name: grantee, type: line, label: Người được ủy quyền, required: true, max_length: 100}
  - {name: scope, type: rich, label: Nội dung ủy quyền, required: true}
overrides:
  subject: {required: false, nullable: true}
"""


# 3. service/core/form_parts.py: the form's own lines, registered in LINES.
def authorisation(document: Document, authority: str) -> form_parts.FormText:
    """Who is authorised, and to do what."""
    data = document.data
    head = [
        form_parts.Line(data["grantee"], "Ủy quyền cho"),
        form_parts.Line(data["scope"], "Nội dung ủy quyền", rich=True),
    ]
    return form_parts.FormText(head, [], {})


@pytest.fixture()
def added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """forms/ and doc_templates/ with the new layout, as build-templates leaves them."""
    forms, templates = tmp_path / "forms", tmp_path / "doc_templates"
    shutil.copytree(FORMS_DIR, forms)
    templates.mkdir()
    with (forms / "_layouts.yaml").open("a", encoding="utf-8") as layouts:
        layouts.write(LAYOUT)
    (forms / "giay_uy_quyen.yaml").write_text(TYPE, encoding="utf-8")
    monkeypatch.setitem(form_parts.LINES, "authorisation", authorisation)
    # 4. python -m service build-templates
    write_all(templates, load_catalog(forms))
    return forms, templates


def payload() -> dict[str, Any]:
    base = load_sample("giay_gioi_thieu_lien_he_kinh_phi")
    keep = ("issuer", "number", "date", "recipients", "archive", "signer")
    return {
        **{k: base[k] for k in keep},
        "doc_type": "giay_uy_quyen",
        "grantee": "Ông Nguyễn Văn An",
        "scope": "Ký các văn bản **thường xuyên** trong thời gian Chủ tịch đi công tác.",
    }


def test_a_new_layout_renders_from_its_definitions(added: tuple[Path, Path]) -> None:
    forms, templates = added
    assert (templates / "giay_uy_quyen.docx").is_file()
    service = DocumentService(None, load_catalog(forms), Renderer(templates))
    rendered = service.render("giay_uy_quyen", payload())
    text = docx_text(rendered.docx)
    assert "GIẤY ỦY QUYỀN" in text
    assert "Ủy quyền cho: Ông Nguyễn Văn An" in text
    assert "Nội dung ủy quyền: Ký các văn bản thường xuyên" in text
    assert rendered.document.subject == "Ủy quyền cho Ông Nguyễn Văn An"
    assert rendered.document.symbol == "GUQ-UBND"


def test_a_new_layout_reaches_the_api_its_schema_and_the_form(
    added: tuple[Path, Path], make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms, templates = added
    catalog = load_catalog(forms)
    monkeypatch.setattr(
        composition,
        "DocumentService",
        functools.partial(DocumentService, catalog=catalog, renderer=Renderer(templates)),
    )
    app = make_app()
    client = app.test_client()
    assert "giay_uy_quyen" in [t["id"] for t in client.get("/api/types").json]
    spec = client.get("/openapi.json").json
    body = spec["components"]["schemas"]["GiayUyQuyenDocument"]
    assert {"grantee", "scope"} <= set(body["required"])
    assert "/api/documents/giay_uy_quyen" in spec["paths"]
    url = "/api/documents/giay_uy_quyen?format=docx"
    refused = client.post(url, json={**payload(), "scope": ""})
    assert refused.status_code == 422 and "scope" in refused.json["errors"]
    made = client.post(url, json=payload())
    assert made.status_code == 200 and "Ủy quyền cho: Ông Nguyễn Văn An" in docx_text(made.data)
    page = signed_in(app, "quantri", "quan_tri").get("/van-ban/giay_uy_quyen", headers=HTML)
    assert "Người được ủy quyền" in page.get_data(as_text=True)
