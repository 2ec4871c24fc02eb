"""Configuration layering: defaults, then `.env`, then the environment, then overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from service.config import DEMO_SECRET_KEY
from service.config import ENV_KEYS
from service.config import ConfigError
from service.config import load_config

SECRET = "a-long-random-production-secret"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run each test in an empty directory (no `.env`) with none of our variables set."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write_dotenv(directory: Path, **values: str) -> None:
    lines = [f"{key}={value}" for key, value in values.items()]
    (directory / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_production_without_secret_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="KINERJA_SECRET_KEY is not set"):
        load_config()


def test_production_without_secret_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KINERJA_ENV", "production")

    with pytest.raises(ConfigError, match="KINERJA_SECRET_KEY"):
        load_config()


def test_production_uses_the_given_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINERJA_SECRET_KEY", SECRET)

    config = load_config()

    assert config["KINERJA_ENV"] == "production"
    assert config["SECRET_KEY"] == SECRET
    assert config["TESTING"] is False


@pytest.mark.parametrize(("mode", "testing"), [("demo", False), ("test", True)])
def test_demo_and_test_modes_get_a_default_secret(mode: str, testing: bool) -> None:
    config = load_config({"KINERJA_ENV": mode})

    assert config["SECRET_KEY"] == DEMO_SECRET_KEY
    assert config["TESTING"] is testing


@pytest.mark.parametrize("mode", ["staging", "Production", "dev"])
def test_unknown_mode_is_refused(mode: str) -> None:
    with pytest.raises(ConfigError, match=f"KINERJA_ENV='{mode}' is not one of"):
        load_config({"KINERJA_ENV": mode, "KINERJA_SECRET_KEY": SECRET})


def test_unknown_mode_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINERJA_ENV", "staging")

    with pytest.raises(ConfigError, match="KINERJA_ENV='staging'"):
        load_config({"KINERJA_SECRET_KEY": SECRET})


@pytest.mark.parametrize(
    ("key", "file"), [("DATABASE_URL", "kinerja.db"), ("MLFLOW_TRACKING_URI", "mlflow.db")]
)
def test_stores_default_to_sqlite_under_kinerja_home(
    key: str, file: str, clean_environment: Path
) -> None:
    home = clean_environment / "data" / "kinerja"

    config = load_config({"KINERJA_ENV": "demo", "KINERJA_HOME": str(home)})

    url = make_url(config[key])
    assert url.get_backend_name() == "sqlite"
    assert Path(str(url.database)) == home / file


def test_default_home_is_var_in_the_working_directory(clean_environment: Path) -> None:
    config = load_config({"KINERJA_ENV": "demo"})

    assert Path(config["KINERJA_HOME"]) == clean_environment / "var"
    assert Path(str(make_url(config["DATABASE_URL"]).database)).parent == clean_environment / "var"


def test_explicit_database_url_is_kept() -> None:
    url = "postgresql+psycopg://kinerja@db:5432/kinerja"

    config = load_config({"KINERJA_ENV": "demo", "DATABASE_URL": url})

    assert config["DATABASE_URL"] == url


def test_dotenv_values_are_read(clean_environment: Path) -> None:
    _write_dotenv(
        clean_environment,
        KINERJA_ENV="demo",
        DATABASE_URL="sqlite:///from-dotenv.db",
        KINERJA_LOG_LEVEL="DEBUG",
        UNRELATED_SETTING="ignored",
    )

    config = load_config()

    assert config["KINERJA_ENV"] == "demo"
    assert config["DATABASE_URL"] == "sqlite:///from-dotenv.db"
    assert config["KINERJA_LOG_LEVEL"] == "DEBUG"
    assert "UNRELATED_SETTING" not in config


def test_dotenv_secret_satisfies_production(clean_environment: Path) -> None:
    _write_dotenv(clean_environment, KINERJA_SECRET_KEY=SECRET)

    assert load_config()["SECRET_KEY"] == SECRET


def test_environment_overrides_dotenv(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_dotenv(clean_environment, KINERJA_ENV="demo", DATABASE_URL="sqlite:///from-dotenv.db")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-environment.db")

    config = load_config()

    assert config["DATABASE_URL"] == "sqlite:///from-environment.db"
    assert config["KINERJA_ENV"] == "demo"


def test_explicit_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINERJA_ENV", "demo")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-environment.db")

    config = load_config({"DATABASE_URL": "sqlite:///override.db"})

    assert config["DATABASE_URL"] == "sqlite:///override.db"


def test_environment_is_ignored_when_asked(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_dotenv(clean_environment, DATABASE_URL="sqlite:///from-dotenv.db")
    monkeypatch.setenv("KINERJA_ENV", "staging")

    config = load_config({"KINERJA_ENV": "test"}, use_env=False)

    assert make_url(config["DATABASE_URL"]).database.endswith("kinerja.db")


def test_empty_environment_value_does_not_hide_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KINERJA_ENV", "demo")
    monkeypatch.setenv("DATABASE_URL", "")

    config = load_config()

    assert make_url(config["DATABASE_URL"]).get_backend_name() == "sqlite"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("DATABASE_URL", "kinerja.db", "DATABASE_URL is not a database URL"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL must be sqlite:/// or postgresql://"),
        ("KINERJA_LOG_LEVEL", "verbose", "KINERJA_LOG_LEVEL='verbose' is not one of"),
        ("RISK_MODEL_REFRESH_SECONDS", "half a minute", "RISK_MODEL_REFRESH_SECONDS must be"),
        ("RISK_MODEL_REFRESH_SECONDS", "-5", "RISK_MODEL_REFRESH_SECONDS must be"),
        ("RISK_MODEL_REFRESH_SECONDS", "nan", "RISK_MODEL_REFRESH_SECONDS must be"),
        ("KINERJA_IMPORT_MAX_UNPACKED_BYTES", "256MB", "KINERJA_IMPORT_MAX_UNPACKED_BYTES must"),
        ("KINERJA_IMPORT_MAX_UNPACKED_BYTES", "0", "KINERJA_IMPORT_MAX_UNPACKED_BYTES must be"),
        ("KINERJA_REALISATION_GRACE_DAYS", "two weeks", "GRACE_DAYS: must be .* or off"),
        ("KINERJA_REALISATION_GRACE_DAYS", "-1", "KINERJA_REALISATION_GRACE_DAYS: must be"),
        ("KINERJA_REALISATION_GRACE_DAYS", "400", "KINERJA_REALISATION_GRACE_DAYS: must be"),
        ("KINERJA_SKP_DEADLINE", "31-01", "KINERJA_SKP_DEADLINE: must be a month and day"),
        ("KINERJA_SKP_DEADLINE", "02-29", "KINERJA_SKP_DEADLINE: must be a month and day"),
        ("KINERJA_SKP_DEADLINE", "1-31", "KINERJA_SKP_DEADLINE: must be a month and day"),
    ],
)
def test_invalid_values_are_refused_at_load(key: str, value: str, message: str) -> None:
    """Refused with the fix in the message, not accepted to fail later with a traceback
    (the URL when the first command opens it, the level and the refresh period when the app
    is built)."""
    with pytest.raises(ConfigError, match=message):
        load_config({"KINERJA_ENV": "demo", key: value})


def test_a_refused_database_url_does_not_show_its_password() -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({"KINERJA_ENV": "demo", "DATABASE_URL": "mysql://kinerja:s3cret@db/kinerja"})

    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("KINERJA_LOG_LEVEL", "warning"),
        ("RISK_MODEL_REFRESH_SECONDS", "2.5"),
        ("RISK_MODEL_REFRESH_SECONDS", "0"),
        ("DATABASE_URL", "postgres://kinerja@db/kinerja"),  # service.db.normalise_url's too
        ("DATABASE_URL", "sqlite://"),
        ("KINERJA_REALISATION_GRACE_DAYS", "off"),
        ("KINERJA_REALISATION_GRACE_DAYS", "0"),
        ("KINERJA_SKP_DEADLINE", "02-28"),
    ],
)
def test_valid_values_are_kept(key: str, value: str) -> None:
    assert load_config({"KINERJA_ENV": "demo", key: value})[key] == value


def test_the_unpacked_import_limit_defaults_to_256_mib_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_config({"KINERJA_ENV": "demo"})["KINERJA_IMPORT_MAX_UNPACKED_BYTES"] == 256 << 20
    monkeypatch.setenv("KINERJA_IMPORT_MAX_UNPACKED_BYTES", "1048576")
    assert load_config({"KINERJA_ENV": "demo"})["KINERJA_IMPORT_MAX_UNPACKED_BYTES"] == 1 << 20


def test_the_metrics_token_may_come_from_dotenv(clean_environment: Path) -> None:
    """Like every other setting; it was read from the process environment only, so a token
    kept in `.env` left /metrics refusing the scraper that sent it."""
    from service import create_app

    _write_dotenv(clean_environment, KINERJA_ENV="test", KINERJA_METRICS_TOKEN="scrape-me-42")
    app = create_app()
    try:
        response = app.test_client().get(
            "/metrics",
            headers={"Authorization": "Bearer scrape-me-42"},
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
        )
    finally:
        app.extensions["db"].engine.dispose()

    assert response.status_code == 200


@pytest.mark.parametrize("key", ["KINERJA_HOME", "KINERJA_MODELS_DIR"])
def test_a_directory_setting_naming_a_file_is_refused(key: str, clean_environment: Path) -> None:
    """Refused at load, not a FileExistsError traceback when the database or the models
    directory is first made (every CLI command, the app's start)."""
    (clean_environment / "a-file").write_text("not a directory", encoding="utf-8")

    with pytest.raises(ConfigError, match=f"{key}=.*a-file is a file, not a directory"):
        load_config({"KINERJA_ENV": "demo", key: str(clean_environment / "a-file")})


def test_a_sqlite_database_under_a_file_is_refused(clean_environment: Path) -> None:
    (clean_environment / "a-file").write_text("not a directory", encoding="utf-8")
    url = f"sqlite:///{clean_environment / 'a-file' / 'kinerja.db'}"

    with pytest.raises(ConfigError, match="DATABASE_URL: .*a-file is a file, not a directory"):
        load_config({"KINERJA_ENV": "demo", "DATABASE_URL": url})


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (DEMO_SECRET_KEY, "is the published demo key"),
        ("changeme", "is 8 characters long; use at least 24"),
    ],
)
def test_production_refuses_a_guessable_secret_key(secret: str, message: str) -> None:
    """Sessions and API tokens are signed with it: the demo key is in the source code, and
    an 8-character one is guessed; both were accepted in production."""
    with pytest.raises(ConfigError, match=f"KINERJA_SECRET_KEY {message}"):
        load_config({"KINERJA_ENV": "production", "KINERJA_SECRET_KEY": secret})


def test_demo_mode_keeps_any_secret_key() -> None:
    assert load_config({"KINERJA_ENV": "demo", "KINERJA_SECRET_KEY": "short"})["SECRET_KEY"] == (
        "short"
    )
