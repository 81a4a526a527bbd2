"""Files kept under tokens: unguessable, refused when malformed, safe names, gone when old."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from service.bulk.inputs import InputNotFound, InputStore, Kept
from service.core.preview import PreviewNotFound, PreviewStore
from service.core.token_store import TOKEN, TokenNotFound, TokenStore
from tests.conftest import load_sample
from tests.fakes import blank_pdf

BASE = load_sample("seed_000_ke_hoach_y_tich")
DAY = 24 * 3600.0


ANYONE = lambda owner: True  # noqa: E731 - a reader who sees every unit


def age(folder: Path, seconds: float) -> None:
    """Make a token folder look last changed `seconds` ago."""
    then = time.time() - seconds
    os.utime(folder, (then, then))


def test_a_token_is_144_random_bits_and_a_malformed_one_never_reaches_the_disk(
    tmp_path: Path,
) -> None:
    store = TokenStore(tmp_path / "kept", 60.0)
    tokens = {store.new() for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) == 24 and TOKEN.match(t) for t in tokens)
    for bad in ("", "short", "../" + "a" * 20, "a" * 65, "a" * 20 + "/..", "a b" * 8):
        with pytest.raises(TokenNotFound):
            store.path(bad)
        with pytest.raises(TokenNotFound):
            store.read(bad, "x.json")
    with pytest.raises(TokenNotFound):
        store.files("b" * 24)  # well formed, never made


def test_kept_names_stay_inside_the_token_folder(tmp_path: Path) -> None:
    store = TokenStore(tmp_path, 60.0)
    token = store.new()
    names = ["../../etc/passwd", "xa lạng sơn.csv", "a:b?*.xlsx", "..", " ", "x" * 200 + ".csv"]
    safe = [store.write(token, name, b"1") for name in names]
    assert safe == ["passwd", "xa lạng sơn.csv", "a_b_.xlsx", "tep", "tep", "x" * 120]
    assert sorted(p.name for p in store.files(token)) == sorted(set(safe))
    assert {p.parent for p in store.files(token)} == {tmp_path / token}


def test_old_folders_go_and_other_folders_stay(tmp_path: Path) -> None:
    store = TokenStore(tmp_path, 60.0)
    old, fresh = store.new(), store.new()
    (tmp_path / ".documents").mkdir()  # another store's root, older than any token
    age(tmp_path / old, 61)
    age(tmp_path / ".documents", 3600)
    store.expire()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".documents", fresh])


def test_a_previews_document_outlives_its_images_and_is_a_bulk_input(tmp_path: Path) -> None:
    previews = PreviewStore(tmp_path / "previews")
    inputs = InputStore(tmp_path / "jobs" / ".inputs", previews=previews)
    token = previews.save(blank_pdf(), b"docx", {"pdf": "a.pdf"}, BASE).token
    name, content = previews.document(token, visible=ANYONE)
    assert name == "ke_hoach.json" and json.loads(content) == BASE
    assert inputs.get(token, visible=ANYONE) == Kept(content, name, token)

    age(tmp_path / "previews" / token, 3601)  # an hour: the images and downloads go
    previews.save(blank_pdf(), b"docx", {"pdf": "b.pdf"}, BASE)
    with pytest.raises(PreviewNotFound):
        previews.get(token, visible=ANYONE)
    with pytest.raises(PreviewNotFound):
        previews.file(token, "pdf", visible=ANYONE)
    assert previews.document(token, visible=ANYONE) == (name, content)
    assert inputs.get(token, visible=ANYONE).content == content

    age(previews.documents.path(token), DAY + 1)  # a day: the document goes too
    previews.save(blank_pdf(), b"docx", {"pdf": "c.pdf"}, BASE)
    with pytest.raises(PreviewNotFound):
        previews.document(token, visible=ANYONE)
    with pytest.raises(InputNotFound):
        inputs.get(token, visible=ANYONE)


def test_a_kept_input_is_not_a_preview(tmp_path: Path) -> None:
    previews = PreviewStore(tmp_path / "previews")
    inputs = InputStore(tmp_path / ".inputs", previews=previews)
    token = inputs.keep(json.dumps(BASE).encode(), "goc.json")
    assert inputs.get(token, visible=ANYONE).name == "goc.json"
    with pytest.raises(PreviewNotFound):
        previews.document(token, visible=ANYONE)
    with pytest.raises(InputNotFound):
        InputStore(tmp_path / ".inputs").get("c" * 24, visible=ANYONE)


def test_a_token_is_seen_only_by_the_unit_it_was_made_for(tmp_path: Path) -> None:
    previews = PreviewStore(tmp_path / "previews")
    inputs = InputStore(tmp_path / ".inputs", previews=previews)
    token = previews.save(blank_pdf(), b"docx", {"pdf": "a.pdf"}, BASE, owner="y-tich").token
    theirs, mine = (lambda owner: owner == "thanh-linh"), (lambda owner: owner == "y-tich")
    for read in (
        lambda visible: previews.get(token, visible=visible),
        lambda visible: previews.file(token, "pdf", visible=visible),
        lambda visible: previews.page_png(token, 1, visible=visible),
        lambda visible: previews.document(token, visible=visible),
        lambda visible: inputs.get(token, visible=visible),
    ):
        read(mine)
        with pytest.raises(TokenNotFound):
            read(theirs)
    kept = inputs.keep(b"commune\nXa A\n", "bang.csv", owner="y-tich")
    assert inputs.get(kept, visible=mine).name == "bang.csv"
    with pytest.raises(InputNotFound):
        inputs.get(kept, visible=theirs)
    assert [p.name for p in inputs.tokens.files(kept)] == ["bang.csv"]  # the owner is no file
