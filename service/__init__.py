"""Kinerja: performance management for Indonesian civil servants (ASN).

`create_app` is the table of contents of the service: configuration, then each layer
hooking itself in with its own `init_app`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from service.config import load_config


def create_app(config: Mapping[str, Any] | None = None, *, use_env: bool = True) -> Flask:
    """Build the Flask app: defaults, then environment, then `config` overrides.

    The layers are imported here, not at the top: `import service.db` (the CLI, training,
    batch jobs) then loads the database layer alone instead of every route and page.
    """
    from service import api
    from service import db
    from service import health
    from service import ops
    from service import serving
    from service import web

    app = Flask(__name__)
    app.config.from_mapping(load_config(config, use_env=use_env))
    db.init_app(app)
    serving.init_app(app)
    health.init_app(app)
    api.init_app(app)
    web.init_app(app)
    ops.init_app(app)  # last: it covers the blueprints registered above
    app.wsgi_app = api.fast_risk.wrap(app)  # type: ignore[method-assign]
    return app
