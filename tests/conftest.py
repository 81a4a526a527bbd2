"""Shared fixtures: the catalog, the samples, a rendering service, DOCX and PDF readers."""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docx
import pdfplumber
import pikepdf
import pytest
from flask.testing import FlaskClient

from service.bulk.embedded import EmbeddedRunner
from service.bulk.jobs import BulkJobs
from service.bulk.work import BulkContext
from service.core.converter import Converter
from service.core.documents import DocumentService
from service.settings import Settings
from service.store import accounts as stored_accounts
from service.store.database import Database
from service.store.jobs import SqlJobStore
from tests.fakes import FakeConverter
from tests.speedups import freeze_heap

ROOT = Path(__file__).resolve().parents[1]
# Hashes carry their own cost, so a cheaper one made here still checks the same way; the
# service's 0.1 s per log-in would otherwise be most of the unit suite's time.
stored_accounts.PASSWORD_METHOD = "scrypt:1024:8:1"
SAMPLES = ROOT / "samples"
# The seed plans live in shared/ beside the checkout (as in CI); VB_SEEDS_DIR points elsewhere.
SEEDS = Path(os.environ.get("VB_SEEDS_DIR") or ROOT.parent / "shared" / "seeds")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the tests with what collection built frozen out of garbage collection."""
    freeze_heap()


def load_sample(name: str) -> dict[str, Any]:
    """Read samples/<name>.json."""
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def bulk_base(name: str, commune: str = "xã Y Tịch") -> dict[str, Any]:
    """samples/<name>.json as a bulk base: its texts name its commune by `{ten_xa}`."""

    def general(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(commune, "{ten_xa}")
        if isinstance(value, dict):
            return {k: general(v) for k, v in value.items()}
        if isinstance(value, list):
            return [general(v) for v in value]
        return value

    sample = load_sample(name)
    return {k: v if k == "issuer" else general(v) for k, v in sample.items()}


def sample_names() -> list[str]:
    """Every sample's stem."""
    return sorted(p.stem for p in SAMPLES.glob("*.json"))


def docx_text(data: bytes) -> str:
    """All paragraph text of a DOCX, body and table cells in document order."""
    document = docx.Document(io.BytesIO(data))
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    # A w:noBreakHyphen (inside references such as 06/QĐ-TTg) reads as the hyphen it shows.
    return "\n".join(
        "".join(
            t.text or "" if t.tag == ns + "t" else "-"
            for t in p.iter(ns + "t", ns + "noBreakHyphen")
        )
        for p in document.element.body.iter(ns + "p")
    )


def pdf_pages(pdf: bytes | Path) -> int:
    """How many pages a PDF (its bytes or its file) has."""
    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as document:
        return len(document.pages)


def pdf_page_texts(pdf: bytes | Path) -> list[str]:
    """Each page's text, stripped ("" for a blank page)."""
    with pdfplumber.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as document:
        return [(page.extract_text() or "").strip() for page in document.pages]


def normalise(text: str) -> str:
    """Collapse whitespace for comparisons of extracted text."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="session")
def documents() -> DocumentService:
    """A DocumentService without a converter (DOCX only)."""
    return DocumentService(None)


@pytest.fixture(scope="session")
def rendered_samples(documents: DocumentService) -> dict[str, Any]:
    """Every sample rendered once to DOCX."""
    out = {}
    for name in sample_names():
        payload = load_sample(name)
        out[name] = documents.render(payload["doc_type"], payload)
    return out


@functools.cache
def built_template(name: str) -> bytes:
    """doc_templates/<name> as the template builder writes it now, built once per test run."""
    from service.core.template_builder import TEMPLATE_FILES, build

    out = io.BytesIO()
    build(TEMPLATE_FILES[name]).save(out)
    return out.getvalue()


@functools.cache
def migrated_sqlite() -> Path:
    """A SQLite file migrated to the latest schema once per test run, for tests to copy."""
    path = Path(tempfile.mkdtemp(prefix="vb-schema-")) / "vanban.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


def copy_of_migrated(target: Path) -> Path:
    """Put a migrated SQLite file at target (a start-up migration then finds nothing to do)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_sqlite(), target)
    return target


