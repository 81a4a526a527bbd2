"""What the commands print: no library's warnings, and the first start's address and password."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_a_command_that_loads_pyhanko_prints_no_warning(tmp_path: Path) -> None:
    env = {**os.environ, "VB_DATA_DIR": str(tmp_path / "var")}
    done = subprocess.run(  # -X importtime lists, on stderr too, every module the command loads
        [sys.executable, "-X", "importtime", "-m", "service", "user", "add", "lan",
         "--role", "quan_tri"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"\| +pyhanko\.sign\.signers\.pdf_cms$", done.stderr, re.MULTILINE)
    assert re.findall(r".*\w+Warning: .*", done.stderr) == []
