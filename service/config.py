"""Configuration: defaults, then environment (and `.env`), then explicit overrides.

Nothing here runs at import time: `load_config` is called by the app factory and the CLI,
so tests and tools can build an app from a plain mapping.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from service.domain.errors import Invalid
from service.domain.settings import ENV_KEYS as RULE_ENV_KEYS
from service.domain.settings import RuleSettings

#: Environment variables the service reads (API.md "Configuration"), and their meaning.
ENV_KEYS: dict[str, str] = {
    "KINERJA_HOME": "data directory for the embedded defaults (default ./var)",
    "DATABASE_URL": "SQLAlchemy URL (default: SQLite file under KINERJA_HOME)",
    "MLFLOW_TRACKING_URI": "MLflow tracking store (default: SQLite under KINERJA_HOME)",
    "KINERJA_MODELS_DIR": "exported champion models with checksums (default ./models)",
    "KINERJA_SECRET_KEY": "signing key for sessions and tokens; required outside demo/test",
    "KINERJA_ENV": "production (default), demo or test",
    "KINERJA_LOG_LEVEL": "log level (default INFO)",
    "KINERJA_METRICS_TOKEN": "bearer token for /metrics (unset: loopback clients only)",
    "KINERJA_DB_STATEMENT_TIMEOUT_MS": "web requests: longest database statement (15000; 0 off)",
    "KINERJA_RISK_FAST_PATH": "risk read: answer memo hits in front of Flask (default true)",
    "RISK_MODEL_REFRESH_SECONDS": "seconds between checks of the champion alias (default 30)",
    "RISK_GATE_MAX_ECE": "risk promotion gate: largest calibration error (default 0.05)",
    "RISK_GATE_MAX_TPR_GAP": "risk promotion gate: largest TPR gap by gender/age (0.10)",
    "RISK_GATE_UNMEASURED_FAIRNESS": "risk promotion: TPR gap not measurable: promote/refuse",
    "RISK_TRAIN_MAX_EMPLOYEES": "risk retrain: employees sampled at most (200000; 'all')",
    "RISK_TRAIN_SAMPLE_SEED": "risk retrain: seed of the employee sample's hash (default 0)",
    "RISK_TRAIN_COMPARE_SIGNALS": "risk retrain: also fit without the signals (auto/true/false)",
    "KINERJA_FEEDBACK_MIN_GROUP_ANSWERS": "360 feedback: answers a peer/subordinate group needs",
    "KINERJA_OBJECTION_WINDOW_DAYS": "objections: days after an evaluation to object (14)",
    "KINERJA_REALISATION_GRACE_DAYS": "realisations: days after a period's end to write (15; off)",
    "KINERJA_SKP_DEADLINE": "SKP: MM-DD of its year by which it is set; later is late (01-31)",
    "KINERJA_ATTENDANCE_WORK_WEEKDAYS": "attendance: working weekdays (default mon,...,fri)",
    "KINERJA_ATTENDANCE_HOLIDAYS": "attendance: non-working dates, comma-separated ISO dates",
    "KINERJA_ATTENDANCE_START_TIME": "attendance: a check-in after this HH:MM is late (07:30)",
    "KINERJA_ALLOWANCE_RULES": "allowance: JSON file of per-agency rules (default built in)",
    "KINERJA_REMIND_REALISATION_DAYS": "reminders: realisations due in a quarter's last N days",
    "KINERJA_REMIND_JP_FROM_MONTH": "reminders: month from which JP below the minimum (10)",
    "KINERJA_IMPORT_MAX_UNPACKED_BYTES": "imports: bytes an XLSX upload may unpack to (256 MiB)",
    "SMTP_HOST": "reminder email: SMTP server (unset: in-app notifications only)",
    "SMTP_PORT": "reminder email: SMTP port (default 587)",
    "SMTP_USER": "reminder email: SMTP login (optional)",
    "SMTP_PASSWORD": "reminder email: SMTP password (optional)",
    "SMTP_FROM": "reminder email: sender address (required with SMTP_HOST)",
    "SMTP_STARTTLS": "reminder email: true (default) or false, STARTTLS before sending",
    **RULE_ENV_KEYS,
}

DEMO_SECRET_KEY = "kinerja-demo-not-secret"
#: The shortest signing key production accepts (sessions and API tokens are signed with it).
MIN_SECRET_KEY_LENGTH = 24
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_BACKENDS = ("sqlite", "postgresql", "postgres")  # postgres://: service.db
MAX_BODY_BYTES = 10 * 1024 * 1024
#: Web requests' longest database statement (KINERJA_DB_STATEMENT_TIMEOUT_MS, `service.db`):
#: well under gunicorn's 60 s worker timeout, well above any statement a request runs.
STATEMENT_TIMEOUT_MS = 15_000
#: What the parts of an uploaded XLSX may unpack to together, by the zip's central directory
#: (KINERJA_IMPORT_MAX_UNPACKED_BYTES). An export of 100,000 evaluations unpacks to 101.5 MB
#: (6 MB zipped), and the largest such export an upload can hold (10 MiB) to about 170 MB;
#: a zip bomb of 10 MiB could unpack to 10 GB, and openpyxl holds the shared strings in
#: memory (about 6 bytes of memory per byte of that part). 256 MiB is 2.6x the 100k export.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


class ConfigError(RuntimeError):
    """Configuration that the service cannot start with; the message says how to fix it."""


def defaults() -> dict[str, Any]:
    """Return the built-in defaults (relative paths resolve against the working directory)."""
    return {
        "KINERJA_HOME": "./var",
        "KINERJA_MODELS_DIR": "./models",
        "KINERJA_ENV": "production",
        "KINERJA_LOG_LEVEL": "INFO",
        "DATABASE_URL": None,
        "MLFLOW_TRACKING_URI": None,
        "KINERJA_SECRET_KEY": None,
        "MODEL_ALIAS": "champion",
        "KINERJA_RISK_FAST_PATH": True,
        "KINERJA_DB_STATEMENT_TIMEOUT_MS": STATEMENT_TIMEOUT_MS,
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "KINERJA_IMPORT_MAX_UNPACKED_BYTES": MAX_UNPACKED_BYTES,
        "JSON_SORT_KEYS": False,
    }


def from_environment(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict:
    """Read the known keys from `.env` (if present) and then the process environment."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    dotenv = Path(".env") if dotenv is None else dotenv
    if dotenv.is_file():
        found.update({k: v for k, v in dotenv_values(dotenv).items() if k in ENV_KEYS and v})
    found.update({k: v for k, v in environ.items() if k in ENV_KEYS and v})
    return found


