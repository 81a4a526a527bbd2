"""The service's own imports are installed by `pip install .`, not only by the test extra.

Celery and psycopg are extras: the defaults (embedded runner, SQLite) run without them.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest

from service.composition import build_services
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Installed by Debian (python3-uno), not by pip, and imported only by the unoserver server.
SYSTEM = {"uno", "unohelper"}
# What an optional extra installs, imported by its backend's modules alone: module -> files.
OPTIONAL = {"celery": {"service/celery_worker.py", "service/worker/dispatch.py"}}


def imported_modules() -> dict[str, set[str]]:
    """Top-level names the modules under service/ import, each with the files importing it."""
    names: dict[str, set[str]] = defaultdict(set)
    for path in (ROOT / "service").rglob("*.py"):
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names[alias.name.split(".")[0]].add(where)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names[node.module.split(".")[0]].add(where)
    ignored = set(sys.stdlib_module_names) | {"service", "__future__"} | SYSTEM
    return {name: files for name, files in names.items() if name not in ignored}


def declared_closure() -> set[str]:
    """Distributions the main dependencies bring, with everything they require in turn."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = [_name(spec) for spec in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:  # required only on other platforms (tzdata on Windows)
            continue
        for spec in needs:
            if "extra ==" not in spec:
                todo.append(_name(spec))
    return seen


def _name(spec: str) -> str:
    return re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower().replace("_", "-")


def test_every_import_of_the_service_is_a_main_dependency() -> None:
    owners = packages_distributions()
    declared = declared_closure()
    missing = {
        module: owners.get(module, ["?"])
        for module, files in imported_modules().items()
        if not files <= OPTIONAL.get(module, set())
        and not any(_name(dist) in declared for dist in owners.get(module, []))
    }
    assert not missing, f"imported by service/ but not in [project] dependencies: {missing}"


def test_the_optional_backends_are_extras() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert {_name(spec) for spec in extras["celery"]} == {"celery"}
    assert {_name(spec) for spec in extras["postgres"]} == {"psycopg"}
    assert "vanban-service[celery,postgres]" in extras["test"]  # CI runs their tests
    declared = declared_closure()
    assert "celery" not in declared and "psycopg" not in declared


def test_the_defaults_run_without_celery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "celery", None)  # what `import celery` meets when absent
    monkeypatch.delitem(sys.modules, "service.worker.dispatch", raising=False)
    services = build_services(Settings.from_env({}, data_dir=tmp_path), convert=False)
    services.close()
    settings = Settings.from_env({}, data_dir=tmp_path, bulk_backend="celery")
    with pytest.raises(ModuleNotFoundError, match=r"VB_BULK_BACKEND=celery needs Celery"):
        build_services(settings, convert=False)
