"""Changing and soft-deleting a diary row (entry or block) with its audit event, in one
transaction. Only the named content fields are compared, copied and audited."""

from diary.data.db import db
from diary.data.models import utcnow
from diary.services import audit, summaries


def snapshot(row, fields) -> dict:
    return {k: getattr(row, k) for k in fields}


def update(row, kind: str, fields, values: dict, user) -> bool:
    """Apply `values`; False (and nothing written) when nothing changed."""
    before = snapshot(row, fields)
    if all(before[k] == values[k] for k in fields):
        return False
    for k in fields:
        setattr(row, k, values[k])
    row.updated_at = utcnow()
    audit.record(f"{kind}.update", kind, row.id, patient_id=row.patient_id,
                 before=before, after=snapshot(row, fields), actor=user)
    summaries.invalidate(row.patient)
    db.session.commit()
    return True


def soft_delete(row, kind: str, user) -> None:
    """Nothing is ever hard-deleted: the row is marked and left out everywhere."""
    row.deleted_at = utcnow()
    audit.record(f"{kind}.delete", kind, row.id, patient_id=row.patient_id,
                 before={"deleted_at": None}, after={"deleted_at": row.deleted_at}, actor=user)
    summaries.invalidate(row.patient)
    db.session.commit()
