"""The OpenAPI document's parts: per-type bodies and paths, statuses, the error, security.

A client generator and a fuzzer read `/openapi.json` alone, so what it says must be what the
routes do: one path per document type (a body's schema depends on the type, which a templated
path cannot say), every status a route answers with the one error shape, and the bearer key.
The answers' shapes are the marshmallow schemas of service.web.schemas.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.spec.plugins import FlaskPlugin
from marshmallow import Schema, fields, validate
from werkzeug.routing import Rule

from service.core.definitions import Catalog
from service.core.fields import Blocks, CleanString
from service.core.schemas import SchemaFactory
from service.web.schemas import Error, job_request_schemas

JSON = "application/json"
FORMATS = ("pdf", "pdfa-1b", "pdfa-2b", "docx")
PUBLIC_PATHS = ("/health", "/api/health", "/openapi.json")
SECURITY_SCHEME = "bearerAuth"
TYPE_PATHS = {  # templated route → (operation id prefix, request body component suffix)
    "/api/documents/{type_id}": ("render", "RenderRequest"),
    "/api/register/issue/{type_id}": ("issue", "IssueRequest"),
}
STATUSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Yêu cầu không đọc được: JSON hỏng, tệp không phải PDF"),
    401: ("Unauthorized", "Thiếu khóa API, hoặc khóa sai, đã thu hồi, đã hết hạn"),
    403: ("Forbidden", "Khóa API hoặc tài khoản không có quyền này"),
    404: ("NotFound", "Không có tài nguyên này"),
    409: ("Conflict", "Trạng thái hiện tại không cho phép thao tác này"),
    413: ("PayloadTooLarge", "Dữ liệu gửi lên vượt quá giới hạn"),
    415: ("UnsupportedMediaType", "Kiểu nội dung gửi lên không được nhận"),
    422: ("UnprocessableContent", "Dữ liệu chưa hợp lệ; errors: đường dẫn trường → thông báo"),
    429: ("TooManyRequests", "Quá nhiều yêu cầu từ khóa API này; thử lại sau Retry-After giây"),
    502: ("BadGateway", "Không chuyển được sang PDF, hoặc máy chủ dấu thời gian lỗi"),
    503: ("ServiceUnavailable", "Bộ chuyển đổi PDF đang bận; thử lại sau Retry-After giây"),
}
RETRY_AFTER = {"description": "Số giây nên chờ trước khi thử lại", "schema": {"type": "integer"}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": RETRY_AFTER},
    502: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}


def ref(name: str, section: str = "schemas") -> dict[str, str]:
    """A reference to a component."""
    return {"$ref": f"#/components/{section}/{name}"}


def errors(*codes: int) -> dict[str, Any]:
    """The shared error responses for these statuses, for a route's `responses`."""
    return {str(code): ref(STATUSES[code][0], "responses") for code in codes}


