"""The web app: `create_app` builds it; views, forms and the access rule live beside it."""

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from diary.data.db import db
from diary.data.txn import tune_sqlite
from diary.web import config, converters
from diary.web.extensions import compress, csrf, limiter, login_manager, migrate, talisman

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
    # Named for the package, so templates/, static/ and instance/ stay where they were.
    app = Flask("diary", instance_relative_config=True)
    config.load(app, test_config)
    converters.init_app(app)  # <int:...> ids stop where the columns do
    hops = app.config["PROXY_HOPS"]
    if hops:
        # Behind a proxy the client's address (for rate limits and the audit) and the scheme
        # come from the headers the trusted hops set; anything further left is the client's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_blueprints(app)
    register_headers(app)
    from diary.cli import register_cli
    from diary.web import templating

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
    compress.init_app(app)  # HTML, CSS, JS, JSON, CSV: config.py; Vary: Accept-Encoding on all
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine)


def register_blueprints(app: Flask) -> None:
    from diary.web.views import (
        account,
        audit_log,
        auth,
        blocks,
        clinic,
        errors,
        mfa,
        patient,
        settings,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(mfa.bp)
    app.register_blueprint(audit_log.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(patient.bp)
    app.register_blueprint(clinic.bp)
    app.register_blueprint(blocks.bp)
    app.register_blueprint(settings.bp)
    from diary.web.views import records  # CSV export and import
    app.register_blueprint(records.bp)
    from diary.web.views import visits  # clinic visits and the Fontaine stage
    app.register_blueprint(visits.bp)
    app.register_blueprint(__import__("diary.web.views.pwa", fromlist=["bp"]).bp)  # PWA
    app.register_blueprint(__import__("diary.web.views.reminders", fromlist=["bp"]).bp)  # reminders
    app.register_blueprint(__import__("diary.web.views.devices", fromlist=["bp"]).bp)  # tokens
    app.register_blueprint(__import__("diary.web.views.access_tokens", fromlist=["bp"]).bp)  # PATs
    from diary.web.views import clinic_entries, decisions, patient_admin, staff
    for team in (staff, patient_admin, decisions, clinic_entries):  # the clinic as a team
        app.register_blueprint(team.bp)
    __import__("diary.web.api", fromlist=["init_app"]).init_app(app)  # JSON API under /api/v1
    errors.register(app)
    from diary.web import assets  # plotly.js under its content-hashed name

    assets.init_app(app)


def register_headers(app: Flask) -> None:
    @app.after_request
    def no_store(response):
        # Health data: nothing dynamic may sit in a shared or browser cache.
        if request.endpoint not in ("static", "assets.plotly"):
            response.headers["Cache-Control"] = "no-store"
        return response