def finalize(config: dict[str, Any]) -> dict[str, Any]:
    """Derive the embedded defaults from KINERJA_HOME and check what must be set."""
    home = Path(config["KINERJA_HOME"]).expanduser().resolve()
    config["KINERJA_HOME"] = str(home)
    config["KINERJA_MODELS_DIR"] = str(Path(config["KINERJA_MODELS_DIR"]).expanduser().resolve())
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{home / 'kinerja.db'}"
    if not config.get("MLFLOW_TRACKING_URI"):
        config["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    mode = config["KINERJA_ENV"]
    if mode not in {"production", "demo", "test"}:
        raise ConfigError(f"KINERJA_ENV={mode!r} is not one of production, demo, test")
    if not config.get("KINERJA_SECRET_KEY"):
        if mode == "production":
            raise ConfigError(
                "KINERJA_SECRET_KEY is not set. Set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "or run with KINERJA_ENV=demo for a local demo."
            )
        config["KINERJA_SECRET_KEY"] = DEMO_SECRET_KEY
    for key in ("KINERJA_HOME", "KINERJA_MODELS_DIR"):
        _check_directory(Path(config[key]), f"{key}={config[key]}:")
    _check_database_url(config["DATABASE_URL"])
    _check_values(config)
    config["KINERJA_IMPORT_MAX_UNPACKED_BYTES"] = _whole_number(
        config, "KINERJA_IMPORT_MAX_UNPACKED_BYTES", "bytes", 1
    )
    config["KINERJA_DB_STATEMENT_TIMEOUT_MS"] = _whole_number(
        config, "KINERJA_DB_STATEMENT_TIMEOUT_MS", "milliseconds", 0
    )
    if mode == "production":
        _check_secret_key(str(config["KINERJA_SECRET_KEY"]))
    config["SECRET_KEY"] = config["KINERJA_SECRET_KEY"]
    config["TESTING"] = config.get("TESTING", False) or mode == "test"
    return config


def _check_secret_key(secret: str) -> None:
    """Refuse, in production, a signing key that anyone could know or guess."""
    hint = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if secret == DEMO_SECRET_KEY:
        raise ConfigError(f"KINERJA_SECRET_KEY is the published demo key; make one with {hint}")
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"KINERJA_SECRET_KEY is {len(secret)} characters long; use at least "
            f"{MIN_SECRET_KEY_LENGTH}, for example {hint}"
        )


