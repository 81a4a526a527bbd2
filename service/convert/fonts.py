"""The fonts the converters' LibreOffice sets documents in: the system's, and an office's own.

Documents ask for Times New Roman, which Debian does not ship; LibreOffice then sets them in
Liberation Serif, whose letters are exactly as wide, so lines and pages fall the same. An
office that owns a licence puts Times New Roman's files in a folder (VB_FONT_DIR): the
converters find it through a fontconfig file that adds that folder to the system's fonts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from service.core.files import private_folder, write_atomic

ASKED = "Times New Roman"
CONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{folder}</dir>
</fontconfig>
"""


def environment(font_dir: Path | None, work_dir: Path) -> dict[str, str]:
    """What a converter's environment needs to see the office's own fonts ({} without any)."""
    if font_dir is None:
        return {}
    config = work_dir / "fonts.conf"
    private_folder(work_dir)
    write_atomic(config, CONFIG.format(folder=font_dir.resolve()).encode())
    return {"FONTCONFIG_FILE": str(config.resolve())}


def serif_face(env: dict[str, str]) -> str:
    """The family fontconfig gives for Times New Roman: itself, or its stand-in."""
    if shutil.which("fc-match") is None:
        return "unknown (fc-match not installed)"
    found = subprocess.run(
        ["fc-match", "-f", "%{family[0]}", ASKED], capture_output=True, text=True, timeout=30,
        env={**_base_env(), **env}, check=False,
    )
    return found.stdout.strip() or "unknown"


def described(face: str) -> str:
    """The face as /health reports it."""
    if face == ASKED:
        return ASKED
    same_widths = "; metric-compatible" if face == "Liberation Serif" else ""
    return f"{face} (in place of {ASKED}{same_widths})"


def _base_env() -> dict[str, str]:
    """The process environment fc-match needs (PATH, HOME) without FONTCONFIG_FILE."""
    return {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
