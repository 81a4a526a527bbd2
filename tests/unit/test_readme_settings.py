"""The README's settings table lists exactly the settings the service declares, with defaults."""

from __future__ import annotations

import re
from pathlib import Path

from service.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rows() -> list[tuple[list[str], str]]:
    """(variables, default column) of each row of the README's `## Settings` table."""
    section = README.read_text(encoding="utf-8").split("\n## Settings\n", 1)[1].split("\n## ")[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `VB_"):
            cells = line.split("|")
            rows.append((re.findall(r"`(VB_[A-Z_]+)`", cells[1]), cells[2]))
    return rows


def test_the_readme_lists_every_setting_once() -> None:
    listed = [name for names, _ in readme_rows() for name in names]
    declared = [name for name, _, _ in Settings.describe()]
    assert sorted(listed) == sorted(declared)
    assert len(listed) == len(set(listed))


def test_the_readme_gives_each_default() -> None:
    defaults = {name: column for names, column in readme_rows() for name in names}
    for name, default, _ in Settings.describe():
        if name == "VB_POOL_SIZE":
            assert "CPU count" in defaults[name]  # the machine's, not a fixed number
        elif default in ("", ()):
            assert "empty" in defaults[name], name
        else:
            shown = f"{default:g}" if isinstance(default, float) else str(default)
            shown = shown.lower() if isinstance(default, bool) else shown  # as it is set
            assert f"`{shown}`" in defaults[name], (name, default, defaults[name])