CALLER = "TEST_BEARER"


class CallerClient(FlaskClient):
    """A test client sending the app's test key (every API scope, every unit) by default.

    `app.test_client(token=None)` calls without credentials; `token=...` as another key.
    """

    def __init__(self, *args: Any, token: str | None | bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if token is True:
            token = self.application.config.get(CALLER)
        if token:
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"


TEST_PASSWORD = "mat-khau-thu-nghiem"


def signed_in(app: Any, username: str, role: str, unit: str | None = None, **options: Any) -> Any:
    """A test client logged in through the log-in page as a new account (a browser session)."""
    app.extensions["vb_services"].accounts.create(
        username, role, unit, password=TEST_PASSWORD, **options
    )
    client = app.test_client(token=None)
    response = log_in(client, username, TEST_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def csrf_of(page: str) -> str:
    """The CSRF token of a page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(client: Any, username: str, password: str) -> Any:
    """POST the log-in form with the session's CSRF token; the response."""
    csrf = csrf_of(client.get("/dang-nhap", headers={"Accept": "text/html"}).get_data(
        as_text=True))
    return client.post("/dang-nhap", data={"username": username, "password": password,
                                           "csrf_token": csrf}, headers={"Accept": "text/html"})


def client_as(app: Any, name: str, **scope: Any) -> Any:
    """A test client calling with a new key of this name (the actor "key:<name>")."""
    token = grant_key(app.extensions["vb_services"], name=name, **scope)
    return app.test_client(token=token)


def grant_key(services: Any, **scope: Any) -> str:
    """A new API key's token: every API scope over every unit, unless `scope` narrows it."""
    from service.usecases.access import KEY_SCOPES

    options: dict[str, Any] = {"units": None, "created_by": "tests",
                               "known_types": services.documents.catalog.types}
    options.update(scope)
    scopes = options.pop("scopes", [s.value for s in KEY_SCOPES])
    _, token = services.api_keys.create(options.pop("name", "tests"), scopes, **options)
    return str(token)


@contextmanager
def app_builder(folder: Path) -> Iterator[Callable[..., Any]]:
    """Build Flask apps on a SQLite database in folder (a fake converter by default); close them."""
    from service.composition import build_services
    from service.web.app import create_app

    built: list[Any] = []

    def build(converter: Converter | None = None, **overrides: Any) -> Any:
        settings = Settings.from_env({}, data_dir=folder / "var", **overrides)
        if not (settings.data_dir / "vanban.db").exists():
            copy_of_migrated(settings.data_dir / "vanban.db")
        services = build_services(settings, converter=converter or FakeConverter())
        built.append(services)
        app = create_app(services)
        app.test_client_class = CallerClient
        app.config[CALLER] = grant_key(services)
        return app

    try:
        yield build
    finally:
        for services in built:
            services.close()


@pytest.fixture()
def bulk_jobs(tmp_path: Path) -> BulkJobs:
    """Bulk jobs on a fresh SQLite database, run by two threads on the fake converter."""
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    ctx = BulkContext(SqlJobStore(database), DocumentService(FakeConverter()), tmp_path / "jobs")
    return BulkJobs(ctx, EmbeddedRunner(ctx, workers=2))


@pytest.fixture()
def make_app(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Build the Flask app on a fresh SQLite database in tmp_path (a fake converter by default)."""
    with app_builder(tmp_path) as build:
        yield build


@pytest.fixture(scope="module")
def make_module_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Any]]:
    """make_app for a module whose tests may share one app and database."""
    with app_builder(tmp_path_factory.mktemp("app")) as build:
        yield build
