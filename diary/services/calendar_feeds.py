"""Reading reminders in the patient's calendar: the iCalendar file, and private subscription
links (`CalendarFeed`).

A link's token is random (256 bits) and stored only as its hash (diary.data.tokens), so the
database never holds a working link; the page shows it once. Making a new link turns the old
one off; the patient can turn it off. Each write is audited (`calendar_feed.create`,
`calendar_feed.revoke`), and so is each read of a link (`calendar_feed.read`, with the
address), since it opens without a sign-in. The file carries no health details
(diary.interchange.calendar), only when each reading is due.
"""

import re
import secrets
from datetime import datetime

import sqlalchemy as sa

from diary.clinical.schedule import full_schedule
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.loaders import load_prompt_records
from diary.data.models import CalendarFeed, Patient, User
from diary.data.tokens import token_hash
from diary.interchange import calendar
from diary.services import audit

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def reminders_file(patient: Patient, at: datetime, url: str) -> bytes:
    """The patient's readings to come as an iCalendar file (`url`: the diary's entry form)."""
    settings = settings_for(patient.clinician_id)
    entries, blocks = load_prompt_records(patient, at, settings)
    schedule = full_schedule(blocks, entries, patient.timezone, at, settings)
    return calendar.calendar(schedule, patient.timezone, at, url=url,
                             uid_key=f"patient:{patient.id}")


def active(patient: Patient) -> CalendarFeed | None:
    return db.session.scalar(sa.select(CalendarFeed).where(
        CalendarFeed.patient_id == patient.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc()).limit(1))


def create(patient: Patient, user: User, at: datetime) -> str:
    """A new private link for the patient, turning off any earlier one, committed; the raw
    token (shown once, never stored)."""
    replaced = _revoke_all(patient, at)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(patient_id=patient.id, token_hash=token_hash(token), created_at=at)
    db.session.add(feed)
    db.session.flush()
    audit.record("calendar_feed.create", "calendar_feed", feed.id, patient_id=patient.id,
                 actor=user, after={"replaced": replaced})
    db.session.commit()
    return token


def revoke(patient: Patient, user: User, at: datetime) -> bool:
    """Turn the patient's link off, committed; False if there was none."""
    feed = active(patient)
    if feed is None:
        return False
    _revoke_all(patient, at)
    audit.record("calendar_feed.revoke", "calendar_feed", feed.id, patient_id=patient.id,
                 actor=user)
    db.session.commit()
    return True


def find(token: str) -> CalendarFeed | None:
    """The live link with this token, of a patient still in the diary; else None."""
    if not token or not TOKEN.fullmatch(token):
        return None
    return db.session.scalar(
        sa.select(CalendarFeed).join(CalendarFeed.patient).join(User, User.id == Patient.user_id)
        .where(CalendarFeed.token_hash == token_hash(token), CalendarFeed.revoked_at.is_(None),
               Patient.archived_at.is_(None), User.active))


def read(feed: CalendarFeed) -> None:
    """Audit a read of the link (in a write transaction of its own)."""
    audit.viewed("calendar_feed.read", "calendar_feed", feed.id, patient_id=feed.patient_id)


def _revoke_all(patient: Patient, at: datetime) -> int:
    return db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.patient_id == patient.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=at)).rowcount
