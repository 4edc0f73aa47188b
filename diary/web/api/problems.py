"""Errors as RFC 9457 problem details (`application/problem+json`), never an HTML page."""

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from diary.data.db import db

MIMETYPE = "application/problem+json"
PREFIX = "/api/v1/"
SIGN_IN_AGAIN = "Please sign in again"

# The same plain words as the HTML error pages (diary/web/views/errors.py).
TITLES = {
    400: ("The request could not be read", "Please send the entry as a JSON object."),
    401: (SIGN_IN_AGAIN, "The token is missing, unknown, expired or withdrawn. On a phone: sign "
                         "in again, and the entries waiting on it will then be sent. A staff "
                         "access token: make a new one on the API tokens page."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Not found", "There is nothing here."),
    405: ("Not allowed", "That address cannot be used this way."),
    410: ("Your diary is closed", "The clinic has closed this diary."),
    413: ("Too large", "That was more than the diary can take at once."),
    415: ("The request could not be read", "Please send the entry as application/json."),
    429: ("Please wait a moment", "There were too many tries. Please wait a minute and try "
                                  "again."),
    500: ("Something went wrong on our side",
          "Nothing you did caused this. Please try again in a few minutes."),
}
CODES = tuple(TITLES)


def problem(status: int, title: str | None = None, detail: str | None = None,
            headers: dict | None = None, **extra):
    """A problem+json response: type, title, status, detail, and any `extra` members."""
    default_title, default_detail = TITLES.get(status, TITLES[500])
    body = {"type": "about:blank", "title": title or default_title, "status": status,
            "detail": detail or default_detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MIMETYPE
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_exception(error: HTTPException):
    """An HTTP error raised under /api/v1 (or by its views), as a problem; its own headers
    (Allow for a 405, Retry-After for a 429) kept."""
    status = error.code or 500
    if status not in TITLES:
        status = 500 if status >= 500 else 400
    if status == 500:
        db.session.rollback()  # a failed write leaves the session unusable
    response = problem(status)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def under_api() -> bool:
    return request.path.startswith(PREFIX) or request.path == PREFIX.rstrip("/")


def _matches_no_route(error: MethodNotAllowed) -> bool:
    """Werkzeug answers 405 when a path's pattern fits a route of another method, before that
    route's converters look at it: PUT /api/v1/blocks/<id past the column>/decision was 405
    "use GET", while that GET is 404. True when no allowed method matches the path either."""
    adapter = current_app.create_url_adapter(request)
    for method in error.valid_methods or ():
        try:
            adapter.match(method=method)
        except NotFound:
            continue
        except HTTPException:
            pass  # a redirect (a trailing slash) or a 405: the path is a route's
        return False
    return True


def routing_error():
    """A before_request hook: a URL under /api/v1 that matches no route (404) or not with this
    method (405) is answered here, before the app's HTML error pages would be."""
    error = request.routing_exception
    if (error is not None and isinstance(error, HTTPException) and (error.code or 0) >= 400
            and under_api()):
        if isinstance(error, MethodNotAllowed) and _matches_no_route(error):
            error = NotFound()
        return from_exception(error)
    return None
