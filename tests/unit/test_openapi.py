"""/openapi.json: valid OpenAPI 3, every API route, per-type bodies, enums, errors, security.

tests/integration/test_fuzz_openapi.py fuzzes a running service from that document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from flask_smorest.spec.plugins import FlaskPlugin
from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

from service.core.definitions import load_catalog
from service.web import openapi

TYPES = sorted(load_catalog().types)  # every type of forms/
METHODS = ("get", "put", "post", "delete", "patch")
PUBLIC = ("/health", "/api/health", "/openapi.json")
ERROR = {
    "type": "object",
    "description": "Mọi lỗi của dịch vụ có cùng dạng này.",
    "properties": {
        "code": {"type": "integer", "description": "Mã trạng thái HTTP"},
        "status": {"type": "string", "description": "Tên trạng thái, vd. Unprocessable Entity"},
        "message": {"type": "string", "description": "Thông báo cho người dùng (tiếng Việt)"},
        "errors": {
            "type": "object",
            "description": "Đường dẫn trường (vd. body.0.title) → các thông báo lỗi",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["code", "message", "status"],  # apispec sorts them
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def app(make_module_app) -> Any:
    return make_module_app(rate_limit=0)


@pytest.fixture(scope="module")
def doc(app) -> dict[str, Any]:
    response = app.test_client(token=None).get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json)


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation in the document."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The object a local $ref points to (the node itself when it is no reference)."""
    while "$ref" in node:
        section, kind, name = node["$ref"].removeprefix("#/").split("/")
        node = doc[section][kind][name]
    return node


