"""Each clinician's analysis thresholds, read with a safe fallback.

Only the values that differ from the defaults are stored, so an untouched threshold follows
the published default if diary.clinical.settings ever changes it.
"""

import sqlalchemy as sa

from diary.clinical.settings import Settings, SettingsError
from diary.data.db import db
from diary.data.models import ClinicSettings

DEFAULTS = Settings().as_dict()


def stored_row(clinician_id: int) -> ClinicSettings | None:
    return db.session.scalar(
        sa.select(ClinicSettings).where(ClinicSettings.clinician_id == clinician_id))


def settings_for(clinician_id: int) -> Settings:
    """The clinician's settings; stored values that are no longer valid fall back to defaults.

    A stored row can go stale when diary.clinical.settings narrows a limit: the analysis must
    still run, so bad keys are dropped rather than breaking the consultant's pages.
    """
    row = stored_row(clinician_id)
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
