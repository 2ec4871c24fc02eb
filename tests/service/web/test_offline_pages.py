"""Offline use: the manifest and the service worker as a browser gets them (type, caching,
scope), the version that renames the worker's cache, and what the pages carry for the
outbox (the worker's address, the user, the texts in the page's language)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from service.web.offline import STATIC_DIR
from service.web.offline import asset_version
from service.web.offline import digest_of
from tests.service.api.world import World
from tests.service.web.conftest import sign_in

CONFIG = re.compile(r"^var CONFIG = (\{.*\});$", re.M)
TEXTS = re.compile(r'<script type="application/json" id="offline-texts">(.*?)</script>', re.S)


def test_the_service_worker_is_served_from_the_root_as_javascript(client: FlaskClient) -> None:
    """At /sw.js its default scope is the whole site, so no Service-Worker-Allowed is needed;
    no-cache with an ETag lets the browser's update check cost a 304."""
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert "Service-Worker-Allowed" not in answer.headers
    config = json.loads(CONFIG.search(answer.get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    assert config["version"] == asset_version()
    assert {"/assets/kinerja.css", "/assets/offline.js", "/assets/icon.svg"} <= set(
        config["assets"]
    )
    for asset in config["assets"]:
        with client.get(asset) as served:
            assert served.status_code == 200
    assert any(re.match(p, "/team") for p in config["pages"])
    assert any(re.match(p, "/employees/12/dialogues") for p in config["pages"])
    assert not any(re.match(p, "/api/v1/teams/me") for p in config["pages"])
    unchanged = client.get("/sw.js", headers={"If-None-Match": answer.headers["ETag"]})
    assert unchanged.status_code == 304


def test_a_changed_asset_changes_the_version(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("body { color: black; }")
    before = digest_of(tmp_path)
    (tmp_path / "a.css").write_text("body { color: navy; }")
    assert digest_of(tmp_path) != before
    assert asset_version() == digest_of(STATIC_DIR)


def test_the_manifest_names_the_app_in_the_page_language(client: FlaskClient) -> None:
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer.mimetype == "application/manifest+json"
    manifest = json.loads(answer.get_data(as_text=True))
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    assert manifest["lang"] == "id" and "ASN" in manifest["description"]
    with client.get(manifest["icons"][0]["src"]) as icon:
        assert (icon.status_code, icon.mimetype) == (200, "image/svg+xml")
    client.set_cookie("kinerja_lang", "en")
    english = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))
    assert english["lang"] == "en" and english["description"] != manifest["description"]


def test_a_signed_in_page_carries_the_outbox_and_its_texts(
    client: FlaskClient, world: World, app: Flask
) -> None:
    sign_in(client, "supervisor")
    body = client.get("/team").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in body
    assert '<script src="/assets/offline.js" defer></script>' in body
    user = world.users["supervisor"]
    assert (
        f'<div id="offline" data-worker="/sw.js" data-user="{user}" data-login="/login">' in body
    )
    texts = json.loads(TEXTS.search(body).group(1))  # type: ignore[union-attr]
    assert texts["waiting"] == "{n} menunggu dikirim."
    assert texts["copy"].startswith("Salinan luring dari {time}:")
    assert all(text and "%(" not in text for text in texts.values())
    client.set_cookie("kinerja_lang", "en")
    english = json.loads(TEXTS.search(client.get("/team").get_data(as_text=True)).group(1))  # type: ignore[union-attr]
    assert english["waiting"] == "{n} waiting to be sent."


def test_the_sign_in_page_tells_the_script_to_forget_the_page_copies(
    client: FlaskClient, world: World
) -> None:
    """Signing out and an ended session both lead there: the copies of the last user's pages
    are deleted, and no outbox is shown to nobody."""
    sign_in(client, "supervisor")
    signed_out = client.post(
        "/logout", data={"csrf_token": _token(client)}, follow_redirects=True
    ).get_data(as_text=True)
    assert '<div id="offline" data-worker="/sw.js" data-signed-out hidden></div>' in signed_out
    assert 'id="offline-texts"' not in signed_out


def _token(client: FlaskClient) -> str:
    body = client.get("/team").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
