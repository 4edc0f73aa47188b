"""Web Push reminders (opt-in): each browser's subscription, and `send_due`, which
`flask diary send-reminders` runs every few minutes.

- A subscription is what the browser's PushManager gives (endpoint and keys), checked before
  it is stored: an https endpoint of a known push service (`PUSH_SERVICE_HOSTS`, or the
  config's list of the same name), so the server never posts to an address a user made up;
  the browser's P-256 key and its 16-byte auth secret. Subscribing and unsubscribing are
  audited (`push.subscribe`, `push.unsubscribe`).
- `send_due`: for each live subscription of a patient still in the diary, every reading whose
  due time came within the last `grace` (30 min), still open and not covered by an entry, is
  sent once. The `ReminderSent` row (subscription, due time) is inserted and committed
  *before* the push: its primary key is the lock, so two runs, or two hosts, never both send
  it. A send the push service could not take (5xx, 429, no answer) gives its row back, to be
  tried by the next run while the reading is still due; one answered 404 or 410 (the
  subscription is gone) ends the subscription (`ended_at`, audited `push.end`). The row
  itself records the send; sends are not audited one by one.
- The message carries no health details: `PAYLOAD`, the same every time, encrypted for the
  browser (RFC 8291, aes128gcm) and signed with the app's VAPID key (RFC 8292).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy.exc import IntegrityError

from diary.clinical.schedule import Prompt, full_schedule
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.loaders import load_prompt_records
from diary.data.models import Patient, PushSubscription, ReminderSent, User
from diary.services import audit

log = logging.getLogger(__name__)

PAYLOAD = {"title": "Block Diary reading",
           "body": "A reading is due. Open Block Diary to add it.",
           "url": "/diary/"}
GRACE = timedelta(minutes=30)
TIMEOUT = 10                        # seconds to wait for a push service
# The push services of the browsers that support Web Push: Chrome and most Android browsers
# (FCM), Firefox (Mozilla), Safari (Apple), Edge (Windows). A host matches itself and its
# subdomains.
PUSH_SERVICE_HOSTS = ("fcm.googleapis.com", "android.googleapis.com",
                      "push.services.mozilla.com", "push.apple.com", "notify.windows.com")
ENDPOINT_MAX = 1000                 # the column's length


class BadSubscription(ValueError):
    """Not a subscription a browser's PushManager makes."""


@dataclass
class Outcome:
    sent: int = 0
    ended: int = 0
    failed: int = 0


# ------------------------------------------------------------------------- subscriptions

def check(info) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) of a PushSubscription's JSON, checked; else BadSubscription."""
    if not isinstance(info, dict) or not isinstance(info.get("keys"), dict):
        raise BadSubscription("no subscription")
    endpoint, keys = info.get("endpoint"), info["keys"]
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not all(isinstance(v, str) for v in (endpoint, p256dh, auth)):
        raise BadSubscription("missing fields")
    if len(endpoint) > ENDPOINT_MAX or not _known_service(endpoint):
        raise BadSubscription("not a push service")
    point = _b64(p256dh, 65)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as error:
        raise BadSubscription("not a P-256 key") from error
    _b64(auth, 16)
    return endpoint, p256dh, auth


