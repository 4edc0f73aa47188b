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
