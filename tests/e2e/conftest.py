"""Browser tests: a live server over a seeded demo database, driven by headless Chromium.

The server is the real app in a thread (werkzeug `make_server`) on 127.0.0.1 over a SQLite
file seeded by the synthetic generator; logins are made for the demo accounts (one per role).
Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`); without it, or without the
Python `playwright` package, every browser test is skipped with the reason.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from service import create_app
from service.db import make_database
from service.db import session_scope
from service.db.migrate import upgrade
from service.db.reference_data import load_reference_data
from service.demo import pick_demo_accounts
from service.domain.users import create_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test-password-1"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
SEED_EMPLOYEES = 150


@dataclass
class Site:
    """The running demo site: its address and the demo accounts (role -> account)."""

    url: str
    database_url: str
    accounts: dict[str, Any] = field(default_factory=dict)
    app: Any = None

    def username(self, role: str) -> str:
        return f"web-{role}"


def _seed(database_url: str) -> dict[str, Any]:
    from training.synthetic.config import SyntheticConfig
    from training.synthetic.seed import run_seed

    database = make_database(database_url)
    upgrade(database.engine)
    with session_scope(database) as session:
        load_reference_data(session)
    run_seed(database.engine, SyntheticConfig(employees=SEED_EMPLOYEES, seed=11))
    with session_scope(database) as session:
        accounts = {a.role: a for a in pick_demo_accounts(session)}
        for role, account in accounts.items():
            create_user(
                session, f"web-{role}", PASSWORD, role, account.employee_id, account.unit_id
            )
    database.engine.dispose()
    return accounts


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Seed a demo database and serve the app on a free port of 127.0.0.1."""
    home = tmp_path_factory.mktemp("site")
    database_url = f"sqlite:///{home / 'kinerja.db'}"
    accounts = _seed(database_url)
    app = create_app(
        {
            "KINERJA_ENV": "demo",
            "KINERJA_HOME": str(home),
            "KINERJA_MODELS_DIR": str(home / "models"),
            "DATABASE_URL": database_url,
            "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
            "RISK_JOBS_SPAWN": False,  # a retrain job is queued, not run, in browser tests
        },
        use_env=False,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", database_url, accounts, app)
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["db"].engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright; skipped when either is missing."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh browser context (no cookies) with a desktop viewport."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, site: Site, role: str) -> None:
    """Sign in through the login form as the demo account of `role`."""
    page.goto("/login")
    page.get_by_label("Nama pengguna").fill(site.username(role))
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under tests/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
