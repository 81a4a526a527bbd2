"""The converters set Times New Roman in the office's own copy when given one, else in its
metric-compatible stand-in, and /health says which."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fontTools.ttLib import TTFont

from service.convert import fonts

LIBERATION = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")


def renamed_times(folder: Path) -> Path:
    """A font file whose family is Times New Roman (Liberation Serif's outlines, renamed)."""
    font = TTFont(str(LIBERATION))
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = "Times New Roman"
        elif record.nameID == 6:
            record.string = "TimesNewRomanPSMT"
    folder.mkdir(parents=True)
    path = folder / "times.ttf"
    font.save(str(path))
    return path


def test_without_the_offices_fonts_times_is_set_in_liberation_serif(tmp_path: Path) -> None:
    assert fonts.environment(None, tmp_path) == {}
    face = fonts.serif_face({})
    assert face == "Liberation Serif"
    assert fonts.described(face) == (
        "Liberation Serif (in place of Times New Roman; metric-compatible)")


def test_a_font_folder_given_its_times_new_roman_is_used(tmp_path: Path) -> None:
    renamed_times(tmp_path / "fonts")
    env = fonts.environment(tmp_path / "fonts", tmp_path / "pool")
    assert env == {"FONTCONFIG_FILE": str((tmp_path / "pool" / "fonts.conf").resolve())}
    assert fonts.serif_face(env) == "Times New Roman"
    assert fonts.described("Times New Roman") == "Times New Roman"
    # The system's fonts stay: only the folder is added.
    system = subprocess.run(["fc-match", "-f", "%{family[0]}", "Liberation Sans"], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert system == "Liberation Sans"
