"""bench/fuzz_openapi.py names as known only the refusals no JSON Schema can say, by their paths."""

from __future__ import annotations

from typing import Any

import pytest

from bench.fuzz_openapi import KNOWN


def found(operation: str, keys: list[str]) -> dict[str, Any]:
    return {"check": "positive_data_acceptance", "operation": operation, "status": 422,
            "error_keys": keys}


@pytest.mark.parametrize("keys", [
    ["body.0.rows.0.cells", "appendices.0.body.0.body.1.rows.0.cells"],
    ["document.body.2.totals"],
    ["closing.0"],
    ["body.0.body.1.text"],
])
def test_a_refusal_only_the_service_can_see_is_known(keys: list[str]) -> None:
    assert any(k.explains(found("POST /api/documents/quyet_dinh", keys)) for k in KNOWN)


@pytest.mark.parametrize("keys", [
    ["body.0.rows.0.cells", "subject"],
    ["body.0.rows"],
    ["issuer.agency"],
])
def test_a_refusal_the_schema_should_have_said_is_not(keys: list[str]) -> None:
    assert not any(k.explains(found("POST /api/documents/quyet_dinh", keys)) for k in KNOWN)
