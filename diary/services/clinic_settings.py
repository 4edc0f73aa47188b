"""Saving a clinician's analysis thresholds, with its audit event."""

from diary.clinical.settings import Settings
from diary.data.clinic_settings import DEFAULTS, settings_for, stored_row
from diary.data.db import db
from diary.data.models import ClinicSettings, utcnow
from diary.services import audit, summaries


def save(clinician, new: Settings, action: str = "settings.update") -> bool:
    """Store the clinician's settings; False (and nothing written) when nothing changed."""
    old = settings_for(clinician.id)
    if old == new:
        return False
    row = stored_row(clinician.id)
    if row is None:
        row = ClinicSettings(clinician_id=clinician.id, values={})
        db.session.add(row)
    # A new dict, so the JSON column sees the change.
    row.values = {k: v for k, v in new.as_dict().items() if v != DEFAULTS[k]}
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(action, "settings", row.id, before=old.as_dict(), after=new.as_dict(),
                 actor=clinician)
    summaries.mark_stale(clinician.id)
    db.session.commit()
    return True