def refs(node: Any) -> Iterator[str]:
    """Every $ref anywhere under the node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_the_document_is_valid_openapi_3(doc) -> None:
    assert doc["openapi"] == "3.0.3"
    OPENAPI_30_VALIDATOR.validate(doc)  # the OpenAPI 3.0 meta-schema, as schemathesis ships it
    for target in set(refs(doc)):
        assert target.startswith("#/components/"), target
        resolve(doc, {"$ref": target})  # raises KeyError when the component is missing
    ids = [operation["operationId"] for _, _, operation in operations(doc)]
    assert len(ids) == len(set(ids))


def test_every_api_route_is_documented_and_no_page_is(app, doc) -> None:
    documented = {(path, method) for path, method, _ in operations(doc)}
    expected = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = FlaskPlugin.flaskpath2openapi(rule.rule)
            for type_id in TYPES if "{type_id}" in path and method == "POST" else [None]:
                concrete = path.replace("{type_id}", type_id) if type_id else path
                expected.add((concrete, method.lower()))
    assert expected - documented == set()
    extra = {path for path, _ in documented - expected}
    assert extra == {"/health", "/openapi.json"}


def test_render_and_issue_take_the_schema_of_their_type(doc) -> None:
    schemas = doc["components"]["schemas"]
    for type_id in TYPES:
        stem = "".join(part.capitalize() for part in type_id.split("_"))
        document = schemas[f"{stem}Document"]
        render = doc["paths"][f"/api/documents/{type_id}"]["post"]
        issue = doc["paths"][f"/api/register/issue/{type_id}"]["post"]
        assert render["operationId"] == f"render_{type_id}"
        assert issue["operationId"] == f"issue_{type_id}"
        for operation, suffix in ((render, "RenderRequest"), (issue, "IssueRequest")):
            body = operation["requestBody"]
            assert body["required"] is True
            assert body["content"] == {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{stem}{suffix}"}}
            }
        render_body, issue_body = schemas[f"{stem}RenderRequest"], schemas[f"{stem}IssueRequest"]
        assert set(render_body["properties"]) == {*document["properties"], "format", "signing"}
        assert set(issue_body["properties"]) == {*document["properties"], "unit", "sign"}
        assert render_body["properties"]["format"]["enum"] == [
            "pdf", "pdfa-1b", "pdfa-2b", "docx", None,
        ]
        assert render_body["required"] == document["required"]
        assert issue_body["required"] == [n for n in document["required"] if n != "date"]
        assert issue_body["properties"]["number"]["enum"] == [None]
        for body in (render_body, issue_body):
            assert body["properties"]["doc_type"]["enum"] == [type_id, None]
            assert body["additionalProperties"] is False


def test_a_body_is_a_list_of_blocks_told_apart_by_kind(doc) -> None:
    schemas = doc["components"]["schemas"]
    body = schemas["QuyetDinhDocument"]["properties"]["body"]
    assert body["type"] == "array" and body["minItems"] == 1 and body["maxItems"] == 1000
    mapping = body["items"]["discriminator"]["mapping"]
    assert body["items"]["discriminator"]["propertyName"] == "kind"
    assert set(mapping) == {"article", "paragraph", "bullet", "table"}
    assert body["items"]["oneOf"] == [{"$ref": target} for target in mapping.values()]
    for kind, target in mapping.items():
        block = resolve(doc, {"$ref": target})
        assert block["properties"]["kind"] == {"type": "string", "enum": [kind]}
        assert "kind" in block["required"] and block["additionalProperties"] is False


def test_a_decision_may_carry_a_regulation_of_chapters(doc) -> None:
    decision = doc["components"]["schemas"]["QuyetDinhDocument"]["properties"]
    attachments = decision["attachments"]
    assert attachments["type"] == "array" and attachments["title"] == "Văn bản ban hành kèm theo"
    text = resolve(doc, attachments["items"])
    assert text["properties"]["type_name"]["enum"] == ["Quy chế", "Quy định"]
    assert set(text["required"]) == {"title", "chapters"}
    chapter = resolve(doc, text["properties"]["chapters"]["items"])
    mapping = chapter["properties"]["body"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == {"article", "paragraph", "bullet", "table"}


def test_enums(doc) -> None:
    paths = doc["paths"]

    def parameter(path: str, name: str, method: str = "get") -> dict[str, Any]:
        found = paths[path].get("parameters", []) + paths[path][method].get("parameters", [])
        return next(p["schema"] for p in found if p["name"] == name)

    assert parameter("/api/types/{type_id}", "type_id") == {"type": "string", "enum": TYPES}
    for type_id in TYPES:
        assert parameter(f"/api/documents/{type_id}", "format", "post")["enum"] == [
            "pdf", "pdfa-1b", "pdfa-2b", "docx",
        ]
    assert parameter("/api/register/{entry_id}/{kind}", "kind")["enum"] == ["pdf", "docx"]
    assert parameter("/api/audit", "action")["enum"] == [
        "render", "save", "submit", "return", "sign", "issue", "seal", "attach",
        "key_install", "key_replace", "key_remove",
    ]
    assert parameter("/api/jobs/{job_id}/{kind}", "kind")["enum"] == [
        "zip", "merged.pdf", "manifest.csv", "manifest.json",
    ]
    assert parameter("/api/jobs/{job_id}/rows/{index}.{ext}", "ext")["enum"] == ["docx", "pdf"]
    job = doc["components"]["schemas"]["JobRequest"]
    base = resolve(doc, job["properties"]["base"]["allOf"][0])
    assert base["properties"]["doc_type"]["enum"] == TYPES


def test_error_statuses_use_the_one_error_shape(doc) -> None:
    assert doc["components"]["schemas"]["Error"] == ERROR
    for path, _, operation in operations(doc):
        for code, response in operation["responses"].items():
            if code[0] not in "45" or path in ("/health", "/api/health"):
                continue
            schema = resolve(doc, response)["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (path, code)


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/health", "get", {"200", "503"}),
        ("/api/health", "get", {"200", "503"}),
        ("/api/documents/ke_hoach", "post",
         {"200", "400", "401", "403", "413", "415", "422", "429", "502", "503"}),
        ("/api/register/issue/cong_van", "post",
         {"201", "400", "401", "403", "413", "415", "422", "429", "502", "503"}),
        ("/api/verify", "post", {"200", "400", "401", "403", "413", "415", "429"}),
        ("/api/types/{type_id}", "get", {"200", "401", "403", "404", "429"}),
        ("/api/register", "get", {"200", "401", "403", "422", "429"}),
        ("/api/jobs", "post", {"202", "401", "403", "413", "422", "429"}),
        ("/api/jobs/{job_id}/{kind}", "get", {"200", "401", "403", "404", "409", "429"}),
        ("/api/communes", "get", {"200", "401", "403", "422", "429"}),
    ],
)
def test_each_route_lists_the_statuses_it_answers(doc, path, method, statuses) -> None:
    assert set(doc["paths"][path][method]["responses"]) == statuses


def test_retry_after_and_www_authenticate_are_documented(doc) -> None:
    responses = doc["components"]["responses"]
    for name in ("ServiceUnavailable", "BadGateway", "TooManyRequests"):
        assert responses[name]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]


def test_bearer_key_everywhere_but_health_and_the_document(doc) -> None:
    assert doc["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer"}
    }
    assert doc["security"] == [{"bearerAuth": []}]
    for path, _, operation in operations(doc):
        if path in PUBLIC:
            assert operation["security"] == [], path
        else:
            assert "security" not in operation, path  # the global bearerAuth


def test_live_errors_match_the_error_schema(app, doc) -> None:
    validator = jsonschema_rs.validator_for(ERROR)
    anonymous, client = app.test_client(token=None), app.test_client()
    answers = [
        (anonymous.get("/api/types"), 401),
        (client.get("/api/types/khong_co"), 404),
        (client.post("/api/documents/ke_hoach", data="x", content_type="text/plain"), 415),
        (client.post("/api/documents/ke_hoach", json={"x": 1}), 422),
        (client.get("/api/register?page=0"), 422),
        (client.post("/api/jobs", json={"base": {"doc_type": "ke_hoach"}, "rows": [{}],
                                        "separator": [";"]}), 422),
    ]
    for response, status in answers:
        assert response.status_code == status, response.get_data(as_text=True)
        validator.validate(response.json)
    assert anonymous.get("/api/types").headers["WWW-Authenticate"] == "Bearer"


def test_health_and_the_document_need_no_key(app) -> None:
    anonymous = app.test_client(token=None)
    for path in PUBLIC:
        assert anonymous.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("delete", "/api/types", "GET, HEAD, OPTIONS"),
        ("get", "/api/documents/ke_hoach", "OPTIONS, POST"),
        ("post", "/health", "GET, HEAD, OPTIONS"),
    ],
)
def test_405_says_what_is_allowed(app, method, path, allow) -> None:
    response = getattr(app.test_client(), method)(path)
    assert response.status_code == 405
    assert ", ".join(sorted(response.headers["Allow"].split(", "))) == allow
    assert response.json["code"] == 405


def test_a_document_from_shared_components_equals_one_converted_afresh(make_app, doc,
                                                                       monkeypatch) -> None:
    """Apps of one process share the converted document schemas; nothing they do changes them."""
    monkeypatch.setattr(openapi, "_PUBLISHED", {})
    converted = make_app(rate_limit=0).test_client(token=None).get("/openapi.json").json
    assert len(openapi._PUBLISHED) == 1
    shared = make_app(rate_limit=0).test_client(token=None).get("/openapi.json").json
    assert converted == doc and shared == doc
