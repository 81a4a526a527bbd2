"""docs/model.md lists every type's own fields under the type's heading, as its forms define."""

from __future__ import annotations

import re
from pathlib import Path

from service.core.definitions import load_catalog

MODEL = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def test_every_types_own_fields_are_documented_under_its_heading() -> None:
    text = MODEL.read_text(encoding="utf-8")
    catalog = load_catalog()
    shared = {f.name for f in catalog.fields}
    missing = {}
    for type_id, doc_type in catalog.types.items():
        own = [f.name for f in doc_type.fields if f.name not in shared]
        if not own:
            continue
        found = re.search(rf"^### `{type_id}` .*?(?=^#)", text, re.MULTILINE | re.DOTALL)
        section = found.group(0) if found else ""
        absent = [name for name in own if f"| `{name}` |" not in section]
        if absent:
            missing[type_id] = absent
    assert missing == {}
