"""What a local converter's LibreOffice keeps on disk: its lean profile and its pipe's socket."""

from __future__ import annotations

import os
import re
from pathlib import Path

from service.core.files import private_folder

# Where LibreOffice makes the socket of a named pipe: /tmp, or /var/tmp if /tmp is not writable.
PIPE_DIRS = (Path("/tmp"), Path("/var/tmp"))
PIPE_NAME = re.compile(r"vb-[0-9a-f]{32}")  # what a start makes; nothing else gets unlinked

# What a render never needs from LibreOffice, set once in each instance's profile: recovery
# data and autosave, online spell checking, word completion's collecting, OpenCL, Java, macros.
# None of them changes a PDF (tests/integration/test_conversion_output.py compares).
LEAN_SETTINGS = (
    ("/org.openoffice.Office.Recovery/AutoSave", "Enabled", "false"),
    ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
    ("/org.openoffice.Office.Linguistic/SpellChecking", "IsSpellAuto", "false"),
    ("/org.openoffice.Office.Writer/AutoFunction/Completion", "Enable", "false"),
    ("/org.openoffice.Office.Common/Misc", "UseOpenCL", "false"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
    ("/org.openoffice.Office.Common/Save/Document", "CreateBackup", "false"),
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
)
JAVA_OFF = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<java xmlns="http://openoffice.org/2004/java/framework/1.0" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <enabled xsi:nil="false">false</enabled>
 <userClassPath xsi:nil="true"/>
 <vmParameters xsi:nil="true"/>
 <jreLocations xsi:nil="true"/>
 <javaInfo xsi:nil="true"/>
</java>
"""
REGISTRY_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
)
REGISTRY_TAIL = "</oor:items>\n"


def lean_profile(profile: Path) -> bool:
    """Write LEAN_SETTINGS (and Java off) into a LibreOffice profile; False if all are there."""
    # LibreOffice keeps these user settings across its restarts, so an instance's profile is
    # made lean once; a profile an older pool left gets the missing ones added to its own.
    user = profile / "user"
    registry = user / "registrymodifications.xcu"
    lines = [
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
        f"<value>{value}</value></prop></item>\n"
        for path, name, value in LEAN_SETTINGS
    ]
    try:
        current = registry.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = REGISTRY_HEAD + REGISTRY_TAIL
    items = "".join(line for line in lines if line.strip() not in current)
    if not items:
        return False
    head, sep, tail = current.rpartition(REGISTRY_TAIL.strip())
    if not sep:  # not a registry we can read: LibreOffice makes a fresh one
        head, tail = REGISTRY_HEAD, "\n"
    private_folder(user / "config")
    registry.write_text(head + items + REGISTRY_TAIL.strip() + tail, encoding="utf-8")
    (user / "config" / "javasettings_Linux_X86_64.xml").write_text(JAVA_OFF, encoding="utf-8")
    return True


def office_pipe_paths(name: str) -> list[Path]:
    """The places LibreOffice may have put the socket of its pipe `name` for this user."""
    return [folder / f"OSL_PIPE_{os.getuid()}_{name}" for folder in PIPE_DIRS]
