"""The forms drawn from the definitions (each type's, the unit profile's) mark as required
exactly the inputs the server refuses blank."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest

from service.core.definitions import load_catalog
from tests.conftest import csrf_of, signed_in

HTML = {"Accept": "text/html"}
# Each form with what stays typed: a unit's code, which is optional but made from a valid
# profile's agency, so that with the rest blank it would be refused too.
FORMS = [(f"/van-ban/{type_id}", {}) for type_id in sorted(load_catalog().types)]
FORMS.append(("/don-vi/moi", {"slug": "y-tich"}))
DRAWN = "//form[contains(concat(' ', @class, ' '), ' doc-form ')]"


@pytest.fixture(scope="module")
def clerk(make_module_app: Any) -> Any:
    """A quản trị's browser session (every form, none prefilled by a unit)."""
    return signed_in(make_module_app(), "quan.tri", "quan_tri")


def blank_form(page: str) -> dict[str, str]:
    """The form's inputs as a clerk who fills nothing sends them (a select's blank choice)."""
    [form] = lxml.html.fromstring(page).xpath(DRAWN)
    sent: dict[str, str] = {}
    for element in form.xpath(".//input[@name] | .//textarea[@name] | .//select[@name]"):
        name, kind = element.get("name"), element.get("type")
        if kind == "checkbox":
            continue
        if kind == "hidden":
            sent[name] = element.get("value", "")
        elif element.tag == "select":
            choices = element.xpath("./option/@value | ./option[not(@value)]/text()")
            sent[name] = "" if "" in choices else choices[0]
        else:
            sent[name] = ""
    return sent


def marked(page: str, blank: dict[str, str]) -> set[str]:
    """The blank inputs with the required attribute, and the lists whose legend is marked."""
    [form] = lxml.html.fromstring(page).xpath(DRAWN)
    inputs = {e.get("name") for e in form.xpath(".//*[@name][@required]")}
    lists = form.xpath(".//fieldset[@data-list][legend/abbr[@class='req']]/@data-key")
    return {name for name in inputs if blank.get(name) == ""} | set(lists)


def refused(page: str) -> set[str]:
    """The inputs and lists the error summary names."""
    summary = lxml.html.fromstring(page).xpath("//*[@id='loi']//a/@href")
    return {href.removeprefix("#f-").removeprefix("#i-") for href in summary}


@pytest.mark.parametrize(("path", "typed"), FORMS)
def test_the_marks_are_what_the_server_refuses_blank(
    clerk: Any, path: str, typed: dict[str, str]
) -> None:
    page = clerk.get(path, headers=HTML).get_data(as_text=True)
    blank = {**blank_form(page), **typed}
    answer = clerk.post(path, headers=HTML, data={
        **blank, "csrf_token": csrf_of(page), "_action": "preview"})
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 422, shown[:2000]
    assert refused(shown) == marked(shown, blank)
    assert marked(shown, blank) == marked(page, blank)  # the first page marks them too


def test_every_required_input_shows_the_mark_by_its_label(clerk: Any) -> None:
    for path, _ in FORMS:
        page = lxml.html.fromstring(clerk.get(path, headers=HTML).get_data(as_text=True))
        for element in page.xpath(DRAWN + "//*[@name][@required]"):
            label = page.xpath(f"//label[@for='{element.get('id')}']")
            assert label and label[0].xpath("./abbr[@class='req']"), element.get("name")
