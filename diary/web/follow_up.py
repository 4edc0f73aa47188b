"""Everything the consultant's follow-up screens show for one patient, gathered once: the
analysis (with the clinic visits, for the Fontaine trend of docs/clinical.md §7), the block
rows, the charts and their captions."""

from dataclasses import dataclass

import sqlalchemy as sa

from diary.clinical import charts
from diary.clinical.analysis import PatientAnalysis, analyse_patient
from diary.clinical.records import VisitRecord
from diary.data import loaders as records
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.models import Block, Patient


@dataclass
class FollowUp:
    analysis: PatientAnalysis
    blocks: dict[int, Block]     # the rows behind the analysis, for agent, level and links
    figures: dict[str, str]      # chart id -> figure JSON
    captions: dict[str, str]     # chart id -> what the chart shows, in words
    visits: list[VisitRecord]    # clinic visits (Fontaine stage), oldest first

    @property
    def cards(self):
        """Finished and pending blocks, newest first (planned ones have nothing to show)."""
        return [b for b in reversed(self.analysis.blocks) if not b.planned]


def follow_up(patient: Patient, now) -> FollowUp:
    entries, block_records = records.load_patient_records(patient)
    visits = records.load_visit_records(patient)
    analysis = analyse_patient(entries, block_records, settings_for(patient.clinician_id),
                               patient.timezone, now, visits=visits)
    rows = db.session.scalars(sa.select(Block).where(
        Block.patient_id == patient.id, Block.deleted_at.is_(None)))
    return FollowUp(
        analysis=analysis, blocks={b.id: b for b in rows},
        figures=charts.patient_figures(analysis, entries, patient.temp_unit),
        captions=charts.patient_captions(analysis, entries), visits=visits)
