"""Saving, changing and deleting diary entries, each with its audit event in one transaction."""

from sqlalchemy.exc import IntegrityError

from diary.data.db import db
from diary.data.models import Entry, Patient, User
from diary.services import audit, changes, summaries

CONTENT = ("observed_at", "utc_offset_min", "pain", "temp_treated_c", "temp_other_c", "colour",
           "feels", "walk_pain_free_min", "walk_max_min", "did_not_walk", "swelling",
           "sweating", "side_effects", "rescue_medication", "notes", "touch_pain",
           "night_rest_pain", "wound", "pgic")


class DuplicateConflict(Exception):
    """The entry id was used before for different content: never silently dropped."""


def snapshot(entry: Entry) -> dict:
    return changes.snapshot(entry, CONTENT)


def _same(entry: Entry, values: dict) -> bool:
    return all(getattr(entry, k) == values[k] for k in CONTENT)


def create_once(patient: Patient, entry_id: str, values: dict, user) -> tuple[Entry, bool]:
    """Save an entry under the client's id exactly once; (entry, created).

    A resent or double-tapped submit finds its own entry and changes nothing.
    """
    existing = db.session.get(Entry, entry_id)
    if existing is None:
        entry = Entry(id=entry_id, patient_id=patient.id, entered_by=user.id, **values)
        db.session.add(entry)
        try:
            db.session.flush()
        except IntegrityError:  # another request won the race for this id
            db.session.rollback()
            existing = db.session.get(Entry, entry_id)
        else:
            audit.record("entry.create", "entry", entry.id, patient_id=patient.id,
                         after=snapshot(entry), actor=user)
            summaries.invalidate(patient)
            db.session.commit()
            return entry, True
    if existing is None or existing.patient_id != patient.id or not _same(existing, values):
        db.session.rollback()
        raise DuplicateConflict(entry_id)
    db.session.rollback()
    return existing, False


def enterer(entry: Entry, patient: Patient) -> User | None:
    """Who saved `entry` when it was not the patient themself (a nurse or consultant entering
    it on their behalf, or a clinician's import), else None. The session's identity map keeps
    each person after the first look-up, so a page of entries costs a query per person."""
    if entry.entered_by == patient.user_id:
        return None
    return db.session.get(User, entry.entered_by)


def update(entry: Entry, values: dict, user) -> bool:
    return changes.update(entry, "entry", CONTENT, values, user)


def soft_delete(entry: Entry, user) -> None:
    changes.soft_delete(entry, "entry", user)
