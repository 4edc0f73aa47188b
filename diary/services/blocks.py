"""Recording, changing and deleting blocks, each with its audit event in one transaction."""

from diary.data.db import db
from diary.data.models import Block, Patient
from diary.services import audit, changes, summaries

CONTENT = ("performed_at", "utc_offset_min", "side", "kind", "level", "agent", "volume_ml",
           "long_acting", "pre_pain",
           "temp_treated_pre_c", "temp_treated_5_c", "temp_treated_10_c", "temp_treated_15_c",
           "temp_treated_20_c", "temp_treated_30_c",
           "temp_other_pre_c", "temp_other_5_c", "temp_other_10_c", "temp_other_15_c",
           "temp_other_20_c", "temp_other_30_c",
           "somatic_spread", "sedation", "confirmed_other_means", "notes")


def snapshot(block: Block) -> dict:
    return changes.snapshot(block, CONTENT)


def create(patient: Patient, values: dict, user) -> Block:
    block = Block(patient_id=patient.id, recorded_by=user.id, **values)
    db.session.add(block)
    db.session.flush()
    audit.record("block.create", "block", block.id, patient_id=patient.id,
                 after=snapshot(block), actor=user)
    summaries.invalidate(patient)
    db.session.commit()
    return block


def update(block: Block, values: dict, user) -> bool:
    """Apply the new values; False (and nothing written) when nothing changed."""
    return changes.update(block, "block", CONTENT, values, user)


def soft_delete(block: Block, user) -> None:
    changes.soft_delete(block, "block", user)
