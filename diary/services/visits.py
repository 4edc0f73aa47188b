"""Recording, changing and deleting clinic visits (the Fontaine stage, docs/clinical.md §7),
each with its audit event in one transaction.

`problems` holds the rules a visit must meet, so the web form and any other caller apply the
same ones; `create` and `update` refuse values that break them (ValueError) rather than store
them.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from diary.clinical import limits, vocab
from diary.data.db import db
from diary.data.models import ClinicVisit, Patient
from diary.services import audit, changes, summaries

CONTENT = ("visited_on", "fontaine", "note")

FUTURE = "That date is in the future. Please record a visit once it has happened."
TOO_OLD = ("That is more than ten years before the patient's record was made. "
           "Please check the date.")
NOTE_TOO_LONG = f"Please keep the note under {limits.NOTES_MAX} characters."
UNKNOWN_STAGE = "Please choose one of the Fontaine stages shown, or none."
CONTROL = "Please remove the special (control) characters."


def today_for(patient: Patient, now: datetime) -> date:
    """The patient's local date at `now`: visits are dated where the patient is seen."""
    return now.astimezone(ZoneInfo(patient.timezone)).date()


def problems(patient: Patient, values: dict, now: datetime) -> dict[str, str]:
    """Field name -> the message for each rule `values` breaks (empty: all is well)."""
    out = {}
    day = values.get("visited_on")
    if not isinstance(day, date) or not limits.date_in_range(day):
        out["visited_on"] = limits.DATE_RANGE_HELP
    elif day > today_for(patient, now):
        out["visited_on"] = FUTURE
    elif day < (patient.created_at - limits.BLOCK_HISTORY_LIMIT).date():
        out["visited_on"] = TOO_OLD
    if values.get("fontaine") not in (None, *vocab.FONTAINE):
        out["fontaine"] = UNKNOWN_STAGE
    note = values.get("note") or ""
    if len(note) > limits.NOTES_MAX:
        out["note"] = NOTE_TOO_LONG
    elif limits.has_control(note):
        out["note"] = CONTROL
    return out


def _clean(patient: Patient, values: dict, now: datetime) -> dict:
    values = {"visited_on": values.get("visited_on"), "fontaine": values.get("fontaine") or None,
              "note": values.get("note") or ""}
    found = problems(patient, values, now)
    if found:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in sorted(found.items())))
    return values


def snapshot(visit: ClinicVisit) -> dict:
    return changes.snapshot(visit, CONTENT)


def create(patient: Patient, values: dict, user, now: datetime) -> ClinicVisit:
    values = _clean(patient, values, now)
    visit = ClinicVisit(patient_id=patient.id, recorded_by=user.id, patient=patient, **values)
    db.session.add(visit)
    db.session.flush()
    audit.record("visit.create", "visit", visit.id, patient_id=patient.id,
                 after=snapshot(visit), actor=user)
    summaries.invalidate(patient)
    db.session.commit()
    return visit


def update(visit: ClinicVisit, values: dict, user, now: datetime) -> bool:
    """Apply the new values; False (and nothing written) when nothing changed."""
    return changes.update(visit, "visit", CONTENT, _clean(visit.patient, values, now), user)


def soft_delete(visit: ClinicVisit, user) -> None:
    changes.soft_delete(visit, "visit", user)
