"""Clinicians see the audit events of their own patients, and nobody else's."""

from diary.data.db import db
from diary.services import audit
from tests.conftest import sign_in


def test_audit_page_shows_only_own_patients(app, client, world):
    mine = world.clinician()
    theirs = world.clinician(email="other@clinic.example")
    p1 = world.patient(mine, name="Alice Mine")
    p2 = world.patient(theirs, name="Bob Theirs")
    with app.test_request_context():
        for pid in (p1, p2):
            audit.record("patient.create", "patient", pid, patient_id=pid,
                         after={"display_name": "secret words"})
        db.session.commit()
    sign_in(client, "dr@clinic.example")
    page = client.get("/clinic/audit").get_data(as_text=True)
    assert "Alice Mine" in page and "Bob Theirs" not in page
    assert "auth.sign_in" in page  # their own sign-in
    assert "display_name" in page and "secret words" not in page


def test_patients_cannot_open_the_audit_page(as_patient):
    assert as_patient.get("/clinic/audit").status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/clinic/audit")
    assert response.status_code == 302 and "/sign-in" in response.location
