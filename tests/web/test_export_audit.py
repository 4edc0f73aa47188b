"""An export is audited once, by how it ended: `export.<what>` when the whole file was made,
`export.<what>.failed` when making it raised or the download was cut short, and nothing for a
file that was refused or never started. Runs on PostgreSQL too (DIARY_TEST_DATABASE_URL)."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from diary.data import exports
from diary.data.db import db
from diary.data.exports import DateRange
from diary.data.models import AuditEvent, Patient
from diary.interchange import csv_export
from tests.conftest import csrf_token
from tests.web.helpers import NOW, add_entry

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def clinic(as_clinician, world, app):
    world.patient_id = world.patient(world.clinician_id, record="R-1")
    for day in range(1, 4):
        add_entry(app, world.patient_id, NOW - timedelta(days=day))
    world.token = csrf_token(as_clinician, "/clinic/export")
    return world


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action)
                                       .where(AuditEvent.action.like("export%"))
                                       .order_by(AuditEvent.id)))


def export_patient(client, world, what="entries"):
    return client.post(f"/clinic/patients/{world.patient_id}/export",
                       data={"csrf_token": world.token, "what": what})


@pytest.mark.parametrize("what", ["entries", "blocks", "block-summary"])
def test_a_whole_export_is_audited_exactly_once_when_it_is_made(clinic, as_clinician, app, what):
    with export_patient(as_clinician, clinic, what) as r:
        assert r.status_code == 200
        assert r.get_data().startswith(b"\xef\xbb\xbf")
    assert actions(app) == [f"export.{what}"]


def test_a_clinic_export_is_audited_exactly_once(clinic, as_clinician, app):
    with as_clinician.post("/clinic/export", data={
            "csrf_token": clinic.token, "what": "entries", "date_from": "1900-01-01",
            "date_to": "2200-12-31"}) as r:
        assert len(r.get_data().splitlines()) == 1 + 3
    assert actions(app) == ["export.clinic.entries"]


def _failing_rows(real, good: int):
    def rows(*args, **kwargs):
        yield from list(real(*args, **kwargs))[:good]  # good batches go out, then it breaks
        raise RuntimeError("the database went away")
    return rows


def test_an_export_that_fails_midway_is_audited_as_failed_not_done(clinic, as_clinician, app,
                                                                    monkeypatch):
    monkeypatch.setattr(exports, "BATCH_ROWS", 1)
    monkeypatch.setattr(csv_export, "CHUNK_CHARS", 1)  # a chunk a row
    monkeypatch.setattr(exports, "entry_rows", _failing_rows(exports.entry_rows, good=2))
    r = export_patient(as_clinician, clinic)
    assert r.status_code == 200  # the headers had gone: the download breaks off instead
    received = []
    with pytest.raises(RuntimeError, match="went away"):
        received.extend(r.response)
    r.close()
    assert len(b"".join(received).splitlines()) == 2  # the header and a row had gone out
    assert actions(app) == ["export.entries.failed"]


def test_a_clinic_export_that_fails_before_its_first_row_is_audited_as_failed(
        clinic, as_clinician, app, monkeypatch):
    def no_database(statement):
        raise RuntimeError("the database went away")
        yield  # a generator, as the real one

    monkeypatch.setattr(exports, "_stream", no_database)
    with pytest.raises(RuntimeError, match="went away"):
        as_clinician.post("/clinic/export", data={"csrf_token": clinic.token,
                                                  "what": "blocks"}).get_data()
    assert actions(app) == ["export.clinic.blocks.failed"]


def test_a_download_cut_short_is_audited_as_failed(clinic, as_clinician, app):
    r = export_patient(as_clinician, clinic)
    chunks = iter(r.response)
    assert next(chunks).startswith(b"\xef\xbb\xbf")  # the header went out, the rows did not
    r.close()  # the client went away
    assert actions(app) == ["export.entries.failed"]


def test_the_data_layer_takes_any_dates(clinic, app):
    """Year 1 and 9999 once overflowed while the bounds were widened (a 500, audited as done).
    The form now refuses them; the query still answers rather than raising."""
    with app.app_context():
        patient = db.session.get(Patient, clinic.patient_id)
        for dates, rows in ((DateRange(date.min, date.max), 3), (DateRange(date.min, None), 3),
                            (DateRange(None, date.max), 3), (DateRange(date.min, date.min), 0),
                            (DateRange(date.max, date.max), 0)):
            for what in exports.WHATS:
                job = exports.prepare(what, [patient], clinic.clinician_id, dates=dates)
                lines = b"".join(exports.chunks(job, NOW)).splitlines()
                if what == "entries":
                    assert len(lines) == 1 + rows, dates
