"""Each clinician's analysis thresholds: read with a safe fallback, saved with an audit event.

Only the values that differ from the defaults are stored, so an untouched threshold follows
the published default if analysis.py ever changes it.
"""

import sqlalchemy as sa

from . import audit
from .analysis import Settings, SettingsError
from .extensions import db
from .models import ClinicSettings, utcnow

DEFAULTS = Settings().as_dict()


def _row(clinician_id: int) -> ClinicSettings | None:
    return db.session.scalar(
        sa.select(ClinicSettings).where(ClinicSettings.clinician_id == clinician_id))


def settings_for(clinician_id: int) -> Settings:
    """The clinician's settings; stored values that are no longer valid fall back to defaults.

    A stored row can go stale when analysis.py narrows a limit: the analysis must still run,
    so bad keys are dropped rather than breaking the consultant's pages.
    """
    row = _row(clinician_id)
    stored = dict(row.values or {}) if row is not None else {}
    for _attempt in range(len(DEFAULTS) + 1):
        try:
            return Settings.from_mapping(stored)
        except SettingsError as exc:
            bad = set(exc.errors) & set(stored)
            if not bad:
                break
            for name in bad:
                stored.pop(name)
    return Settings()


def save(clinician, new: Settings, action: str = "settings.update") -> bool:
    """Store the clinician's settings; False (and nothing written) when nothing changed."""
    old = settings_for(clinician.id)
    if old == new:
        return False
    row = _row(clinician.id)
    if row is None:
        row = ClinicSettings(clinician_id=clinician.id, values={})
        db.session.add(row)
    # A new dict, so the JSON column sees the change.
    row.values = {k: v for k, v in new.as_dict().items() if v != DEFAULTS[k]}
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(action, "settings", row.id, before=old.as_dict(), after=new.as_dict(),
                 actor=clinician)
    db.session.commit()
    return True
