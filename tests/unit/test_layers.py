"""The layering in service/layers.py holds: no upward import, no adapter importing another."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from service.layers import FRAMEWORK_FREE, FRAMEWORKS, LAYERS, SEALED_ADAPTERS

PACKAGE = Path(__file__).resolve().parents[2] / "service"
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}


def module_name(path: Path) -> str:
    """`service/web/app.py` → `service.web.app`."""
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def owner(name: str, prefixes: Iterable[str]) -> str | None:
    """The longest prefix (a dotted package or module) that `name` lies under."""
    found = [p for p in prefixes if name == p or name.startswith(p + ".")]
    return max(found, key=len) if found else None


def layer_of(name: str) -> str:
    """The layer a service module belongs to."""
    prefixes = {p: layer for layer, members in LAYERS for p in members}
    prefix = owner(name, prefixes)
    if prefix is None:
        raise AssertionError(f"{name} is in no layer of service/layers.py")
    return prefixes[prefix]


def absolute(name: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The module a `from` import names, relative ones (`from ..store import x`) resolved."""
    if node.level == 0:
        return node.module or ""
    # A module's own package is itself when it is a package's __init__, else its parent.
    parts = name.split(".") if is_package else name.split(".")[:-1]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(source: str, name: str = "", is_package: bool = False) -> Iterator[str]:
    """Every module a source imports, at any depth (function-level imports included)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = absolute(name, node, is_package)
            if module:
                yield module
            # `from service.store import jobs` imports the module service.store.jobs.
            yield from (f"{module}.{alias.name}".lstrip(".") for alias in node.names)


def violations(modules: Iterable[tuple[str, str]]) -> list[str]:
    """The broken rules of (module name, source) pairs, one line each."""
    found = []
    for name, source in modules:
        layer = layer_of(name)
        is_package = name.split(".")[-1] == "__init__"
        name = name.removesuffix(".__init__")
        for target in set(imports(source, name, is_package)):
            root = target.split(".")[0]
            if root in FRAMEWORKS and layer in FRAMEWORK_FREE:
                found.append(f"{name} ({layer}) imports {target}")
            if root != "service" or target == "service":
                continue
            if owner(target, [p for _, members in LAYERS for p in members]) is None:
                continue  # `from service.x import name` also yields service.x.name
            target_layer = layer_of(target)
            if RANK[target_layer] > RANK[layer]:
                found.append(f"{name} ({layer}) imports {target} ({target_layer})")
            mine, theirs = owner(name, SEALED_ADAPTERS), owner(target, SEALED_ADAPTERS)
            if mine and theirs and mine != theirs:
                found.append(f"{name} imports another adapter: {target}")
    return sorted(set(found))


def service_modules() -> list[tuple[str, str]]:
    """Every module of the service package with its source."""
    return [
        (module_name(path), path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_the_service_keeps_its_layers() -> None:
    assert violations(service_modules()) == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "service.core.render",
            "from service.store.database import Database",
            "service.core.render (core) imports service.store.database (adapters)",
        ),
        (
            "service.usecases.issuing",
            "def f():\n    from service.web.context import services",
            "service.usecases.issuing (usecases) imports service.web.context (adapters)",
        ),
        (
            "service.bulk.work",
            "import sqlalchemy",
            "service.bulk.work (usecases) imports sqlalchemy",
        ),
        (
            "service.web.pages",
            "from service.store import units",
            "service.web.pages imports another adapter: service.store.units",
        ),
        (
            "service.web.pages",
            "from ..store.units import SqlUnits",
            "service.web.pages imports another adapter: service.store.units",
        ),
        (
            "service.core.render",
            "def f():\n    from ..web import context",
            "service.core.render (core) imports service.web.context (adapters)",
        ),
        (
            "service.web.__init__",
            "from .. import composition",
            "service.web (adapters) imports service.composition (root)",
        ),
        (
            "service.web.app",
            "from service.composition import build_services",
            "service.web.app (adapters) imports service.composition (root)",
        ),
    ],
)
def test_a_planted_upward_import_is_caught(module: str, source: str, expected: str) -> None:
    assert expected in violations([(module, source)])


def test_an_import_downward_is_allowed() -> None:
    source = "from service.core.documents import DocumentService"
    assert violations([("service.web.api", source)]) == []


def runtime_source(source: str) -> str:
    """The source without its `if TYPE_CHECKING:` blocks: imports for annotations only."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                kept = [
                    child for child in block
                    if not (isinstance(child, ast.If) and ast.unparse(child.test).endswith(
                        "TYPE_CHECKING"))
                ]
                if len(kept) != len(block):
                    setattr(node, field, kept or [ast.Pass()])
    return ast.unparse(tree)


def import_graph(modules: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Each service module → the service modules it imports when it runs, relative resolved.

    A submodule importing its own package (`from service.web import csrf` runs
    service/web/__init__.py) is how packages load, not a circle anyone wrote: left out.
    """
    modules = list(modules)
    names = {name.removesuffix(".__init__") for name, _ in modules}
    graph: dict[str, set[str]] = {}
    for name, source in modules:
        is_package = name.endswith(".__init__")
        own = name.removesuffix(".__init__")
        graph[own] = {
            target for target in imports(runtime_source(source), own, is_package)
            if target in names and target != own and not own.startswith(target + ".")
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of a graph, each as the modules around it (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_circle() -> None:
    assert cycles(import_graph(service_modules())) == []


def test_a_planted_circle_is_caught() -> None:
    planted = [
        ("service.convert.pool", "from service.convert.supervisor import Supervisor"),
        ("service.convert.supervisor", "def f():\n    from .pool import ConverterPool"),
    ]
    assert cycles(import_graph(planted)) == [["service.convert.pool", "service.convert.supervisor"]]


MAX_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


# The web features: each a set of routes. They share helpers through the web's shared modules
# (auth, context, errors, http, openapi, schemas, …), never through one another; the pages
# blueprint mounts the unit pages, which is the one feature-to-feature import.
WEB_FEATURES = (
    "admin_pages", "api", "auth_pages", "copies", "copy_pages", "draft_pages", "drafts_api",
    "job_pages", "jobs_api", "pages", "register", "register_pages", "unit_pages",
)
MOUNTED = {("service.web.pages", "service.web.unit_pages")}


def test_web_features_share_helpers_only_through_shared_modules() -> None:
    features = {f"service.web.{name}" for name in WEB_FEATURES}
    graph = import_graph(service_modules())
    crossing = {
        (module, target)
        for module in features
        for target in graph[module]
        if target in features
    }
    assert crossing == MOUNTED
