"""Adding a patient: the same checks and the same audit event from the web and the CLI."""

from datetime import datetime

import sqlalchemy as sa

from diary.clinical import limits, vocab
from diary.clinical.localtime import TIMEZONES
from diary.data.db import db
from diary.data.models import Patient, User
from diary.services import audit, invites, summaries
from diary.services.accounts import Refused

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


def record_taken(clinician: User, record: str | None) -> bool:
    return bool(record) and db.session.scalar(sa.select(Patient.id).where(
        Patient.clinician_id == clinician.id, Patient.record_number == record)) is not None


def create_patient(clinician: User, values: dict, at: datetime, *, via: str = "web",
                   invite_days: int | None = None) -> tuple[Patient, str | None]:
    """Add a patient for `clinician` (and an invite when `invite_days` is given), audited.

    Returns the patient and the invite's raw token (None without an invite). Raises Refused
    when a value breaks the rules or the record number is already one of theirs.
    """
    values = {k: values.get(k) for k in DETAILS}
    values["record_number"] = values["record_number"] or None
    errors = check_details(values)
    if errors:
        raise Refused(" ".join(errors.values()))
    if record_taken(clinician, values["record_number"]):
        raise Refused("You already have a patient with this record number.")
    patient = Patient(clinician_id=clinician.id, created_at=at, **values)
    db.session.add(patient)
    db.session.flush()
    audit.record("patient.create", "patient", patient.id, patient_id=patient.id,
                 actor=clinician, after={**values, "via": via})
    token = invites.add(patient, clinician, at, invite_days) if invite_days else None
    summaries.invalidate(patient)
    db.session.commit()
    return patient, token
