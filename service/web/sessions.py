"""The pages' signed cookie session, not opened for the API.

The API authenticates every request by bearer token and never reads the cookie session, yet
Flask opens one per request, building a signing serializer each time (3-5 % of an API
request's CPU in the profiles of the risk read and the evaluation write). API requests get
Flask's null session instead; the pages keep the signed cookie session unchanged.
"""

from __future__ import annotations

from flask import Flask
from flask import Request
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface

API_PREFIX = "/api/"


class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session for the pages; none for `/api/` requests."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return None  # Flask then uses its null session: readable, empty, never saved
        return super().open_session(app, request)
