"""Exports are audited: who took which file of which patient, or of the whole clinic.

The file itself streams from `diary.data.exports`; this is the write that goes with it.
"""

from collections.abc import Sequence

from diary.data.db import db
from diary.data.exports import ALL_DATES, DateRange
from diary.data.models import Patient
from diary.services import audit


def record_export(what: str, actor, patients: Sequence[Patient], *, include_deleted=False,
                  dates: DateRange = ALL_DATES, clinic: bool = False, via: str = "web") -> None:
    """The audit event of an export (who, what, which patient or clinic; never the content)."""
    after = {"include_deleted": include_deleted, "via": via, "patients": len(patients)}
    if not dates.open:
        after.update({"from": dates.first, "to": dates.last})
    if clinic:
        audit.record(f"export.clinic.{what}", "user", actor.id if actor else None, actor=actor,
                     after=after)
    else:
        (patient,) = patients
        audit.record(f"export.{what}", "patient", patient.id, patient_id=patient.id,
                     actor=actor, after=after)
    db.session.commit()
