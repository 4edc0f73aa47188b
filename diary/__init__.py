"""Block Diary: a phone diary after a lumbar sympathetic block, and the consultant's view of it."""

from flask import Flask, request
from sqlalchemy import event

from . import config, txn
from .extensions import csrf, db, limiter, login_manager, migrate, talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_headers(app)
    from . import templating
    from .cli import register_cli

    templating.register(app)

    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = None  # sessions are revocable server-side instead
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        strict_transport_security=True,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src", "style-src"],
        referrer_policy="strict-origin-when-cross-origin",
        frame_options="DENY",
    )
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine)


def tune_sqlite(engine) -> None:
    """Foreign keys, WAL, durable commits, a busy timeout, and BEGIN IMMEDIATE for writes.

    pysqlite's own transaction handling is switched off so that we choose the BEGIN:
    a deferred BEGIN that reads and then writes fails under concurrent writers.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL",
                       "busy_timeout=15000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if txn.wants_write_lock() else "BEGIN")


def register_blueprints(app: Flask) -> None:
    from .views import account, audit_log, auth, blocks, clinic, errors, mfa, patient, settings

    app.register_blueprint(auth.bp)
    app.register_blueprint(mfa.bp)
    app.register_blueprint(audit_log.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(patient.bp)
    app.register_blueprint(clinic.bp)
    app.register_blueprint(blocks.bp)
    app.register_blueprint(settings.bp)
    from .views import records  # CSV export and import
    app.register_blueprint(records.bp)
    errors.register(app)
    from . import assets  # plotly.js under its content-hashed name

    assets.init_app(app)


def register_headers(app: Flask) -> None:
    @app.after_request
    def no_store(response):
        # Health data: nothing dynamic may sit in a shared or browser cache.
        if request.endpoint not in ("static", "assets.plotly"):
            response.headers["Cache-Control"] = "no-store"
        return response
