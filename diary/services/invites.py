"""One-time invite links: a random token, stored only as its hash."""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import Invite, Patient, User
from diary.data.tokens import token_hash
from diary.services import audit
from diary.services.mfa import seal, unseal


def issue(patient: Patient, by, at: datetime, days: int, key: str) -> str:
    """A new invite for the patient (revoking any earlier one), committed; the raw token."""
    token = add(patient, by, at, days, key)
    db.session.commit()
    return token


def add(patient: Patient, by, at: datetime, days: int, key: str | None = None) -> str:
    """The patient's invite rows and audit event, in the caller's transaction; the raw
    token. With `key` (the app's SECRET_KEY) the token is also kept sealed, so the page that
    showed it can show it again (`shown_again`)."""
    return _add(Invite(patient_id=patient.id), Invite.patient_id == patient.id, by, at, days,
                key, patient_id=patient.id)


def add_for_staff(user: User, by, at: datetime, days: int, key: str) -> str:
    """A staff member's invite (revoking any earlier one), in the caller's transaction."""
    return _add(Invite(user_id=user.id), Invite.user_id == user.id, by, at, days, key,
                patient_id=None)


def _add(invite: Invite, whose, by, at: datetime, days: int, key: str | None, *,
         patient_id: int | None) -> str:
    db.session.execute(
        sa.update(Invite)
        .where(whose, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=at))
    token = secrets.token_urlsafe(24)
    invite.token_hash = token_hash(token)
    invite.sealed_token = seal(token, key) if key else None
    invite.created_by = by.id
    invite.created_at = at
    invite.expires_at = at + timedelta(days=days)
    db.session.add(invite)
    db.session.flush()
    audit.record("invite.issue", "invite", invite.id, patient_id=patient_id, actor=by,
                 after={"staff": invite.user_id} if invite.user_id else None)
    return token


def live(whose, at: datetime) -> Invite | None:
    """The unspent, unrevoked, unexpired invite matching `whose` (a WHERE clause)."""
    return db.session.scalar(
        sa.select(Invite).where(whose, Invite.used_at.is_(None), Invite.revoked_at.is_(None),
                                Invite.expires_at > at).order_by(Invite.id.desc()).limit(1))


def shown_again(invite: Invite | None, key: str) -> str | None:
    """The raw token of a live invite, to show its link again (None when not kept)."""
    if invite is None:
        return None
    return unseal(invite.sealed_token, key)


def find_valid(token: str, at: datetime) -> Invite | None:
    if not token or len(token) > 100:
        return None
    invite = db.session.scalar(sa.select(Invite).where(Invite.token_hash == token_hash(token)))
    if invite is None or invite.used_at or invite.revoked_at or invite.expires_at <= at:
        return None
    return invite
