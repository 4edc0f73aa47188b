"""Configuration: defaults here, then instance/config.py, then the environment.

`SECRET_KEY` and `DATABASE_URL` come from the environment as their usual names;
any other setting can be given as `DIARY_<NAME>` (e.g. `DIARY_REQUIRE_MFA=true`).
"""

import base64
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger(__name__)

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
    # Redis down: each worker counts in memory until it is back, rather than answering 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    SIGN_IN_LIMIT = "5 per minute"  # per account and address: passwords and codes
    SIGN_IN_ADDRESS_LIMIT = "50 per minute"  # per address, a generous ceiling for a clinic
    CODE_ACCOUNT_LIMIT = "10 per hour"  # wrong 2FA codes per account, from anywhere
    INVITE_LIMIT = "10 per minute"
    REQUIRE_MFA = False
    FORCE_HTTPS = False
    DEMO_ALLOWED = True
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (ProxyFix).
    PROXY_HOPS = 0
    # Host names the app answers to (Flask checks the Host header); required in production.
    TRUSTED_HOSTS = None
    # Flask-Compress (extensions.py): zstd, brotli or gzip, whichever the client takes first.
    # Streamed responses (CSV exports, static files) are compressed chunk by chunk, gzip
    # included (Flask-Compress leaves it out of streams by default). Under 500 bytes: as is.
    # Why a page with a CSRF token may be compressed: docs/security.md, "BREACH".
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "image/svg+xml", "text/plain", "text/csv"]
    COMPRESS_ALGORITHM = ["zstd", "br", "gzip", "deflate"]
    COMPRESS_ALGORITHM_STREAMING = ["zstd", "br", "gzip", "deflate"]
    COMPRESS_MIN_SIZE = 500
    # Web Push (reminders): who the push services may contact about our messages (VAPID "sub").
    VAPID_SUBJECT = "mailto:admin@block-diary.example"


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


def audit_key_from_instance(instance_path: str, create: bool = True) -> str | None:
    """The audit chain's HMAC key from instance/audit_key, generated once (mode 600) if
    `create`; None if there is none. Never derived from SECRET_KEY: each can be rotated alone.
    Written to a private temporary file and linked into place, so two processes starting at
    once never read a half-written key."""
    path = Path(instance_path) / "audit_key"
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".audit_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
    return path.read_text().strip() if path.exists() else None


def vapid_key_from_instance(instance_path: str, create: bool = True) -> str | None:
    """The Web Push (VAPID) private key, PEM, from instance/vapid_private_key.pem: made once
    (P-256, mode 600) if `create`, written and linked into place like the audit key; None if
    there is none. Subscriptions are bound to its public key: keep it, and give every host the
    same one (DIARY_VAPID_PRIVATE_KEY), or pushes signed elsewhere are refused."""
    path = Path(instance_path) / "vapid_private_key.pem"
    if not path.exists() and create:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".vapid_private_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
    return path.read_text() if path.exists() else None


def vapid_keys(text: str) -> tuple[str, str]:
    """(private, public) from a P-256 private key given as PEM, base64 DER or the raw
    32-byte scalar in base64url: the private scalar in base64url (what pywebpush signs with)
    and the public point, uncompressed, in base64url (the browser's applicationServerKey)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        plain = "".join(text.split()).replace("+", "-").replace("/", "_").rstrip("=")
        data = base64.urlsafe_b64decode(plain + "=" * (-len(plain) % 4))
        key = (ec.derive_private_key(int.from_bytes(data, "big"), ec.SECP256R1())
               if len(data) == 32 else serialization.load_der_private_key(data, password=None))
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise RuntimeError("DIARY_VAPID_PRIVATE_KEY must be a P-256 (prime256v1) private key.")

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return b64(key.private_numbers().private_value.to_bytes(32, "big")), b64(public)


def _listed(value) -> list[str] | None:
    """A list from config or the environment's comma-separated text."""
    if value is None or isinstance(value, list | tuple):
        return value
    return [part.strip() for part in str(value).split(",") if part.strip()]


def check_production(cfg) -> None:
    """Refuse to start a production app that would break a promise of docs/security.md."""
    if not cfg["TRUSTED_HOSTS"]:  # already a list: load() reads it first
        raise RuntimeError(
            "DIARY_TRUSTED_HOSTS must name the host names the app answers to in production "
            "(e.g. DIARY_TRUSTED_HOSTS=diary.clinic.example): a forged Host header is refused.")
    storage = cfg["RATELIMIT_STORAGE_URI"]
    workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY") or 1)
    if storage.startswith("memory") and workers > 1:
        raise RuntimeError(
            "With more than one worker the sign-in limits must be shared: set "
            "DIARY_RATELIMIT_STORAGE_URI=redis://… (each worker would count on its own).")


def load(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("DIARY")
        for name in ("SECRET_KEY", "DATABASE_URL"):
            if os.environ.get(name):
                app.config[name] = os.environ[name]
        if os.environ.get("DIARY_AUDIT_KEY"):  # as typed: from_prefixed_env would parse JSON
            app.config["AUDIT_KEY"] = os.environ["DIARY_AUDIT_KEY"]
        if os.environ.get("DIARY_VAPID_PRIVATE_KEY"):  # as typed, like the audit key
            app.config["VAPID_PRIVATE_KEY"] = os.environ["DIARY_VAPID_PRIVATE_KEY"]
        if os.environ.get("DIARY_ENV") == "production":
            app.config["ENV"] = "production"
    else:
        app.config.update(test_config)
    app.config["PROXY_HOPS"] = int(app.config["PROXY_HOPS"])
    app.config["TRUSTED_HOSTS"] = _listed(app.config.get("TRUSTED_HOSTS"))

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
        check_production(app.config)
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_instance(app.instance_path)

    # The audit chain's key: DIARY_AUDIT_KEY, else instance/audit_key (made outside production).
    audit_key = app.config.get("AUDIT_KEY") or audit_key_from_instance(
        app.instance_path, create=not production)
    if production and (len(audit_key or "") < 32 or audit_key.lower() in WEAK_KEYS
                       or audit_key == app.config["SECRET_KEY"]):
        raise RuntimeError(
            "AUDIT_KEY must be set in production to a random value of at least 32 characters, "
            "other than SECRET_KEY: DIARY_AUDIT_KEY in the environment, or instance/audit_key "
            "(mode 600). It keys the audit chain: keep it as long as the trail, off the "
            "database host (python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    app.config["AUDIT_KEY"] = audit_key

    # Web Push: DIARY_VAPID_PRIVATE_KEY, else instance/vapid_private_key.pem (made once). With
    # neither (instance/ read-only), the app runs without push: the switch is not offered.
    vapid = app.config.get("VAPID_PRIVATE_KEY")
    if not vapid:
        try:
            vapid = vapid_key_from_instance(app.instance_path)
        except OSError as error:
            log.warning("No Web Push key (%s): reminders by push are off.", error)
    app.config["VAPID_PRIVATE_KEY"], app.config["VAPID_PUBLIC_KEY"] = (
        vapid_keys(vapid) if vapid else (None, None))

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
