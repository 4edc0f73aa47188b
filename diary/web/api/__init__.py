"""The JSON API under /api/v1 (docs/api.md), with flask-smorest: marshmallow schemas and an
OpenAPI 3.1 document made by apispec, served at /api/v1/openapi.json (no docs UI).

Errors under /api/v1 are problem+json (`problems.py`), never the HTML pages: the views'
own errors through the blueprint's handlers, and a URL or method that matches nothing
through a hook that runs before the app's HTML error pages would. flask-smorest's own
app-wide error handler is not installed: the pages keep theirs.

The API takes no cookie and so needs no CSRF token (`auth.py`): a bearer token is either a
phone's device token (its own diary) or a staff member's personal access token (their
patients, read or read-write scope).

One blueprint a resource: `entries` (the phone's outbox, and reading, changing, deleting),
`patients`, `blocks` (blocks, the analysis, the consultant's decision), `exports` (the
records page's CSV files); `common` holds the problem schemas and cursor pages.
"""

from flask import Flask
from flask_smorest import Api

from diary.web.api import blocks, entries, exports, fhir, patients, problems
from diary.web.extensions import csrf

TITLE = "Block Diary API"
VERSION = "1"
OPENAPI_VERSION = "3.1.0"


class DiaryApi(Api):
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own problem+json answers

    def _register_error_handlers(self):
        """None app-wide: errors are problem+json under /api/v1 only (problems.py)."""

    def _register_responses(self):
        """No stock error answers in the document: they would describe smorest's error
        format (`Error`), not ours (`Problem`)."""

    def _register_pagination_header(self):
        """Nothing is paged (yet): no `PaginationMetadata` in the document."""


def init_app(app: Flask) -> DiaryApi:
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = DiaryApi(spec_kwargs={
        "title": TITLE, "version": VERSION, "openapi_version": OPENAPI_VERSION,
        "info": {"description": "Block Diary's JSON API: the phone's outbox, and patients, "
                                "entries, blocks, their analysis, the consultant's "
                                "decisions and exports for staff tools. Errors are "
                                "application/problem+json (RFC 9457). See docs/api.md."}})
    api.init_app(app)
    api.spec.components.security_scheme("deviceToken", {
        "type": "http", "scheme": "bearer",
        "description": "A device token, made for the phone by POST /diary/device-token "
                       "(signed in, with the page's CSRF token): the patient's own diary."})
    api.spec.components.security_scheme("accessToken", {
        "type": "http", "scheme": "bearer",
        "description": "A staff member's personal access token (bdp_…), made on the API "
                       "tokens page (signed in with two-factor sign-in): their patients; "
                       "scope read (GET only) or read write; expires in 1 to 365 days."})
    api.spec.components.schema("EntryFields", entries.body_schema())
    api.register_blueprint(entries.blp)
    api.register_blueprint(patients.blp)
    api.register_blueprint(blocks.blp)
    api.register_blueprint(exports.blp)
    api.register_blueprint(fhir.blp)  # FHIR R4 exports (docs/fhir.md), staff tokens only
    for blp in (entries.blp, patients.blp, blocks.blp, exports.blp, fhir.blp):
        csrf.exempt(blp)  # no cookie is taken there: nothing for another site to ride
    app.before_request(problems.routing_error)
    return api
