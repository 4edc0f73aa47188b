"""Helpers for the device-token and API tests: a phone asking for its token, and sending."""

import uuid

import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import DeviceToken
from tests.conftest import csrf_token

MINT = "/diary/device-token"
API = "/api/v1/entries"
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")


ACCOUNT = "/diary/account"


def mint(client, name=None, user_agent=ANDROID_CHROME, page=ACCOUNT):
    """What the phone's script does after a sign-in: POST with the page's CSRF token in the
    X-CSRFToken header; the response."""
    headers = {"X-CSRFToken": csrf_token(client, page), "User-Agent": user_agent}
    return client.post(MINT, json={} if name is None else {"name": name}, headers=headers)


def mint_token(client, **kwargs) -> str:
    response = mint(client, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def send(client, token: str | None, body, **kwargs):
    """The outbox sending one entry (no cookie needed: a fresh client will do)."""
    headers = bearer(token) if token is not None else {}
    headers.update(kwargs.pop("headers", {}))
    return client.post(API, json=body, headers=headers, **kwargs)


def entry_body(**fields) -> dict:
    """A queued entry as the outbox sends it: the form's fields, with a fresh client id."""
    body = {"client_id": str(uuid.uuid4()), "observed_at": "2025-06-15T11:00", "pain": "5",
            "temp_unit": "C"}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def device_rows(app, *where) -> list[DeviceToken]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(DeviceToken).where(*where)
                                       .order_by(DeviceToken.id)))
        db.session.expunge_all()
        return rows


# ------------------------------------------------------------------ staff's access tokens

PAT_PAGE = "/clinic/api-tokens"
PROBLEM = "application/problem+json"


def sign_in_with_code(client, email: str, secret: str, at) -> None:
    """A clinician with two-factor sign-in: the password, then the code of `at`."""
    import pyotp

    from tests.conftest import post_form, sign_in

    first = sign_in(client, email)
    assert first.status_code == 302 and first.headers["Location"].endswith("/sign-in/code")
    done = post_form(client, "/sign-in/code", {"code": pyotp.TOTP(secret).at(at)})
    assert done.status_code == 302, done.get_data(as_text=True)


def issue_pat(app, user_id: int, scopes: str = "read", days: int = 90, at=None) -> str:
    """A staff member's access token made straight through the service: the raw token."""
    from datetime import UTC, datetime

    from diary.data.models import User
    from diary.services import access_tokens

    with app.test_request_context():
        user = db.session.get(User, user_id)
        _, raw = access_tokens.issue(user, "tool", scopes, days,
                                     at or datetime(2025, 6, 15, 10, 30, tzinfo=UTC))
        return raw


def call(client, method: str, path: str, token: str | None = None, **kwargs):
    """An API request with `Authorization: Bearer <token>` (none for None)."""
    headers = bearer(token) if token is not None else {}
    headers.update(kwargs.pop("headers", {}))
    return client.open(path, method=method, headers=headers, **kwargs)


def problem_of(response, status: int) -> dict:
    """The problem+json body of a response that must have this status."""
    assert response.status_code == status, (response.status_code,
                                            response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["type"] == "about:blank" and body["status"] == status and body["title"]
    return body