def error(code: int, description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    """One route's own error response (its own wording or headers), in the error shape."""
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


BINARY = {"schema": {"type": "string", "format": "binary"}}


def upload(description: str, *media: str) -> dict[str, Any]:
    """A request body that is a file in one of these media types, sent as it is."""
    return {"required": True, "description": description, "content": {m: BINARY for m in media}}


def files(description: str, *media: str, **headers: Any) -> dict[str, Any]:
    """A download in one of these media types, named in Content-Disposition."""
    binary = BINARY
    disposition = {"description": "attachment; filename=…", "schema": {"type": "string"}}
    return {
        "description": description,
        "content": {m: {"schema": {}} if m == JSON else binary for m in media},
        "headers": {"Content-Disposition": disposition, **headers},
    }


# -- request bodies per document type -------------------------------------------------------


# Catalog (as its repr) → the components document_schemas published for it. Converting the
# marshmallow schemas is most of an app's build, and every app of a process reads the same forms.
_PUBLISHED: dict[str, dict[str, dict[str, Any]]] = {}


def document_schemas(api: Api, schemas: SchemaFactory) -> None:
    """Publish each type's document schema and its render and issue request bodies."""
    converter = api.ma_plugin.converter
    converter.add_attribute_function(blocks2property)
    converter.add_attribute_function(text2property)
    published = api.spec.components.schemas
    key = repr(schemas.catalog)
    if key not in _PUBLISHED:
        before = set(published)
        convert_document_schemas(api, schemas)
        _PUBLISHED[key] = {n: s for n, s in published.items() if n not in before}
    # Shared between apps: nothing changes a component once published (bodies are copies).
    published.update(_PUBLISHED[key])


def convert_document_schemas(api: Api, schemas: SchemaFactory) -> None:
    """Convert each type's document schema; add the render and issue bodies made from it."""
    converter = api.ma_plugin.converter
    published = api.spec.components.schemas
    for type_id in schemas.catalog.types:
        cls = schemas.document_class(type_id)
        api.spec.components.schema(cls.__name__, schema=cls)
    for key, name in converter.refs.items():
        for check in getattr(key[0], "checks", ()):
            # A check no JSON Schema can say (an authority against the signature: texts compared
            # without accents) is left out here; the server answers it with a 422.
            if check in CHECKS:
                published[name]["anyOf"] = CHECKS[check]
    for type_id in schemas.catalog.types:
        stem = schemas.document_class(type_id).__name__.removesuffix("Document")
        document = published[stem + "Document"]
        api.spec.components.schema(stem + "RenderRequest", render_request(document, type_id))
        api.spec.components.schema(stem + "IssueRequest", issue_request(document, type_id))


def render_request(document: dict[str, Any], type_id: str) -> dict[str, Any]:
    """The body of a render: the document with the control keys `format` and `signing`."""
    body = typed_document(document, type_id)
    body["properties"]["format"] = {
        "type": "string",
        "enum": [*FORMATS, None],
        "nullable": True,
        "description": "pdf (mặc định), pdfa-1b, pdfa-2b hoặc docx; như tham số format.",
    }
    body["properties"]["signing"] = {
        "type": "boolean",
        "nullable": True,
        "description": "Thêm ô chữ ký trống và siêu dữ liệu vào PDF; như tham số signing.",
    }
    return body


def issue_request(document: dict[str, Any], type_id: str) -> dict[str, Any]:
    """The body of an issue: `number` left out (the register gives it), `date` may be blank."""
    body = typed_document(document, type_id)
    body["properties"]["number"] = {
        **body["properties"]["number"],
        "enum": [None],
        "description": "Để trống: sổ văn bản đi cấp số khi ban hành.",
    }
    body["properties"]["date"]["description"] = "Để trống (hoặc thiếu ngày, tháng) là hôm nay."
    body["required"] = [name for name in body["required"] if name != "date"]
    body["properties"]["unit"] = {
        "type": "string",
        "nullable": True,
        "description": "Mã đơn vị, như tham số unit.",
    }
    body["properties"]["sign"] = {
        "type": "boolean",
        "nullable": True,
        "description": "Ký số bằng khóa của đơn vị, như tham số sign.",
    }
    return body


def typed_document(document: dict[str, Any], type_id: str) -> dict[str, Any]:
    """A copy of the type's document schema whose `doc_type` is this type or left out."""
    body = copy.deepcopy(document)
    body["properties"]["doc_type"] = {
        "type": "string",
        "enum": [type_id, None],
        "nullable": True,
        "description": "Loại văn bản: để trống, hoặc đúng loại của đường dẫn.",
    }
    return body


# A required text must keep a character once cleaned (vn.clean_text) and stripped.
VISIBLE = (
    "[^\\s\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\ufffe\\uffff"
    "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]"
)
# The schema-level checks of service.core.schemas, as JSON Schema can say them.
CHECKS: dict[str, list[dict[str, Any]]] = {
    # A day and month that exist in that year (either may be left blank).
    "valid_date": [
        {"properties": {"day": {"maximum": 28}}},
        {"properties": {"month": {"enum": [1, 3, 5, 7, 8, 10, 12, None], "nullable": True}}},
        {"properties": {"month": {"enum": [4, 6, 9, 11]}, "day": {"maximum": 30}}},
        {"properties": {  # 29 February: years 1945-2100 are leap when divisible by 4, but 2100
            "month": {"enum": [2]}, "day": {"enum": [29]},
            "year": {"multipleOf": 4, "not": {"enum": [2100]}},
        }},
    ],
    # A deputy or delegate (KT., TL., TUQ.) signs under the head's title.
    "signer_mode": [
        {"properties": {"mode": {"type": "string", "enum": ["Q", None], "nullable": True}}},
        {"properties": {"head_title": {"type": "string", "pattern": VISIBLE}},
         "required": ["head_title"]},
    ],
}
_BLOCK_ITEMS: dict[type[Schema], type[Schema]] = {}


def text2property(self: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a required text is not blank once cleaned."""
    if isinstance(field, CleanString) and ret.get("minLength") == 1 and "pattern" not in ret:
        return {"pattern": VISIBLE}
    return {}


def blocks2property(self: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a body is an array of blocks told apart by `kind`."""
    if not isinstance(field, Blocks):
        return {}
    # apispec reads a Length validator as string lengths: on a list they count items.
    low, high = ret.pop("minLength", None), ret.pop("maxLength", None)
    mapping = {kind: block_item(self, field, kind) for kind in field.kinds}
    items: dict[str, Any] = {
        "oneOf": list(mapping.values()),
        "discriminator": {
            "propertyName": "kind",
            "mapping": {kind: schema["$ref"] for kind, schema in mapping.items()},
        },
    }
    array: dict[str, Any] = {"type": "array", "items": items}
    if low is not None:
        array["minItems"] = low
    if high is not None:
        array["maxItems"] = high
    return array


def block_item(converter: Any, field: Blocks, kind: str) -> dict[str, Any]:
    """A reference to the schema of one block kind with its `kind` key (published once)."""
    base = type(field.resolve(kind))
    if base not in _BLOCK_ITEMS:
        kind_field = fields.String(required=True, validate=validate.OneOf([kind]))
        _BLOCK_ITEMS[base] = type(base.__name__, (base,), {"kind": kind_field})
    found: dict[str, Any] = converter.resolve_nested_schema(_BLOCK_ITEMS[base])
    return found


# -- the finished document ------------------------------------------------------------------


class ServiceApi(Api):
    """flask-smorest's Api with the service's error schema and no catch-all `default` answer."""

    ERROR_SCHEMA = Error
    DEFAULT_ERROR_RESPONSE_NAME = None  # every status is listed: no catch-all to hide one


def create_api(app: Flask, schemas: SchemaFactory) -> Api:
    """The app's Api: paths through ServicePaths; the error, document and job schemas published."""
    api = ServiceApi(app, spec_kwargs={"flask_plugin": ServicePaths(schemas.catalog)})
    # flask-smorest publishes ERROR_SCHEMA; apispec writes a Meta description instead of the
    # additionalProperties an error must not have, not beside it: the description goes here.
    api.spec.components.schemas["Error"]["description"] = ERROR_DESCRIPTION
    document_schemas(api, schemas)
    for name, schema in job_request_schemas(schemas.catalog).items():
        api.spec.components.schema(name, schema=schema)
    return api


ERROR_DESCRIPTION = "Mọi lỗi của dịch vụ có cùng dạng này."


class ServicePaths(FlaskPlugin):
    """flask-smorest's path plugin, with one path per document type and the shared statuses.

    A route templated on type_id becomes one path per type with that type's body; every
    operation gets an id, the statuses service.web.auth answers before any view, and its
    security.
    """

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog

    def init_spec(self, spec: Any) -> None:
        """Keep the spec: a templated route adds the other types' paths to it."""
        super().init_spec(spec)
        self.spec = spec

    def path_helper(  # type: ignore[override]
        self, rule: Rule | None = None, operations: Any = None, parameters: Any = None,
        path: str | None = None, **kwargs: Any,
    ) -> str | None:
        """The path of a Flask rule, or a path given as it is (another type's, added here)."""
        if rule is None:
            return path
        path = super().path_helper(rule, operations, parameters, **kwargs)
        for parameter in parameters:
            if parameter["name"] == "type_id":
                parameter["schema"] = {"type": "string", "enum": list(self.catalog.types)}
        if path not in TYPE_PATHS:
            return path
        verb, suffix = TYPE_PATHS[path]
        parameters.clear()  # type_id: fixed in each path
        first, *others = self.catalog.types
        for type_id in others:
            self.spec.path(path=path.replace("{type_id}", type_id),
                           operations=self.per_type(operations, type_id, verb, suffix))
        operations.update(self.per_type(operations, first, verb, suffix))
        return path.replace("{type_id}", first)

    def per_type(
        self, templated: dict[str, Any], type_id: str, verb: str, suffix: str
    ) -> dict[str, Any]:
        """The templated route's operations for one type, with that type's body."""
        operations = copy.deepcopy(templated)
        name = self.catalog.types[type_id].name
        for operation in operations.values():
            stem = "".join(part.capitalize() for part in type_id.split("_"))
            operation["operationId"] = f"{verb}_{type_id}"
            operation["summary"] = f"{operation.get('summary', verb)} ({name})"
            operation["requestBody"]["content"][JSON]["schema"] = ref(stem + suffix)
            operation["responses"].pop("404", None)  # the type exists
        return operations

    def operation_helper(
        self, path: str | None = None, operations: Any = None, **kwargs: Any
    ) -> None:
        """Give each operation an id, the statuses every API route answers, its security."""
        for method, operation in (operations or {}).items():
            tidy(str(path), method, operation)


def complete(api: Api, app: Flask) -> None:
    """After every blueprint: /openapi.json, the statuses, the bearer scheme."""
    api.spec.path(rule=next(app.url_map.iter_rules("api-docs.openapi_json")), operations={"get": {
        "summary": "Tài liệu OpenAPI này",
        "tags": ["health"],
        "responses": {"200": {"description": "Tài liệu OpenAPI 3",
                              "content": {JSON: {"schema": {"type": "object"}}}}},
    }})
    publish_components(api)


def tidy(path: str, method: str, operation: dict[str, Any]) -> None:
    """Give an operation an id, the statuses every API route answers, and its security."""
    operation.setdefault("operationId", operation_id(path, method))
    responses = operation["responses"]
    if path in PUBLIC_PATHS:
        operation["security"] = []
    elif path.startswith("/api/"):
        responses.update(errors(401, 403, 429))  # service.web.auth answers them before the view
    for code in list(responses):
        if str(code)[0] in "45" and isinstance(responses[code], str):
            responses[code] = errors(int(code))[str(code)]  # flask-smorest's, e.g. 422 of a query


def operation_id(path: str, method: str) -> str:
    """`get_api_register_entry_id` for GET /api/register/{entry_id}."""
    words = path.replace("{", "").replace("}", "").replace(".", "_").strip("/").split("/")
    return "_".join([method, *words]).replace("-", "_")


def publish_components(api: Api) -> None:
    """The shared error responses and the bearer scheme."""
    components = api.spec.components
    components.schemas.pop("PaginationMetadata", None)  # flask-smorest's; no list pages so
    for code, (name, description) in STATUSES.items():
        components.response(name, error(code, description, **HEADERS.get(code, {})))
    components.security_scheme(SECURITY_SCHEME, {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{SECURITY_SCHEME: []}]
