"""One-time invite links: a random token, stored only as its hash."""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import Invite, Patient
from diary.data.tokens import token_hash
from diary.services import audit


def issue(patient: Patient, by, at: datetime, days: int) -> str:
    """A new invite for the patient (revoking any earlier one), committed; the raw token."""
    token = add(patient, by, at, days)
    db.session.commit()
    return token


def add(patient: Patient, by, at: datetime, days: int) -> str:
    """The invite's rows and audit event, in the caller's transaction; the raw token."""
    db.session.execute(
        sa.update(Invite)
        .where(Invite.patient_id == patient.id, Invite.used_at.is_(None),
               Invite.revoked_at.is_(None))
        .values(revoked_at=at))
    token = secrets.token_urlsafe(24)
    invite = Invite(patient_id=patient.id, token_hash=token_hash(token), created_by=by.id,
                    created_at=at, expires_at=at + timedelta(days=days))
    db.session.add(invite)
    db.session.flush()
    audit.record("invite.issue", "invite", invite.id, patient_id=patient.id, actor=by)
    return token


def find_valid(token: str, at: datetime) -> Invite | None:
    if not token or len(token) > 100:
        return None
    invite = db.session.scalar(sa.select(Invite).where(Invite.token_hash == token_hash(token)))
    if invite is None or invite.used_at or invite.revoked_at or invite.expires_at <= at:
        return None
    return invite
