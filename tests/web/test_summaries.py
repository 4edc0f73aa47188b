"""Each patient's stored line in the clinic's list is what a fresh analysis says, after any
write of the services and at any later moment (hypothesis over edits and the clock)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.clinical.settings import Settings
from diary.clinical.summary import summarise
from diary.data import loaders
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.models import Block, Entry, Patient, PatientSummary, User
from diary.services import blocks, clinic_settings, entries, summaries

T0 = datetime(2025, 3, 1, 9, tzinfo=UTC)


def _entry_values(at: datetime, pain: int) -> dict:
    return {"observed_at": at, "utc_offset_min": 0, "pain": pain, "temp_treated_c": 29.0,
            "temp_other_c": 30.0, "colour": None, "feels": None, "walk_pain_free_min": None,
            "walk_max_min": None, "did_not_walk": False, "swelling": None, "sweating": None,
            "side_effects": None, "rescue_medication": False, "notes": None}


def _block_values(at: datetime, kind: str) -> dict:
    return {"performed_at": at, "utc_offset_min": 0, "side": "left", "kind": kind,
            "level": None, "agent": "Bupivacaine 0.25%", "volume_ml": None,
            "long_acting": False, "pre_pain": 7,
            **{f"temp_{side}_{m}_c": None for side in ("treated", "other")
               for m in ("pre", "5", "10", "15", "20", "30")},
            "temp_treated_pre_c": 28.0, "temp_treated_30_c": 32.5, "temp_other_pre_c": 28.5,
            "temp_other_30_c": 28.6, "somatic_spread": False, "sedation": False,
            "confirmed_other_means": False, "notes": None}


def _fresh(patient: Patient, now: datetime):
    entries_, blocks_ = loaders.load_patient_records(patient)
    return summarise(entries_, blocks_, settings_for(patient.clinician_id), patient.timezone,
                     now)[0]


def _stored(patient_id: int):
    row = db.session.get(PatientSummary, patient_id)
    db.session.refresh(row)
    return row


def _same(row: PatientSummary, summary) -> bool:
    return (row.statuses == ",".join(summary.statuses)
            and row.last_entry_at == summary.last_entry_at
            and row.last_verdict == summary.last_verdict
            and row.last_block_date == summary.last_block_date
            and row.next_due_at == summary.next_due_at and row.failed == summary.failed
            and row.urgency == summary.urgency)


step = st.one_of(
    st.tuples(st.just("entry"), st.integers(-60 * 24 * 9, 60 * 24 * 2), st.integers(0, 10)),
    st.tuples(st.just("edit"), st.integers(0, 50), st.integers(0, 10)),
    st.tuples(st.just("delete entry"), st.integers(0, 50), st.just(0)),
    st.tuples(st.just("block"), st.integers(-60 * 24 * 3, 60 * 24 * 3),
              st.sampled_from(["diagnostic_la", "neurolysis"])),
    st.tuples(st.just("delete block"), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("settings"), st.sampled_from([4, 6, 8]), st.just(0)),
    st.tuples(st.just("wait"), st.integers(1, 60 * 24 * 20), st.just(0)),
)


@pytest.fixture
def diary(app, world, clock):
    clinician_id = world.clinician()
    patient_id = world.patient(clinician_id, name="Summary Test",
                               created_at=T0 - timedelta(days=60))
    clock.now = T0
    with app.app_context():
        summaries.refresh_many([patient_id], T0)
    return clinician_id, patient_id


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_the_stored_line_is_always_a_fresh_analysis(app, clock, diary, steps):
    clinician_id, patient_id = diary
    clock.now = T0
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        user = db.session.get(User, clinician_id)
        clinic_settings.save(user, Settings())
        summaries.mark_stale(clinician_id)  # the last example's diary was emptied by hand
        db.session.commit()
        summaries.refresh_stale(sa.select(Patient.id), clock.now)
        for kind, a, b in steps:
            now = clock.now
            if kind == "entry":
                entries.create_once(patient, str(uuid.uuid4()),
                                    _entry_values(now + timedelta(minutes=a), b), user)
            elif kind in ("edit", "delete entry"):
                live = list(db.session.scalars(sa.select(Entry).where(
                    Entry.patient_id == patient_id, Entry.deleted_at.is_(None))
                    .order_by(Entry.observed_at)))
                if live:
                    row = live[a % len(live)]
                    if kind == "edit":
                        # Moved and changed: the last entry and the relief may both move.
                        entries.update(row, {**entries.snapshot(row), "pain": b,
                                             "observed_at": now - timedelta(hours=a)}, user)
                    else:
                        entries.soft_delete(row, user)
            elif kind == "block":
                blocks.create(patient, _block_values(now + timedelta(minutes=a), b), user)
            elif kind == "delete block":
                live = list(db.session.scalars(sa.select(Block).where(
                    Block.patient_id == patient_id, Block.deleted_at.is_(None))))
                if live:
                    blocks.soft_delete(live[a % len(live)], user)
            elif kind == "settings":
                clinic_settings.save(user, Settings(window_hours=a))
            else:
                clock.now = now + timedelta(minutes=a)
            row = _stored(patient_id)
            if row.valid_until is not None and row.valid_until > clock.now:
                # Not stale: what the services stored must already be right.
                assert _same(row, _fresh(patient, clock.now)), (kind, a, b)
            summaries.refresh_stale(sa.select(Patient.id), clock.now)
            assert _same(_stored(patient_id), _fresh(patient, clock.now)), (kind, a, b)
        db.session.rollback()
        # Start the next example from an empty diary.
        db.session.execute(sa.update(Entry).where(Entry.patient_id == patient_id)
                           .values(deleted_at=T0))
        db.session.execute(sa.update(Block).where(Block.patient_id == patient_id)
                           .values(deleted_at=T0))
        db.session.commit()


def test_a_settings_change_marks_the_clinicians_lines_stale(app, world, clock):
    clock.now = T0
    doc, other = world.clinician(), world.clinician(email="other@clinic.example")
    mine = world.patient(doc, name="Mine")
    theirs = world.patient(other, name="Theirs")
    with app.app_context():
        summaries.refresh_stale(sa.select(Patient.id), T0)
        clinic_settings.save(db.session.get(User, doc), Settings(window_hours=8))
        assert db.session.get(PatientSummary, mine).valid_until is None
        assert db.session.get(PatientSummary, theirs).valid_until is not None


def test_refresh_summaries_command(app, world, clock, runner):
    clock.now = T0
    doc = world.clinician()
    for n in range(3):
        world.patient(doc, name=f"P{n}")
    result = runner.invoke(args=["diary", "refresh-summaries"])
    assert result.exit_code == 0 and "3 patients' lines computed" in result.output
    result = runner.invoke(args=["diary", "refresh-summaries"])
    assert "0 patients' lines computed" in result.output  # all current
    result = runner.invoke(args=["diary", "refresh-summaries", "--all"])
    assert "3 patients' lines computed" in result.output


def test_a_line_computed_before_a_newer_write_is_not_stored(app, world, clock, monkeypatch):
    """A diary written while its line is being computed: the computed line answers the older
    diary, so it is dropped and the line stays stale for the next look."""
    clock.now = T0
    doc = world.clinician()
    pid = world.patient(doc, name="Racing")
    real = loaders.load_clinic_records

    def load_then_a_write_lands(ids, chunk):
        out = real(ids, chunk)
        with db.engine.begin() as other:   # another request's write, committed meanwhile
            other.execute(sa.update(PatientSummary.__table__)
                          .where(PatientSummary.patient_id == pid)
                          .values(valid_until=None,
                                  version=PatientSummary.__table__.c.version + 1))
        return out

    with app.app_context():
        summaries.refresh_many([pid], T0)
        assert db.session.get(PatientSummary, pid).valid_until is not None
        summaries.invalidate(db.session.get(Patient, pid))
        db.session.commit()
        monkeypatch.setattr(loaders, "load_clinic_records", load_then_a_write_lands)
        summaries.refresh_many([pid], T0)
        db.session.expire_all()
        assert db.session.get(PatientSummary, pid).valid_until is None  # still stale
        monkeypatch.setattr(loaders, "load_clinic_records", real)
        summaries.refresh_many([pid], T0)
        db.session.expire_all()
        assert db.session.get(PatientSummary, pid).valid_until is not None