def subscribe(patient: Patient, user: User, info, at: datetime) -> PushSubscription:
    """Store (or renew) this browser's subscription for the patient, audited and committed.
    An endpoint already known belongs to this browser: it moves to whoever subscribed last."""
    endpoint, p256dh, auth = check(info)
    sub = db.session.scalar(sa.select(PushSubscription).where(
        PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(patient_id=patient.id, endpoint=endpoint, created_at=at)
        db.session.add(sub)
    elif sub.patient_id != patient.id and sub.ended_at is None:
        audit.record("push.unsubscribe", "push_subscription", sub.id,
                     patient_id=sub.patient_id, actor=user, after={"moved": True})
    sub.patient_id, sub.p256dh, sub.auth, sub.ended_at = patient.id, p256dh, auth, None
    db.session.flush()
    audit.record("push.subscribe", "push_subscription", sub.id, patient_id=patient.id,
                 actor=user)
    db.session.commit()
    return sub


def unsubscribe(patient: Patient, user: User, endpoint, at: datetime) -> bool:
    """End the patient's subscription with this endpoint, audited and committed; False if the
    patient has no live one."""
    if not isinstance(endpoint, str) or len(endpoint) > ENDPOINT_MAX:
        return False
    sub = db.session.scalar(sa.select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.patient_id == patient.id,
        PushSubscription.ended_at.is_(None)))
    if sub is None:
        return False
    sub.ended_at = at
    audit.record("push.unsubscribe", "push_subscription", sub.id, patient_id=patient.id,
                 actor=user)
    db.session.commit()
    return True


# ------------------------------------------------------------------------------ sending

def due(schedule: list[Prompt], now: datetime, grace: timedelta = GRACE) -> list[Prompt]:
    """The readings to remind of at `now`: due within the last `grace`, window still open,
    no entry in it yet."""
    return [p for p in schedule if now - grace < p.due_at <= now and p.window_end > now
            and not p.covered]


def send_due(now: datetime, *, private_key: str, subject: str, grace: timedelta = GRACE,
             push: Callable | None = None) -> Outcome:
    """Push each due reading once to each live subscription (see the module's docstring).
    `private_key`: the VAPID key's scalar in base64url (app.config["VAPID_PRIVATE_KEY"])."""
    vapid = Vapid.from_raw(private_key.encode())
    outcome = Outcome()
    rows = db.session.execute(
        sa.select(PushSubscription.id, PushSubscription.patient_id, PushSubscription.endpoint,
                  PushSubscription.p256dh, PushSubscription.auth)
        .join(Patient, Patient.id == PushSubscription.patient_id)
        .join(User, User.id == Patient.user_id)
        .where(PushSubscription.ended_at.is_(None), Patient.archived_at.is_(None), User.active)
        .order_by(PushSubscription.patient_id, PushSubscription.id)).all()
    db.session.commit()  # no transaction held while pushing (on SQLite a CLI read locks)
    with requests.Session() as session:
        for patient_id, subs in groupby(rows, key=lambda r: r.patient_id):
            subs = list(subs)
            readings = _due_for(patient_id, now, grace)
            for reading in readings:
                for sub in subs:
                    if not _claim(sub.id, reading.due_at, now):
                        continue
                    _send(sub, reading, now, vapid, subject, session, push, outcome)
    return outcome


def _due_for(patient_id: int, now: datetime, grace: timedelta) -> list[Prompt]:
    patient = db.session.get(Patient, patient_id)
    settings = settings_for(patient.clinician_id)
    entries, blocks = load_prompt_records(patient, now, settings)
    readings = due(full_schedule(blocks, entries, patient.timezone, now, settings), now, grace)
    db.session.commit()
    return readings


def _claim(subscription_id: int, due_at: datetime, now: datetime) -> bool:
    """Insert the reading's row for this subscription; False if a run already has."""
    db.session.add(ReminderSent(subscription_id=subscription_id, due_at=due_at, sent_at=now))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _send(sub, reading: Prompt, now: datetime, vapid, subject: str, session, push,
          outcome: Outcome) -> None:
    ttl = int(min(max((reading.window_end - now).total_seconds(), 60), 3600))
    try:
        (push or webpush)(
            subscription_info={"endpoint": sub.endpoint,
                               "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            data=json.dumps(PAYLOAD), vapid_private_key=vapid,
            vapid_claims={"sub": subject}, ttl=ttl, timeout=TIMEOUT,
            # A newer reminder replaces one the phone has not fetched yet.
            headers={"Urgency": "high", "Topic": "block-diary-reading"},
            requests_session=session)
    except WebPushException as error:
        if error.status_code in (404, 410):
            _end(sub, now)
            outcome.ended += 1
            return
        log.warning("Push to subscription %s failed: %s", sub.id, error.status_code)
        _release(sub.id, reading.due_at)
        outcome.failed += 1
        return
    except requests.RequestException as error:
        log.warning("Push to subscription %s failed: %s", sub.id, type(error).__name__)
        _release(sub.id, reading.due_at)
        outcome.failed += 1
        return
    outcome.sent += 1


def _release(subscription_id: int, due_at: datetime) -> None:
    db.session.execute(sa.delete(ReminderSent).where(
        ReminderSent.subscription_id == subscription_id, ReminderSent.due_at == due_at))
    db.session.commit()


def _end(sub, now: datetime) -> None:
    db.session.execute(sa.update(PushSubscription).where(
        PushSubscription.id == sub.id, PushSubscription.ended_at.is_(None))
        .values(ended_at=now))
    audit.record("push.end", "push_subscription", sub.id, patient_id=sub.patient_id)
    db.session.commit()


# ------------------------------------------------------------------------------- helpers

def _known_service(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or parts.username or parts.password or not parts.hostname:
        return False
    try:
        if parts.port not in (None, 443):
            return False
    except ValueError:
        return False
    hosts = current_app.config.get("PUSH_SERVICE_HOSTS") or PUSH_SERVICE_HOSTS
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    host = parts.hostname.lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def _b64(text: str, size: int) -> bytes:
    """base64url (padding optional) decoding to exactly `size` bytes; else BadSubscription."""
    if len(text) > 4 * size or not text.isascii():
        raise BadSubscription("bad key")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise BadSubscription("bad key") from error
    if len(raw) != size:
        raise BadSubscription("bad key")
    return raw