def _check_database_url(url: Any) -> None:
    """Refuse a DATABASE_URL that SQLAlchemy cannot parse or that names another database,
    without echoing the password it may hold."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise ConfigError(
            "DATABASE_URL is not a database URL; give sqlite:////absolute/path/kinerja.db "
            "or postgresql://user:password@host:5432/database"
        ) from None
    if parsed.get_backend_name() not in DATABASE_BACKENDS:
        raise ConfigError(
            f"DATABASE_URL must be sqlite:/// or postgresql://; got "
            f"{parsed.render_as_string(hide_password=True)}"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        _check_directory(Path(parsed.database).expanduser().parent, "DATABASE_URL:")


def _check_directory(path: Path, setting: str) -> None:
    """Refuse a directory setting that names a file, or lies under one (made when used)."""
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise ConfigError(f"{setting} {part} is a file, not a directory")
            return


def _check_values(config: Mapping[str, Any]) -> None:
    """Refuse the operational settings that would otherwise fail when first used."""
    # Here, not at import: these modules import the ORM models.
    from service.domain.entry_windows import WindowSettings
    from service.domain.feedback360_results import FeedbackSettings
    from service.domain.objections import ObjectionSettings

    for settings in (RuleSettings, FeedbackSettings, ObjectionSettings, WindowSettings):
        try:
            settings.from_mapping(config)
        except Invalid as error:
            raise ConfigError(str(error)) from None
    level = str(config["KINERJA_LOG_LEVEL"])
    if level.upper() not in LOG_LEVELS:
        raise ConfigError(f"KINERJA_LOG_LEVEL={level!r} is not one of {', '.join(LOG_LEVELS)}")
    refresh = config.get("RISK_MODEL_REFRESH_SECONDS")
    if refresh is not None:
        try:
            seconds = float(refresh)
        except (TypeError, ValueError):
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ConfigError(
                "RISK_MODEL_REFRESH_SECONDS must be a number of seconds, 0 or more; "
                f"got {refresh!r}"
            )


def _whole_number(config: Mapping[str, Any], key: str, unit: str, least: int) -> int:
    """A setting that counts `unit`s, as an int; ConfigError unless a whole number, `least`
    or more (bytes: 1 or more; milliseconds: 0, which turns the bound off, or more)."""
    value = config[key]
    try:
        count = int(str(value).strip()) if not isinstance(value, bool) else least - 1
    except ValueError:
        count = least - 1
    if count < least:
        expected = f"a whole number of {unit}, {least} or more"
        raise ConfigError(f"{key} must be {expected}; got {value!r}")
    return count


def load_config(overrides: Mapping[str, Any] | None = None, *, use_env: bool = True) -> dict:
    """Layer defaults, the environment and `overrides` into one finished mapping."""
    config = defaults()
    if use_env:
        config.update(from_environment())
    config.update(overrides or {})
    return finalize(config)
