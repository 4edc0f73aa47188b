"""Configuration: defaults here, then instance/config.py, then the environment.

`SECRET_KEY` and `DATABASE_URL` come from the environment as their usual names;
any other setting can be given as `DIARY_<NAME>` (e.g. `DIARY_REQUIRE_MFA=true`).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

WEAK_KEYS = {"", "dev", "secret", "changeme", "change-me", "development"}


class Defaults:
    ENV = "development"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Flask-WTF's token would otherwise expire after an hour while a patient is typing.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    # Patients stay signed in on their phone; clinicians are never remembered.
    REMEMBER_COOKIE_DURATION = timedelta(days=90)
    CLINICIAN_IDLE_MINUTES = 15
    CLINICIAN_ABSOLUTE_HOURS = 12
    INVITE_DAYS = 7
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    SIGN_IN_LIMIT = "5 per minute"  # per account and address
    SIGN_IN_ADDRESS_LIMIT = "50 per minute"
    INVITE_LIMIT = "10 per minute"
    REQUIRE_MFA = False
    FORCE_HTTPS = False
    DEMO_ALLOWED = True
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024


def database_url(raw: str) -> str:
    """psycopg 3 is the driver: make a plain postgres URL say so."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def secret_key_from_instance(instance_path: str) -> str:
    """Generate a key once and keep it in instance/, readable by the owner only."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def load(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("DIARY")
        for name in ("SECRET_KEY", "DATABASE_URL"):
            if os.environ.get(name):
                app.config[name] = os.environ[name]
        if os.environ.get("DIARY_ENV") == "production":
            app.config["ENV"] = "production"
    else:
        app.config.update(test_config)

    production = app.config["ENV"] == "production"
    if production:
        if "DIARY_REQUIRE_MFA" not in os.environ:
            app.config["REQUIRE_MFA"] = True  # ASVS level 2: clinicians need a second factor
        app.config.update(
            SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, FORCE_HTTPS=True,
            DEMO_ALLOWED=False,
        )
        app.debug = False
        key = app.config.get("SECRET_KEY") or ""
        if len(key) < 32 or key.lower() in WEAK_KEYS:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_instance(app.instance_path)

    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if url:
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(url)
        if os.environ.get("DATABASE_URL"):
            app.config["DEMO_ALLOWED"] = False
    else:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            "sqlite:///" + str(Path(app.instance_path) / "diary.sqlite")
        )
