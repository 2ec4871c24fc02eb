"""Languages: Indonesian by default, English by a switch that persists; complete catalogue."""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from service.web.i18n import LANGUAGE_COOKIE
from service.web.i18n import TRANSLATIONS_DIR
from service.web.i18n import compile_catalogs
from tests.service.api.world import World
from tests.service.web.conftest import csrf_token
from tests.service.web.conftest import sign_in

WEB_DIR = TRANSLATIONS_DIR.parent
PO_FILE = TRANSLATIONS_DIR / "id" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _switch(client: FlaskClient, language: str, back_to: str = "/login") -> object:
    return client.post(
        "/language",
        data={"lang": language, "next": back_to, "csrf_token": csrf_token(client, back_to)},
    )


def test_pages_are_indonesian_by_default(client: FlaskClient, world: World) -> None:
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="id">' in body
    assert '<h1 id="login-title">Masuk</h1>' in body


def test_switch_to_english_persists_in_a_cookie(client: FlaskClient, world: World) -> None:
    answer = _switch(client, "en")
    assert (answer.status_code, answer.headers["Location"]) == (302, "/login")
    cookie = answer.headers["Set-Cookie"]
    assert f"{LANGUAGE_COOKIE}=en" in cookie
    assert "Max-Age=31536000" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    sign_in(client, "supervisor")  # a new session keeps the language
    body = client.get("/team").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert ">My team</h1>" in body and "Tim saya" not in body
    assert _switch(client, "id", "/team").headers["Location"] == "/team"
    assert ">Tim saya</h1>" in client.get("/team").get_data(as_text=True)


@pytest.mark.parametrize("language", ["fr", "", "../etc"])
def test_unknown_language_is_ignored(client: FlaskClient, world: World, language: str) -> None:
    answer = _switch(client, language)
    assert LANGUAGE_COOKIE not in answer.headers.get("Set-Cookie", "")
    client.set_cookie(LANGUAGE_COOKIE, language)
    assert '<html lang="id">' in client.get("/login").get_data(as_text=True)


def test_switch_never_redirects_off_site(client: FlaskClient, world: World) -> None:
    answer = client.post(
        "/language",
        data={"lang": "en", "next": "https://evil.example/", "csrf_token": csrf_token(client)},
    )
    assert answer.headers["Location"] == "/"


def test_every_text_of_the_pages_has_an_indonesian_translation() -> None:
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle)
    found = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(WEB_DIR), METHODS, keywords=KEYWORDS)
    }
    assert found, "no message was extracted"
    untranslated = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert untranslated == []


def test_the_catalogue_names_each_text_once() -> None:
    """Merged branches each append their texts; a text added twice would be translated by
    whichever entry the compiler keeps last."""
    entries = re.findall(r'^msgid ((?:".*"\n)+)(?!msgid_plural)', PO_FILE.read_text(), re.M)
    repeated = sorted({entry for entry in entries if entries.count(entry) > 1})
    assert repeated == []


def test_catalogue_is_compiled_when_missing(tmp_path: Path) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    built = compile_catalogs(copy)
    assert built == [copy / "id" / "LC_MESSAGES" / "messages.mo"]
    assert compile_catalogs(copy) == []  # up to date: nothing to do
    translations = gettext.translation("messages", str(copy), languages=["id"])
    assert translations.gettext("Sign in") == "Masuk"


def test_every_page_declares_who_may_open_it(app: Flask) -> None:
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.")
        and rule.endpoint != "web.static"
        and not hasattr(app.view_functions[rule.endpoint], "__access__")
    ]
    assert undeclared == []


def test_switch_on_a_refused_form_goes_to_a_page_that_opens(
    client: FlaskClient, world: World
) -> None:
    """A refused form is shown at the address it was posted to, which answers no GET."""
    sign_in(client, "supervisor")
    token = csrf_token(client, "/team")
    refused = client.post("/team/evaluation", data={"employee_id": "", "csrf_token": token})
    assert refused.status_code == 422
    form = (
        refused.get_data(as_text=True).split('class="language-switch"', 1)[1].split("</form>")[0]
    )
    back_to = re.search(r'name="next" value="([^"]*)"', form)
    data = {"lang": "en", "csrf_token": token, **({"next": back_to.group(1)} if back_to else {})}
    answer = client.post("/language", data=data, follow_redirects=True)
    assert answer.status_code == 200
    assert '<html lang="en">' in answer.get_data(as_text=True)
