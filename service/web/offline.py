"""Offline use of the pages: the web app manifest, the service worker and the outbox's texts.

The service worker (`templates/web/sw.js`, served at `/sw.js` so that its scope is the whole
site) keeps the static assets, under a cache named by their version, and the last-seen copy
of the pages a supervisor works from offline (`OFFLINE_PAGES`: the team page and the employee
pages they opened), which then open read-only with a banner giving the copy's time. The forms
marked `data-outbox` are kept in the browser while it is offline and resent when it is back
(static/offline.js); `web.idempotency` makes a resent form write once. Page copies hold
personal data: they are kept for the signed-in user only and deleted on the sign-in page,
which every sign-out and expired session leads to (README, "Offline use").
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Response
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from service.web import bp
from service.web.i18n import current_language
from service.web.session import public

STATIC_DIR = Path(__file__).parent / "static"
#: Paths of the pages the service worker keeps a copy of (JavaScript regular expressions).
OFFLINE_PAGES = (r"^/team$", r"^/employees/\d+(/dialogues|/activities)?$")
BRAND_COLOUR = "#0b4f8a"


@cache
def asset_version() -> str:
    """The static files' version, read once per process (they change with a deployment)."""
    return digest_of(STATIC_DIR)


def digest_of(directory: Path) -> str:
    """A digest of every file's name and bytes: a changed asset changes the worker and the
    name of its cache, so browsers drop the old copies on their next visit."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
@public
def service_worker() -> Response:
    """The service worker, with the version and the list of assets it keeps.

    Served from the root, its default scope is the whole site (no `Service-Worker-Allowed`
    needed); `no-cache` makes the browser ask for it again (cheaply, by ETag) on its update
    checks, so a new version reaches every browser on its next visit.
    """
    config = {
        "version": asset_version(),
        "assets": [url_for("web.static", filename=name) for name in _asset_names()],
        "pages": OFFLINE_PAGES,
    }
    body = render_template("web/sw.js", config=json.dumps(config))
    answer = Response(body, mimetype="text/javascript")
    return _revalidated(answer, f"sw-{config['version']}")


@bp.get("/manifest.webmanifest")
@public
def manifest() -> Response:
    """The web app manifest: Kinerja can be installed and opens on its start page."""
    data = {
        "name": "Kinerja",
        "short_name": "Kinerja",
        "description": _("Kinerja: performance and development of civil servants (ASN)."),
        "lang": current_language(),
        "start_url": url_for("web.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": BRAND_COLOUR,
        "icons": [
            {
                "src": url_for("web.static", filename="icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    answer = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    return _revalidated(answer, f"manifest-{asset_version()}-{current_language()}")


@bp.app_template_global()
def offline_texts() -> dict[str, str]:
    """The outbox's and the banner's texts in this language, for static/offline.js
    (`{n}`, `{time}`, `{title}` and `{reason}` are filled in there)."""
    return {
        "copy": _(
            "Offline copy from %(time)s: it may be out of date, and only the forms for notes, "
            "dialogues, evaluations, realisations and activities can be used. What you send "
            "from them is kept in this browser and sent when the connection is back.",
            time="{time}",
        ),
        "waiting": _("%(n)s waiting to be sent.", n="{n}"),
        "offline": _("You are offline: it is sent when the connection is back."),
        "refused": _("%(n)s not accepted by the server: see below.", n="{n}"),
        "sent": _("Everything waiting was sent."),
        "item": _("%(title)s, written %(time)s", title="{title}", time="{time}"),
        "login": _("Sign in again to send it: your session has ended."),
        "expired": _(
            "The form had expired (or you had signed out): it is sent again from the next "
            "page you open while signed in."
        ),
        "reason": _("Not accepted: %(reason)s", reason="{reason}"),
        "copy_button": _("Copy the text"),
        "copied": _("Copied."),
        "retry": _("Send again"),
        "discard": _("Discard"),
        "confirm": _("Discard this? It was not sent and will be lost."),
        "unavailable": _("Not available offline."),
    }


def _asset_names() -> list[str]:
    return sorted(
        p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file()
    )


def _revalidated(answer: Response, tag: str) -> Response:
    """Let the browser keep the file but ask again each time (304 while it is unchanged)."""
    answer.headers["Cache-Control"] = "no-cache"
    answer.set_etag(tag)
    return answer.make_conditional(request)
