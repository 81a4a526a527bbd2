"""Application factory: the API, pages, register and bulk features on the given services."""

from __future__ import annotations

import secrets
from typing import Any

import swagger_ui_bundle
from flask import Flask, send_from_directory
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from service.settings import Settings
from service.usecases.services import Services
from service.web import (
    admin_pages,
    auth,
    auth_pages,
    copies,
    copy_pages,
    draft_pages,
    drafts_api,
    errors,
    job_pages,
    jobs_api,
    metrics,
    openapi,
    pages,
    register,
    register_pages,
    request_log,
    security,
)
from service.web.api import blp, health_blp
from service.web.context import EXTENSION


def secret_key(settings: Settings) -> str:
    """The configured secret key, or one generated once and kept in the data folder."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


class CompiledPages(BytecodeCache):
    """Page templates compiled once per process and shared by every app built in it."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Give the bucket the code compiled before, if its source is unchanged."""
        # The bucket's checksum of the source discards stale code.
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep what was just compiled."""
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_PAGES = CompiledPages()


def create_app(services: Services) -> Flask:
    """Build the app on services from service.composition.build_services."""
    settings = services.settings
    app = Flask(__name__)
    # Compiling the pages costs more than building the rest of an app (tests build many).
    app.jinja_options = {**Flask.jinja_options, "bytecode_cache": COMPILED_PAGES}
    app.config.update(
        VB_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        API_TITLE="Dịch vụ soạn văn bản hành chính (Nghị định 30/2020/NĐ-CP)",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from the bundled package: the docs page must work on an offline intranet.
        OPENAPI_SWAGGER_UI_URL="/swagger-ui/",
        JSON_AS_ASCII=False,
        SECRET_KEY=secret_key(settings),
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = services
    request_log.init_app(app)
    metrics.init_app(app)
    api = openapi.create_api(app, services.documents.schemas)
    api.register_blueprint(blp)
    api.register_blueprint(health_blp)
    errors.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    app.register_blueprint(auth_pages.bp)
    app.register_blueprint(admin_pages.bp)
    for feature in (
        pages, register, register_pages, jobs_api, job_pages, copies, copy_pages, drafts_api,
        draft_pages,
    ):
        feature.init_app(app, api)
    openapi.complete(api, app)

    @app.get("/swagger-ui/<path:name>")
    def swagger_assets(name: str) -> Any:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, name)

    return app
