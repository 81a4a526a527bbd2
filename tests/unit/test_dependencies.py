"""The service's own imports are installed by `pip install .`, not only by the test extra."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Installed by Debian (python3-uno), not by pip, and imported only by the unoserver server.
SYSTEM = {"uno", "unohelper"}


def imported_modules() -> set[str]:
    """Top-level names every module under service/ imports."""
    names: set[str] = set()
    for path in (ROOT / "service").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"service", "__future__"} - SYSTEM


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
        for module in imported_modules()
        if not any(_name(dist) in declared for dist in owners.get(module, []))
    }
    assert not missing, f"imported by service/ but not in [project] dependencies: {missing}"
