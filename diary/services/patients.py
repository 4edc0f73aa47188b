"""A patient's record in the clinic: adding one (the same checks and audit event from the web
and the CLI), changing the details, discharging and reopening, handing over to another
consultant. Each function is one action, audited and committed."""

from datetime import datetime

import sqlalchemy as sa

from diary.clinical import limits, vocab
from diary.clinical.localtime import TIMEZONES
from diary.data.db import db
from diary.data.models import Invite, Patient, User
from diary.services import audit, invites, staff, summaries
from diary.services.accounts import Refused

RECORD_TAKEN = "Another patient of the clinic already has this record number."
# What the patient is told when the clinic has discharged them (diary/web/views/patient.py).
CLOSED = ("Your diary with the clinic is closed: the clinic has finished following up this "
          "treatment. Your readings are kept. If you need help, contact the clinic.")
DETAILS = ("display_name", "record_number", "treated_side", "condition", "temp_unit", "timezone")


def check_details(values: dict) -> dict[str, str]:
    """The patient form's rules for values that did not come through it, by field name."""
    errors = {}
    name = values.get("display_name") or ""
    if not name:
        errors["display_name"] = "Please give the patient's name."
    elif len(name) > limits.NAME_MAX or limits.has_control(name):
        errors["display_name"] = (f"Please give a name of at most {limits.NAME_MAX} plain "
                                  "characters.")
    record = values.get("record_number")
    if record and (len(record) > limits.RECORD_MAX or not limits.RECORD_NUMBER.fullmatch(record)):
        errors["record_number"] = (f"Record number: at most {limits.RECORD_MAX} characters. "
                                   + limits.RECORD_NUMBER_HELP)
    for name, allowed in (("treated_side", vocab.SIDES), ("condition", vocab.CONDITIONS),
                          ("temp_unit", vocab.TEMP_UNITS)):
        if values.get(name) not in allowed:
            errors[name] = f"Please choose one of: {', '.join(allowed)}."
    if values.get("timezone") not in TIMEZONES:
        errors["timezone"] = f"Unknown time zone {values.get('timezone')!r}."
    return errors


def record_taken(clinic_id: int, record: str | None, but: int | None = None) -> bool:
    """Another patient of the clinic already has this record number."""
    return bool(record) and db.session.scalar(sa.select(Patient.id).where(
        Patient.clinic_id == clinic_id, Patient.record_number == record,
        Patient.id != (but or 0))) is not None


def responsible(actor: User, clinic_id: int, consultant_id: int | None) -> User:
    """The consultant a new patient is given to: the one chosen, else the actor when they
    are a consultant of the clinic. Refused when that is nobody."""
    chosen = {u.id: u for u in staff.consultants(clinic_id)}
    wanted = consultant_id if consultant_id is not None else actor.id
    if wanted not in chosen:
        raise Refused("Please choose the patient's consultant.")
    return chosen[wanted]


def create_patient(actor: User, values: dict, at: datetime, *, via: str = "web",
                   invite_days: int | None = None, consultant_id: int | None = None,
                   key: str | None = None) -> tuple[Patient, str | None]:
    """Add a patient to the actor's clinic, in the care of `consultant_id` (default: the
    actor), with an invite when `invite_days` is given (kept sealed with `key`, the app's
    SECRET_KEY, so the invite page can show it again); audited.

    Returns the patient and the invite's raw token (None without an invite). Raises Refused
    when a value breaks the rules or the record number is already in the clinic.
    """
    values = _clean(values)
    errors = check_details(values)
    if errors:
        raise Refused(" ".join(errors.values()))
    clinic = staff.clinic_of(actor, "manage_patient")
    if clinic is None:
        raise Refused("Only a consultant or a nurse can add a patient.")
    if record_taken(clinic.id, values["record_number"]):
        raise Refused(RECORD_TAKEN)
    clinician = responsible(actor, clinic.id, consultant_id)
    patient = Patient(clinic_id=clinic.id, clinician_id=clinician.id, created_at=at, **values)
    db.session.add(patient)
    db.session.flush()
    audit.record("patient.create", "patient", patient.id, patient_id=patient.id,
                 actor=actor, after={**values, "consultant": clinician.id, "via": via})
    token = invites.add(patient, actor, at, invite_days, key) if invite_days else None
    summaries.invalidate(patient)
    db.session.commit()
    return patient, token


def _clean(values: dict) -> dict:
    values = {k: values.get(k) for k in DETAILS}
    values["record_number"] = values["record_number"] or None
    return values


def update_details(actor: User, patient: Patient, values: dict) -> list[str]:
    """Change the patient's details; the names of the fields changed (none: nothing written).

    Every stored time is UTC and each entry keeps the UTC offset it was made at, so a new
    time zone moves no reading: only the days and clock times shown follow the new zone.
    Raises Refused on a bad value or a record number another patient of the clinic has."""
    values = _clean(values)
    errors = check_details(values)
    if errors:
        raise Refused(" ".join(errors.values()))
    if record_taken(patient.clinic_id, values["record_number"], but=patient.id):
        raise Refused(RECORD_TAKEN)
    changed = [k for k in DETAILS if getattr(patient, k) != values[k]]
    if not changed:
        return []
    before = {k: getattr(patient, k) for k in changed}
    for k in changed:
        setattr(patient, k, values[k])
    audit.record("patient.update", "patient", patient.id, patient_id=patient.id, actor=actor,
                 before=before, after={k: values[k] for k in changed})
    summaries.invalidate(patient)  # the list shows the name and record; days follow the zone
    db.session.commit()
    return changed


def discharge(actor: User, patient: Patient, at: datetime) -> bool:
    """Close the diary: off the working list, no new entries, data kept. An invite not yet
    used stops working. False when it was already closed (nothing written)."""
    if patient.archived_at is not None:
        return False
    patient.archived_at = at
    db.session.execute(
        sa.update(Invite)
        .where(Invite.patient_id == patient.id, Invite.used_at.is_(None),
               Invite.revoked_at.is_(None))
        .values(revoked_at=at))
    audit.record("patient.discharge", "patient", patient.id, patient_id=patient.id,
                 actor=actor, before={"archived_at": None}, after={"archived_at": at})
    summaries.invalidate(patient)
    db.session.commit()
    return True


def reopen(actor: User, patient: Patient) -> bool:
    """Open a discharged diary again. False when it was open (nothing written)."""
    if patient.archived_at is None:
        return False
    audit.record("patient.reopen", "patient", patient.id, patient_id=patient.id, actor=actor,
                 before={"archived_at": patient.archived_at}, after={"archived_at": None})
    patient.archived_at = None
    summaries.invalidate(patient)
    db.session.commit()
    return True


def hand_over(actor: User, patient: Patient, consultant_id: int | None) -> User:
    """Make another active consultant of the patient's clinic responsible; the new one.
    Raises Refused for the same consultant or anyone who is not one of the clinic's."""
    if consultant_id == patient.clinician_id:
        raise Refused("This consultant is already responsible for the patient. "
                      "Please choose another one.")
    chosen = {u.id: u for u in staff.consultants(patient.clinic_id)}
    if consultant_id not in chosen:
        raise Refused("Please choose one of the clinic's consultants.")
    audit.record("patient.handover", "patient", patient.id, patient_id=patient.id,
                 actor=actor, before={"consultant": patient.clinician_id},
                 after={"consultant": consultant_id})
    patient.clinician_id = consultant_id
    summaries.invalidate(patient)  # the analysis follows the new consultant's thresholds
    db.session.commit()
    return chosen[consultant_id]
