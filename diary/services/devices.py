"""Device tokens: a patient's phone sends the entries it queued offline with one of these in
a header, so an expired sign-in never loses an entry (docs/api.md).

The raw token is shown once, to the phone that asked for it; only its SHA-256 is stored
(`diary.data.tokens.token_hash`, as for invites and sign-ins). Each action here is one
transaction with its audit event (`device.create`, `device.revoke`; never the token). A
revocation is one conditional UPDATE (`… WHERE revoked_at IS NULL`): of two workers revoking
the same token at once, one does it and audits it, the other changes nothing.
"""

import secrets
from datetime import datetime

import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import DeviceToken, LoginSession, Patient, PushSubscription, User
from diary.data.tokens import token_hash
from diary.services import audit

NAME_MAX = 80        # the column's length
TOKEN_MAX = 200      # a bearer longer than this is not one of ours (ours are 43 characters)
LIVE_MAX = 10        # live tokens a person keeps; the least recently used beyond it are revoked
_UNPRINTABLE = str.maketrans({c: " " for c in range(0x20)} | {0x7F: " "})


def clean_name(name: str | None) -> str:
    """A device's name as shown on the account page: control characters and runs of spaces
    made one space, at most NAME_MAX characters."""
    text = " ".join((name or "").translate(_UNPRINTABLE).split())
    return "".join(c for c in text if c.isprintable())[:NAME_MAX].strip()


def issue(user: User, patient: Patient, name: str, at: datetime,
          login_session: LoginSession | None = None) -> tuple[DeviceToken, str]:
    """A new token for the patient's phone, committed: (row, raw token). The raw token is
    never stored or audited. A token asked for earlier in the same sign-in is revoked (a page
    reloaded before the first answer arrived asks again); beyond LIVE_MAX live tokens, the
    least recently used go."""
    raw = secrets.token_urlsafe(32)
    device = DeviceToken(user_id=user.id, patient_id=patient.id, token_hash=token_hash(raw),
                         name=clean_name(name) or "Phone", created_at=at,
                         login_session_id=login_session.id if login_session else None)
    if login_session is not None:  # one token per sign-in: a phone asking again replaces it
        _revoke(sa.and_(DeviceToken.login_session_id == login_session.id,
                        DeviceToken.user_id == user.id), at, actor=user)
    db.session.add(device)
    db.session.flush()
    audit.record("device.create", "device", device.id, patient_id=patient.id, actor=user)
    stale = db.session.scalars(
        sa.select(DeviceToken.id)
        .where(DeviceToken.user_id == user.id, DeviceToken.revoked_at.is_(None))
        .order_by(sa.func.coalesce(DeviceToken.last_used_at, DeviceToken.created_at).desc(),
                  DeviceToken.id.desc())
        .offset(LIVE_MAX)).all()
    if stale:
        _revoke(DeviceToken.id.in_(stale), at, actor=user)
    db.session.commit()
    return device, raw


def find(raw: str | None) -> DeviceToken | None:
    """The live (not revoked) token row for a raw token, else None."""
    if not raw or len(raw) > TOKEN_MAX:
        return None
    return db.session.scalar(sa.select(DeviceToken).where(
        DeviceToken.token_hash == token_hash(raw), DeviceToken.revoked_at.is_(None)))


def listed(user: User, patient: Patient) -> list[DeviceToken]:
    """The person's live tokens for this diary, the most recently used first."""
    return list(db.session.scalars(
        sa.select(DeviceToken)
        .where(DeviceToken.user_id == user.id, DeviceToken.patient_id == patient.id,
               DeviceToken.revoked_at.is_(None))
        .order_by(sa.func.coalesce(DeviceToken.last_used_at, DeviceToken.created_at).desc(),
                  DeviceToken.id.desc())))


def mark_used(device: DeviceToken, at: datetime) -> None:
    """The token was just used: a write of its own (like a sign-in's last-seen time)."""
    db.session.execute(sa.update(DeviceToken).where(
        DeviceToken.id == device.id, DeviceToken.revoked_at.is_(None)).values(last_used_at=at))
    db.session.commit()
    device.last_used_at = at


def revoke(device: DeviceToken, by: User, at: datetime,
           keep: LoginSession | None = None) -> bool:
    """Remove one phone (the patient's "Remove" button), committed; False if it was already
    revoked (by a request running at the same moment, say). The sign-in that asked for the
    token ends too (unless it is `keep`, the one doing the removing): a lost phone still
    signed in would otherwise just ask for a new one."""
    done = bool(_revoke(DeviceToken.id == device.id, at, actor=by))
    if done and device.login_session_id not in (None, keep.id if keep else None):
        db.session.execute(sa.update(LoginSession).where(
            LoginSession.id == device.login_session_id, LoginSession.ended_at.is_(None))
            .values(ended_at=at))
    db.session.commit()
    if done:
        device.revoked_at = at
    return done


def revoke_for_user(user: User, at: datetime, by: User | None = None) -> int:
    """Every live token of this person, in the caller's transaction (sign out everywhere,
    through `sessions.end_all`); the number revoked."""
    return len(_revoke(DeviceToken.user_id == user.id, at, actor=by or user))


def end_push_for_user(user: User, at: datetime) -> int:
    """End every live Web Push subscription of this person's diary, in the caller's transaction
    (sign out everywhere): a lost phone stops getting reminders too. The number ended."""
    rows = db.session.execute(
        sa.update(PushSubscription)
        .where(PushSubscription.patient_id.in_(sa.select(Patient.id)
                                               .where(Patient.user_id == user.id)),
               PushSubscription.ended_at.is_(None))
        .values(ended_at=at)
        .returning(PushSubscription.id, PushSubscription.patient_id)
        .execution_options(synchronize_session=False)).all()
    for sub_id, patient_id in sorted(rows):
        audit.record("push.end", "push_subscription", sub_id, patient_id=patient_id, actor=user)
    return len(rows)


def revoke_for_patient(patient: Patient, by: User, at: datetime) -> int:
    """The clinic disconnects every phone of a patient, committed; the number revoked. The
    patient's sign-ins end too, or a phone still signed in would just ask for a new token."""
    count = len(_revoke(DeviceToken.patient_id == patient.id, at, actor=by))
    if patient.user_id is not None:
        db.session.execute(sa.update(LoginSession).where(
            LoginSession.user_id == patient.user_id, LoginSession.ended_at.is_(None))
            .values(ended_at=at))
    db.session.commit()
    return count


def _revoke(which, at: datetime, actor: User) -> list[tuple[int, int]]:
    """Revoke the live tokens `which` selects, each audited once: one conditional UPDATE, so a
    token another request revoked first is neither revoked again nor audited twice."""
    rows = db.session.execute(
        sa.update(DeviceToken).where(which, DeviceToken.revoked_at.is_(None))
        .values(revoked_at=at)
        .returning(DeviceToken.id, DeviceToken.patient_id)
        .execution_options(synchronize_session=False)).all()
    for device_id, patient_id in sorted(rows):
        audit.record("device.revoke", "device", device_id, patient_id=patient_id, actor=actor,
                     before={"revoked_at": None}, after={"revoked_at": at})
    return rows
